"""The peak memory of decoding one image, computed from its header before any pixel is decoded.

    cost = frame   (the decoded image: Pillow stores 1, 2 or 4 bytes a pixel, by mode)
         + decoder (the file's bytes and the decoder's own buffers: WebP's canvases, libtiff's copy of the
                    file and one strip or tile, the DCT coefficients of a progressive JPEG, a GIF's canvas)
         + output  (RGB uint8 at the output size, 3 bytes a pixel)
         + work    (one strip of the conversion to RGB, a constant)

`load_image` refuses an image whose cost is over `ImageLimits.max_decode_bytes`, so no accepted file can make
the decoding of one image cost more than that.

Example:
    >>> decode_cost(Image.new("I;16", (780, 500)), (780, 500))   # 16-bit greyscale: 2 bytes a pixel
    DecodeCost(27 MB: frame 1, decoder 0, output 1, work 25)
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from fakescope.runtime.pixels import SIXTEEN_BIT, STRIP_PIXELS

PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, **dict.fromkeys(SIXTEEN_BIT, 2)}
"""Bytes a pixel in Pillow's memory for modes below 4 (every other mode, RGB included, takes 4)."""

WEBP_CANVASES = 3
"""libwebp's animation decoder (Pillow's WebP reader) keeps two RGBA canvases and hands over a copy."""

WORK_BYTES = STRIP_PIXELS * 24
"""A strip, its conversions (RGBA, composited, RGB) and the resized piece, 4 bytes a pixel each."""

_FLOAT_WORK = STRIP_PIXELS * 8  # the float64 copy of a float strip


@dataclass(frozen=True)
class DecodeCost:
    """Bytes of each part of decoding one image; `total` is what the budget is checked against."""

    frame: int
    decoder: int
    output: int
    work: int

    @property
    def total(self) -> int:
        return self.frame + self.decoder + self.output + self.work

    def __repr__(self) -> str:
        mb = [round(v / 1e6) for v in (self.total, self.frame, self.decoder, self.output, self.work)]
        return f"DecodeCost({mb[0]} MB: frame {mb[1]}, decoder {mb[2]}, output {mb[3]}, work {mb[4]})"


def pixel_bytes(mode: str) -> int:
    """Bytes a pixel of `mode` takes in a Pillow image."""
    return PIXEL_BYTES.get(mode, 4)


def decode_cost(
    pil: Image.Image,
    out_size: tuple[int, int],
    declared_size: tuple[int, int] | None = None,
    file_size: int = 0,
) -> DecodeCost:
    """The cost of decoding `pil` (opened, not loaded) to RGB at `out_size` (w, h).

    Args:
        pil: the opened image, after any JPEG draft (its size is the size it will decode to).
        out_size: the (w, h) of the RGB output.
        declared_size: the header's (w, h) before a draft. Defaults to `pil.size`.
        file_size: bytes of the encoded file held in memory. Defaults to 0.
    """
    width, height = pil.size
    pixels = width * height
    fmt = pil.format or ""
    if fmt == "WEBP":
        decoder = WEBP_CANVASES * 4 * pixels
    elif fmt == "TIFF":
        decoder = _tiff_buffer(pil) + file_size
    elif fmt == "GIF":  # the first frame is decoded onto a canvas Pillow keeps beside it
        decoder = pixel_bytes(pil.mode) * pixels
    elif fmt in ("JPEG", "MPO") and pil.info.get("progressive"):
        decoder = _jpeg_coefficients(pil, declared_size or pil.size)
    else:
        decoder = 0
    work = WORK_BYTES + (_FLOAT_WORK if pil.mode == "F" else 0)
    return DecodeCost(
        pixel_bytes(pil.mode) * pixels, decoder + file_size, out_size[0] * out_size[1] * 3, work
    )


def _tiff_buffer(pil: Image.Image) -> int:
    """One strip or tile as stored (libtiff reads one at a time), or a whole RGBA frame for YCbCr files."""
    tags = getattr(pil, "tag_v2", {})
    width, height = pil.size
    if tags.get(262) == 6:  # YCbCr photometric: libtiff decodes through a full RGBA raster
        return 4 * width * height
    if 322 in tags and 323 in tags:
        return _as_int(tags[322], width) * _as_int(tags[323], height) * 4
    rows = min(height, _as_int(tags.get(278), height))
    return rows * width * 4


def _jpeg_coefficients(pil: Image.Image, size: tuple[int, int]) -> int:
    """libjpeg keeps every DCT coefficient (2 bytes) of a progressive file, at full size, per component."""
    width, height = size
    layers = getattr(pil, "layer", None) or [("", 1, 1, 0)] * 3
    h_max = max(layer[1] for layer in layers) or 1
    v_max = max(layer[2] for layer in layers) or 1
    share = sum(layer[1] * layer[2] for layer in layers) / (h_max * v_max)
    return int(2 * width * height * share)


def _as_int(value: object, default: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
