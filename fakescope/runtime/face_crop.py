"""Cut found faces out as the model was trained: the `FaceCrop` settings and the crop geometry.

A crop is a square around the face box, enlarged by `margin` on every side, moved inside the photo (never
padded), and optionally rotated so the eyes are level. `crop_transform` maps the crop back onto the photo.

Example:
    >>> settings = FaceCrop(enabled=True, margin=0.5)
    >>> face = Face((40, 40, 60, 60), 0.9, np.zeros((6, 2)))
    >>> face_crop_box(face, (100, 100), settings.margin)
    (30, 30, 70, 70)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

from fakescope.runtime.faces import Face

DEFAULT_MARGIN = 0.3
"""Margin added on every side of the face box, as a share of its longer side (the DFDC winner's third)."""


@dataclass(frozen=True)
class FaceCrop:
    """The face front-end a model was trained with, as its card declares it (`ModelCard.face_crop`).

    Args:
        enabled: find faces and judge each face's crop (else the centre crop). Defaults to False.
        margin: added on every side of the face box, as a share of its longer side; >= 0. Defaults to 0.3.
        align: rotate each crop so the eyes are level. Defaults to False.

    Example:
        >>> FaceCrop.from_dict({"enabled": True})
        FaceCrop(enabled=True, margin=0.3, align=False)
    """

    enabled: bool = False
    margin: float = DEFAULT_MARGIN
    align: bool = False

    def __post_init__(self) -> None:
        for key in ("enabled", "align"):
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"face_crop.{key} must be true or false; got {getattr(self, key)!r}")
        margin = self.margin
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not math.isfinite(margin):
            raise ValueError(f"face_crop.margin must be a number >= 0; got {margin!r}")
        if margin < 0:
            raise ValueError(f"face_crop.margin must be a number >= 0; got {margin!r}")
        object.__setattr__(self, "margin", float(margin))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaceCrop:
        """Settings from a card or training config entry; missing keys take the defaults.

        Raises:
            ValueError: unknown keys or wrong types.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"face_crop must be an object; got {type(data).__name__}")
        unknown = sorted(set(data) - {"enabled", "margin", "align"})
        if unknown:
            raise ValueError(f"face_crop has unknown keys: {', '.join(unknown)}")
        return cls(**data)


def face_crop_box(
    face: Face, image_size: tuple[int, int], margin: float = DEFAULT_MARGIN
) -> tuple[int, int, int, int]:
    """The square (left, top, right, bottom) crop of `face` inside an image of (width, height) pixels.

    The side is the face box's longer side times (1 + 2 * margin): `margin` is added on every side (the DFDC
    winner added about a third). Policy: never pad. The square is centred on the face box, shifted to lie
    inside the image when it sticks out, and shrunk to the image's shorter side when it cannot fit; so the
    crop holds only real pixels, stays square, and keeps the face as central as the photo allows.

    Example:
        >>> face_crop_box(Face((40, 40, 60, 60), 0.9, np.zeros((6, 2))), (100, 100), margin=0.5)
        (30, 30, 70, 70)
    """
    if margin < 0:
        raise ValueError(f"`margin` must be >= 0. Received: margin={margin}")
    width, height = image_size
    side = min(max(1, round(max(face.width, face.height) * (1 + 2 * margin))), width, height)
    cx, cy = face.center
    left = min(max(round(cx - side / 2), 0), width - side)
    top = min(max(round(cy - side / 2), 0), height - side)
    return (left, top, left + side, top + side)


def crop_face(
    pixels: np.ndarray, face: Face, margin: float = DEFAULT_MARGIN, align: bool = False
) -> np.ndarray:
    """The uint8 square crop of `face` (see `face_crop_box`), rotated upright by the eyes when `align`."""
    if align:
        return align_by_eyes(pixels, face, margin)
    left, top, right, bottom = face_crop_box(face, (pixels.shape[1], pixels.shape[0]), margin)
    return np.ascontiguousarray(pixels[top:bottom, left:right])


def crop_transform(
    face: Face, image_size: tuple[int, int], margin: float = DEFAULT_MARGIN, align: bool = False
) -> np.ndarray:
    """The 3x3 matrix taking (x, y, 1) in `crop_face`'s crop to the photo's pixels (continuous coordinates).

    Use it to draw the crop on the photo or to map a heatmap of the crop back (Pillow's AFFINE transform wants
    the inverse's first two rows). Without `align` it is a translation by the crop box's top-left corner.

    Example:
        >>> face = Face((40, 40, 60, 60), 0.9, np.zeros((6, 2)))
        >>> crop_transform(face, (100, 100), margin=0.5) @ [0, 0, 1]  # the crop's top-left corner
        array([30., 30., 1.])
    """
    left, top, right, _ = face_crop_box(face, image_size, margin)
    side = right - left
    angle = math.radians(face.eye_angle) if align else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = left + side / 2, top + side / 2
    return np.array(
        [
            [cos, -sin, cx - (cos - sin) * side / 2],
            [sin, cos, cy - (sin + cos) * side / 2],
            [0.0, 0.0, 1.0],
        ]
    )


def align_by_eyes(pixels: np.ndarray, face: Face, margin: float = DEFAULT_MARGIN) -> np.ndarray:
    """The uint8 square crop of `face_crop_box`'s size and centre, rotated so that the eyes are level.

    Corners the rotation brings in from outside the photo repeat its edge pixels (no black wedges).
    """
    image_size = (pixels.shape[1], pixels.shape[0])
    left, top, right, bottom = face_crop_box(face, image_size, margin)
    side = right - left
    reach = math.ceil(side * math.sqrt(0.5)) + 2  # half the diagonal, so any rotation stays in the window
    x0, y0 = (left + right) // 2 - reach, (top + bottom) // 2 - reach
    window = _edge_padded(pixels, x0, y0, 2 * reach)
    (a, b, c), (d, e, f), _ = crop_transform(face, image_size, margin, align=True)
    # Pillow's affine maps output (x, y) to input (a x + b y + c, d x + e y + f), in continuous coordinates.
    rotated = Image.fromarray(window).transform(
        (side, side), Image.Transform.AFFINE, (a, b, c - x0, d, e, f - y0), Image.Resampling.BILINEAR
    )
    return np.asarray(rotated, dtype=np.uint8)


def _edge_padded(pixels: np.ndarray, x0: int, y0: int, size: int) -> np.ndarray:
    """The size x size window of `pixels` at (x0, y0); parts outside the image repeat the nearest edge."""
    top, bottom, above = _span(y0, size, pixels.shape[0])
    left, right, before = _span(x0, size, pixels.shape[1])
    inside = pixels[top:bottom, left:right]
    pads = ((above, size - above - (bottom - top)), (before, size - before - (right - left)), (0, 0))
    if pads == ((0, 0), (0, 0), (0, 0)):
        return np.ascontiguousarray(inside)
    return np.pad(inside, pads, mode="edge")


def _span(start: int, size: int, limit: int) -> tuple[int, int, int]:
    """(first, end, edge copies before) of the pixels read by the window [start, start + size) of a side."""
    first = min(max(start, 0), limit - 1)
    end = max(min(start + size, limit), first + 1)
    return first, end, min(max(first - start, 0), size - (end - first))
