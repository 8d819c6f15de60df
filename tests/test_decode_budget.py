"""Bounded decoding cost: the memory budget computed from the header, refusal before decoding, strip-wise
conversion equal to the whole-image one, and the real peak memory of a 39-megapixel file."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from image_factory import encode
from PIL import Image, ImageOps

from fakescope.runtime import CorruptImageError, ImageLimits, ImageTooLargeError, load_image
from fakescope.runtime.budget import WEBP_CANVASES, WORK_BYTES, decode_cost, pixel_bytes
from fakescope.runtime.pixels import orient, to_rgb

MIB = 2**20


def _png_header(width: int, height: int, bit_depth: int, colour_type: int) -> bytes:
    """A PNG declaring a size and mode whose pixel data is garbage: decoding it can only fail."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"garbage") + chunk(b"IEND", b"")


def test_budget_counts_mode_times_pixels_and_the_output():
    data = _png_header(7800, 5000, 16, 0)  # 16-bit greyscale: Pillow's I;16, 2 bytes a pixel
    with Image.open(io.BytesIO(data)) as pil:
        cost = decode_cost(pil, (4096, 2626), file_size=len(data))
    assert (cost.frame, cost.output, cost.decoder, cost.work) == (
        7800 * 5000 * 2,
        4096 * 2626 * 3,
        len(data),
        WORK_BYTES,
    )
    assert cost.total == cost.frame + cost.decoder + cost.output + cost.work
    assert repr(cost).startswith(f"DecodeCost({round(cost.total / 1e6)} MB: frame 78,")
    assert [pixel_bytes(m) for m in ("1", "L", "P", "I;16", "RGB", "RGBA", "F", "CMYK")] == [
        1,
        1,
        1,
        2,
        4,
        4,
        4,
        4,
    ]


def test_budget_counts_the_decoders_own_buffers():
    webp = encode(np.zeros((48, 64, 4), np.uint8), "WEBP", lossless=True)
    with Image.open(io.BytesIO(webp)) as pil:
        assert decode_cost(pil, (64, 48)).decoder == WEBP_CANVASES * 4 * 64 * 48
    # a progressive 4:2:0 JPEG keeps every DCT coefficient: 2 bytes x (1 + 2 x 1/4) per pixel, at full size
    jpeg = encode(np.zeros((400, 640, 3), np.uint8), "JPEG", progressive=True, subsampling=2)
    with Image.open(io.BytesIO(jpeg)) as pil:
        pil.draft("RGB", (80, 50))
        assert pil.size == (80, 50)
        assert decode_cost(pil, (80, 50), declared_size=(640, 400)).decoder == 2 * 640 * 400 * 3 // 2
    # libtiff holds a copy of the file and one strip (here 16 rows of 4 bytes a pixel)
    tiff = encode(np.zeros((64, 80, 3), np.uint8), "TIFF", compression="tiff_adobe_deflate")
    with Image.open(io.BytesIO(tiff)) as pil:
        rows = min(64, int(pil.tag_v2[278]))
        assert decode_cost(pil, (80, 64), file_size=len(tiff)).decoder == rows * 80 * 4 + 2 * len(tiff)


def test_image_over_the_budget_is_refused_before_any_pixel_is_decoded():
    data = _png_header(7000, 5000, 8, 6)  # RGBA, 140 MB decoded; its pixel data cannot decode
    with pytest.raises(
        ImageTooLargeError, match=r"7000x5000 RGBA PNG would take about \d+ MiB.*budget of 100"
    ):
        load_image(data, ImageLimits(max_decode_bytes=100 * MIB))
    with pytest.raises(CorruptImageError):  # within the budget, the decoder is reached and fails
        load_image(data)


def test_default_budget_refuses_a_large_webp_but_not_a_large_png():
    big_webp = encode(Image.new("RGBA", (7800, 5000), (10, 20, 30, 128)), "WEBP", lossless=True)
    with pytest.raises(ImageTooLargeError, match="WEBP would take about"):
        load_image(big_webp)
    with Image.open(io.BytesIO(_png_header(7800, 5000, 8, 6))) as pil:  # RGBA, the costliest PNG mode
        assert decode_cost(pil, (4096, 2626), file_size=10 * MIB).total < ImageLimits().max_decode_bytes


def _reference_rgb(pil: Image.Image) -> np.ndarray:
    """The whole-image conversion (numpy over the full frame), as the loader did before strips."""
    mode = pil.mode
    if mode in ("I;16", "I"):
        grey = np.clip(np.rint(np.asarray(pil).astype(np.float64) / 257.0), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        values = np.nan_to_num(np.asarray(pil, dtype=np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        values = values * 255.0 if values.max() <= 1.0 else values
        return np.repeat(np.clip(np.rint(values), 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    if mode in ("RGBA", "LA"):
        white = Image.new("RGBA", pil.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, pil.convert("RGBA")).convert("RGB"))
    return np.asarray(pil.convert("RGB"))


def _images(width: int = 401, height: int = 299) -> dict[str, Image.Image]:
    rng = np.random.default_rng(0)
    floats = rng.random((height, width), np.float32)
    floats[0, 0], floats[5, 7] = np.nan, -np.inf
    return {
        "RGB": Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)),
        "RGBA": Image.fromarray(rng.integers(0, 256, (height, width, 4), np.uint8), "RGBA"),
        "LA": Image.fromarray(rng.integers(0, 256, (height, width, 4), np.uint8), "RGBA").convert("LA"),
        "I;16": Image.fromarray(rng.integers(0, 65536, (height, width), np.uint16)),
        "I": Image.fromarray(rng.integers(-1000, 70000, (height, width)).astype(np.int32), "I"),
        "F": Image.fromarray(floats, "F"),
        "1": Image.fromarray(rng.integers(0, 2, (height, width)).astype(bool)),
        "P": Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).convert("P"),
        "CMYK": Image.fromarray(rng.integers(0, 256, (height, width, 4), np.uint8), "CMYK"),
    }


@pytest.mark.parametrize("strip_pixels", [300, 20_000])  # tiles of one row band / bands of whole rows
@pytest.mark.parametrize("mode", list(_images(8, 8)))
def test_strip_conversion_equals_the_whole_image_conversion(mode, strip_pixels):
    pil = _images()[mode]
    reference = _reference_rgb(pil)
    assert np.array_equal(to_rgb(pil, pil.size, strip_pixels=strip_pixels), reference)
    for size in [(173, 129), (200, 149), (400, 298)]:
        resized = np.asarray(Image.fromarray(reference).resize(size, Image.Resampling.BILINEAR))
        got = to_rgb(pil, size, strip_pixels=strip_pixels)  # each piece resized over its own box
        # Pillow reads a resize box as 32-bit floats: a strip's window may differ by a rounding step
        assert np.abs(got.astype(np.int16) - resized).max() <= 1


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_exif_transpose(orientation):
    image = Image.fromarray(np.random.default_rng(orientation).integers(0, 256, (5, 7, 3), np.uint8))
    exif = image.getexif()
    exif[0x0112] = orientation
    tagged = Image.open(io.BytesIO(encode(image, "PNG", exif=exif.tobytes())))
    expected = np.asarray(ImageOps.exif_transpose(tagged))
    assert np.array_equal(orient(np.asarray(image), orientation), expected)


PEAK = """
import json, sys
from PIL import Image
from fakescope.runtime.budget import decode_cost
from fakescope.runtime.images import load_image
def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
with Image.open(sys.argv[1]) as probe:
    size = len(open(sys.argv[1], "rb").read())
    cost = decode_cost(probe, (int(sys.argv[2]), int(sys.argv[3])), file_size=size)
base = peak()
pixels = load_image(sys.argv[1]).pixels
print(json.dumps({"grown": peak() - base, "cost": cost.total, "shape": pixels.shape}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads VmHWM from /proc")
@pytest.mark.parametrize(
    ("kind", "size", "out"),
    [("I;16", (7800, 5000), (4096, 2626)), ("RGBA-webp", (4000, 2800), (4000, 2800))],
)
def test_real_peak_memory_stays_within_the_estimated_cost(tmp_path, kind, size, out):
    ramp = np.linspace(0, 1, size[0], dtype=np.float32)[None, :] + np.linspace(0, 0.3, size[1])[:, None]
    if kind == "I;16":
        path = tmp_path / "deep.png"
        Image.fromarray((ramp % 1.0 * 65535).astype(np.uint16)).save(path, compress_level=1)
    else:
        path = tmp_path / "alpha.webp"
        channel = (ramp % 1.0 * 255).astype(np.uint8)
        Image.fromarray(np.stack([channel] * 4, axis=2), "RGBA").save(path, quality=10, method=0)
    code = [sys.executable, "-c", PEAK, str(path), str(out[0]), str(out[1])]
    report = json.loads(subprocess.run(code, capture_output=True, text=True, check=True).stdout)
    assert report["shape"] == [out[1], out[0], 3]
    assert report["grown"] <= report["cost"] <= ImageLimits().max_decode_bytes
