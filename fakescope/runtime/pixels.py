"""Turn a decoded Pillow image of any mode into RGB uint8 at its output size, one strip of rows at a time.

Converting a whole 40-megapixel image at once costs several copies of it (16-bit greyscale through float64 is
over 1 GB); here each strip of about a million pixels is converted (transparency composited on white, 16-bit
scaled, floats mapped to 0..255) and, when the output is smaller, resized straight into the output array with
Pillow's bilinear filter over a source box, so the whole image exists only once, in its decoded mode.

Example:
    >>> pixels = to_rgb(Image.new("RGBA", (400, 300), (0, 0, 0, 0)), (200, 150))   # transparent: white
    >>> pixels.shape, int(pixels.min())
    ((150, 200, 3), 255)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image

STRIP_PIXELS = 1 << 20
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
        strip_pixels: source pixels converted at once (bands of whole rows, or tiles of a band when one
            row is wider than that). Defaults to `STRIP_PIXELS`.
    """
    width, height = pil.size
    out_w, out_h = out_size
    out = np.empty((out_h, out_w, 3), np.uint8)
    convert = _converter(pil)
    resize = (out_w, out_h) != (width, height)
    sx, sy = width / out_w, height / out_h
    mx, my = (_margin(sx), _margin(sy)) if resize else (0, 0)
    for c0, c1, r0, r1 in _tiles(out_w, out_h, sx, sy, mx, my, strip_pixels):
        left, right, x0, x1 = _span(c0, c1, out_w, sx, mx, width)
        top, bottom, y0, y1 = _span(r0, r1, out_h, sy, my, height)
        size = (c1 - c0, r1 - r0)
        if not resize:
            piece = convert(pil.crop((x0, y0, x1, y1)))
        elif pil.mode == "RGB":  # resized straight from the decoded frame, without a copy of it
            piece = pil.resize(size, Image.Resampling.BILINEAR, box=(left, top, right, bottom))
        else:
            box = (left - x0, top - y0, right - x0, bottom - y0)
            piece = convert(pil.crop((x0, y0, x1, y1))).resize(size, Image.Resampling.BILINEAR, box=box)
        values = np.asarray(piece, dtype=np.uint8)
        out[r0:r1, c0:c1] = values[..., None] if values.ndim == 2 else values
    return out


def _margin(scale: float) -> int:
    """Source pixels a tile needs beyond its box: the bilinear window reaches `scale` pixels each side."""
    return math.ceil(max(scale, 1.0)) + 2


def _span(first: int, last: int, count: int, scale: float, margin: int, limit: int):
    """(low, high) source coordinates of output pixels [first, last), and the whole pixels around them."""
    low, high = first * scale, (limit if last == count else last * scale)
    return low, high, max(0, math.floor(low) - margin), min(limit, math.ceil(high) + margin)


def _tiles(out_w: int, out_h: int, sx: float, sy: float, mx: int, my: int, strip_pixels: int):
    """Output boxes (c0, c1, r0, r1) whose source, margins included, is about `strip_pixels` pixels."""
    rows, cols = math.floor((strip_pixels / (out_w * sx + 2 * mx) - 2 * my) / sy), out_w
    if rows < 1:  # one row of the image is wider than a strip: tiles of one output row
        rows, cols = 1, max(1, math.floor((strip_pixels / (sy + 2 * my) - 2 * mx) / sx))
    for r0 in range(0, out_h, rows):
        for c0 in range(0, out_w, cols):
            yield c0, min(out_w, c0 + cols), r0, min(out_h, r0 + rows)


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
    boxes = _tiles(width, height, 1.0, 1.0, 0, 0, STRIP_PIXELS)
    peaks = [_finite(pil.crop((c0, r0, c1, r1))).max() for c0, c1, r0, r1 in boxes]
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
