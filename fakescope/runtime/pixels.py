"""Turn a decoded Pillow image of any mode into RGB uint8 at its output size, one strip of rows at a time.

Converting a whole 40-megapixel image at once costs several copies of it (16-bit greyscale through float64 is
over 1 GB); here each strip of about two million pixels is converted (transparency composited on white, 16-bit
scaled, floats mapped to 0..255) and, when the output is smaller, resized straight into the output array with
Pillow's bilinear filter over a source box, so the whole image exists only once, in its decoded mode.

Example:
    >>> pixels = to_rgb(Image.open("scan.png"), (4096, 2626))
    >>> pixels.shape, pixels.dtype
    ((2626, 4096, 3), dtype('uint8'))
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

STRIP_PIXELS = 1 << 21
"""Source pixels converted at once; the working memory of a strip is a few times this many bytes."""

SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
_TRANSPOSE = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
    8: lambda a: np.rot90(a, 1),
}


def to_rgb(pil: Image.Image, out_size: tuple[int, int], strip_pixels: int = STRIP_PIXELS) -> np.ndarray:
    """RGB uint8 (H, W, 3) of a loaded image at `out_size` (w, h), bilinear when smaller than the image.

    Args:
        pil: a loaded image of any mode.
        out_size: the output (w, h); at most the image's size.
        strip_pixels: source pixels converted at once. Defaults to `STRIP_PIXELS`.
    """
    width, height = pil.size
    out_w, out_h = out_size
    out = np.empty((out_h, out_w, 3), np.uint8)
    if pil.mode == "RGB":  # resized or copied straight from the decoded frame, no conversion
        rows = max(1, strip_pixels // width)
        for first in range(0, out_h, rows):
            last = min(out_h, first + rows)
            box = (0, first * height / out_h, width, last * height / out_h)
            out[first:last] = np.asarray(
                pil.resize((out_w, last - first), Image.Resampling.BILINEAR, box=box)
            )
        return out
    convert = _converter(pil)
    if (out_w, out_h) == (width, height):
        rows = max(1, strip_pixels // width)
        for top in range(0, height, rows):
            _put(out, top, convert(pil.crop((0, top, width, min(height, top + rows)))))
        return out
    scale = height / out_h
    margin = math.ceil(max(scale, 1.0)) + 2  # the bilinear window reaches `scale` rows each side
    rows = max(1, strip_pixels // (width * math.ceil(scale)))
    for first in range(0, out_h, rows):
        last = min(out_h, first + rows)
        top, bottom = first * scale, last * scale
        start, stop = max(0, math.floor(top) - margin), min(height, math.ceil(bottom) + margin)
        strip = convert(pil.crop((0, start, width, stop)))
        box = (0, top - start, width, bottom - start)
        _put(out, first, strip.resize((out_w, last - first), Image.Resampling.BILINEAR, box=box))
    return out


def _put(out: np.ndarray, first: int, piece: Image.Image) -> None:
    """Write an "L" or "RGB" piece into the output rows from `first` (greyscale to all three channels)."""
    values = np.asarray(piece, dtype=np.uint8)
    out[first : first + values.shape[0]] = values[..., None] if values.ndim == 2 else values


def orient(pixels: np.ndarray, orientation: int | None) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to (H, W, 3) pixels, as `ImageOps.exif_transpose` would."""
    transpose = _TRANSPOSE.get(orientation)
    return pixels if transpose is None else np.ascontiguousarray(transpose(pixels))


def _converter(pil: Image.Image) -> Callable[[Image.Image], Image.Image]:
    """A function from a strip of `pil` to the same strip in "L" (greyscale sources) or "RGB"."""
    mode = pil.mode
    if mode in SIXTEEN_BIT or mode == "I":
        return _sixteen_bit
    if mode == "F":
        return _floats(scale=255.0 if _float_max(pil) <= 1.0 else 1.0)
    if (
        mode in _ALPHA_MODES
        or (mode == "P" and "transparency" in pil.info)
        or (mode == "L" and "transparency" in pil.info)
    ):
        return _on_white
    if mode in ("1", "L"):
        return lambda strip: strip.convert("L")
    return lambda strip: strip.convert("RGB")


_TO_BYTE = np.rint(np.arange(65536) / 257.0).astype(np.uint8)
"""16-bit value -> 8-bit: rint(v / 257)."""


def _sixteen_bit(strip: Image.Image) -> Image.Image:
    """16-bit (or 32-bit integer) greyscale to 8 bits: rint(v / 257), clipped to 0..255."""
    values = np.asarray(strip)
    if values.dtype.itemsize > 2:
        values = np.clip(values, 0, 65535)
    return Image.fromarray(_TO_BYTE[values], "L")


def _finite(strip: Image.Image) -> np.ndarray:
    values = np.asarray(strip).astype(np.float64)
    return np.nan_to_num(values, copy=False, nan=0.0, posinf=255.0, neginf=0.0)


def _float_max(pil: Image.Image) -> float:
    """The largest value once NaN and infinities are mapped (NaN -> 0, +inf -> 255, -inf -> 0).

    Pillow's extrema skip NaN unless the first pixel is one; only then is the image scanned strip by strip.
    """
    peak = pil.getextrema()[1]
    if not math.isnan(peak):
        return max(float(peak), 0.0) if math.isfinite(peak) else (255.0 if peak > 0 else 0.0)
    width, height = pil.size
    rows = max(1, STRIP_PIXELS // width)
    peaks = [
        _finite(pil.crop((0, top, width, min(height, top + rows)))).max() for top in range(0, height, rows)
    ]
    return float(max(peaks, default=0.0))


def _floats(scale: float) -> Callable[[Image.Image], Image.Image]:
    def convert(strip: Image.Image) -> Image.Image:
        values = _finite(strip)
        if scale != 1.0:
            values *= scale
        np.clip(np.rint(values, out=values), 0, 255, out=values)
        return Image.fromarray(values.astype(np.uint8), "L")

    return convert


def _on_white(strip: Image.Image) -> Image.Image:
    rgba = strip if strip.mode == "RGBA" else strip.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB")
