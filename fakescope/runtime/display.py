"""How result types show themselves: one-line reprs, a small HTML card for notebooks, read-only arrays.

Every result type (`Prediction`, `FaceVerdict`, `Rejected`, and those added later) builds its `__repr__` with
`one_line` and its `_repr_html_` with `html_card`, and freezes its arrays with `freeze` in `__post_init__`,
so they all read the same way: the verdict first, a few rounded numbers, no arrays.

Example:
    >>> one_line("Prediction", "FAKE", prob_fake=0.97312, threshold=0.5, extra=("2 faces",))
    'Prediction(FAKE, prob_fake=0.973, threshold=0.500, 2 faces)'
    >>> from fakescope.runtime.images import ImageInfo
    >>> describe_image(ImageInfo(640, 480, "JPEG", "RGB", 1234, "a.jpg"))
    "'a.jpg' 640x480 JPEG"
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from fakescope.runtime.images import ImageInfo

THUMBNAIL_SIDE = 128
"""Longer side in pixels of the picture in a result's HTML card."""

VERDICT_COLORS = {"FAKE": "#c0392b", "REAL": "#1e8449", "UNSURE": "#b9770e"}
"""Colour of a verdict word in HTML cards (UNSURE amber); anything else (rejected) is grey."""


def freeze(obj: object, *names: str) -> None:
    """Replace each named array attribute of a (frozen) dataclass by a read-only view of it.

    A view, not a copy: the caller's array stays writeable and no pixels are copied. An array that is already
    read-only is kept as it is (so `dataclasses.replace` shares it).
    """
    for name in names:
        array = np.asarray(getattr(obj, name))
        if array.flags.writeable:
            array = array.view()
            array.flags.writeable = False
        object.__setattr__(obj, name, array)


def number(value: float) -> str:
    """A probability or score rounded for reading: three decimals."""
    return f"{value:.3f}"


def one_line(type_name: str, head: str | None = None, extra: Iterable[str] = (), **fields: object) -> str:
    """`Type(HEAD, key=value, ..., extra, ...)`: floats with three decimals, strings quoted, None left out."""
    parts = [head] if head else []
    for key, value in fields.items():
        if value is None:
            continue
        shown = number(value) if isinstance(value, float) else repr(value)
        parts.append(f"{key}={shown}")
    parts.extend(extra)
    return f"{type_name}({', '.join(parts)})"


def describe_image(info: ImageInfo) -> str:
    """`'a.jpg' 640x480 JPEG` (the name is left out when the image has none)."""
    size = f"{info.width}x{info.height} {info.format}"
    return f"{info.name!r} {size}" if info.name else size


def png_data_uri(pixels: np.ndarray, side: int = THUMBNAIL_SIDE) -> str:
    """uint8 (H, W, 3) pixels scaled to fit `side` and encoded as an inline `data:image/png;base64,` URI."""
    image = Image.fromarray(np.ascontiguousarray(pixels))
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    if max(image.size) < side:
        scale = side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def html_card(title: str, verdict: str, lines: Iterable[str] = (), picture: np.ndarray | None = None) -> str:
    """A small HTML block: the verdict word in its colour, a title, text lines and an optional thumbnail.

    All text is escaped; `picture` is uint8 (H, W, 3) pixels shown inline as a PNG.
    """
    color = VERDICT_COLORS.get(verdict, "#7f8c8d")
    image = ""
    if picture is not None and picture.size:
        image = (
            f'<img src="{png_data_uri(picture)}" alt="{html.escape(verdict)}" '
            'style="float:left;margin-right:8px;image-rendering:pixelated">'
        )
    text = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    return (
        f'<div style="font-family:sans-serif;overflow:auto">{image}'
        f'<div><b style="color:{color}">{html.escape(verdict)}</b> {html.escape(title)}</div>{text}</div>'
    )
