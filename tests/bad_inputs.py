"""Generate the hostile-input corpus: each file with the outcome fakescope must give it.

Run `python tests/bad_inputs.py [OUT_DIR]` (default tests/data/bad_inputs, gitignored) to write the files and
`expectations.json`; the tests call `write_corpus(tmp_path)` themselves. Every case is built here with Pillow,
numpy and the stdlib: nothing is hand-collected or downloaded.
"""

from __future__ import annotations

import io
import json
import struct
import sys
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ACCEPT = "accept"


@dataclass(frozen=True)
class Case:
    """One corpus file: its name, bytes, and the error class name expected (or "accept")."""

    name: str
    expect: str
    note: str
    size: tuple[int, int] | None = None  # (width, height) reported for accepted files


def _smooth(height: int, width: int, seed: int = 0, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, height // 16), max(2, width // 16), channels), dtype=np.uint8)
    image = Image.fromarray(small.squeeze() if channels == 1 else small)
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR))


def _save(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 99))


def _gif_huge_screen() -> bytes:
    """A GIF whose logical screen is 65535x65535 with one 1x1 frame."""
    header = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return header + frame + b";"


def _bad_crc_png() -> bytes:
    data = bytearray(_save(Image.fromarray(_smooth(64, 64)), "PNG"))
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    data[idat + 4 + length] ^= 0xFF
    return bytes(data)


def _exif_rotated() -> bytes:
    image = Image.fromarray(_smooth(60, 100, seed=5))
    exif = image.getexif()
    exif[0x0112] = 6
    return _save(image, "JPEG", exif=exif.tobytes())


def _huge_exif() -> bytes:
    image = Image.fromarray(_smooth(64, 64, seed=6))
    exif = image.getexif()
    exif[0x010E] = "x" * 60000  # ImageDescription: a 60 kB EXIF block
    return _save(image, "JPEG", exif=exif.tobytes())


def _animated_gif() -> bytes:
    frames = [Image.fromarray(_smooth(48, 48, seed=s)) for s in range(3)]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:])


def _multipage_tiff() -> bytes:
    pages = [Image.fromarray(_smooth(48, 48, seed=s)) for s in range(3)]
    return _save(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def _palette_transparent() -> bytes:
    image = Image.fromarray(_smooth(48, 48, seed=7)).convert("P", palette=Image.Palette.ADAPTIVE)
    return _save(image, "PNG", transparency=0)


def _over_ten_mb() -> bytes:
    noise = np.random.default_rng(1).integers(0, 256, (2000, 2000, 3), dtype=np.uint8)
    return _save(Image.fromarray(noise), "PNG", compress_level=0)


def _big_jpeg() -> bytes:
    return _save(Image.fromarray(_smooth(500, 500, seed=8)).resize((5000, 5000)), "JPEG", quality=70)


def _random(size: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def _truncated(fmt: str) -> bytes:
    data = _save(Image.fromarray(_smooth(256, 256, seed=9)), fmt)
    return data[: len(data) // 2]


def _image(array: np.ndarray, fmt: str, mode: str | None = None, **params) -> Callable[[], bytes]:
    return lambda: _save(Image.fromarray(array, mode) if mode else Image.fromarray(array), fmt, **params)


CASES: list[tuple[Case, Callable[[], bytes]]] = [
    (Case("zero_bytes.jpg", "UnsupportedFormatError", "empty file"), lambda: b""),
    (Case("random_bytes.jpg", "UnsupportedFormatError", "4 kB of noise"), lambda: _random(4096, 0)),
    (Case("text.png", "UnsupportedFormatError", "plain text"), lambda: b"hello, not a picture\n" * 20),
    (Case("page.png", "UnsupportedFormatError", "HTML"), lambda: b"<html><script>alert(1)</script></html>"),
    (
        Case("vector.svg", "UnsupportedFormatError", "SVG"),
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="99" height="99"><circle r="9"/></svg>',
    ),
    (Case("doc.pdf", "UnsupportedFormatError", "PDF"), lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"),
    (Case("truncated.png", "CorruptImageError", "PNG cut in half"), lambda: _truncated("PNG")),
    (Case("truncated.jpg", "CorruptImageError", "JPEG cut in half"), lambda: _truncated("JPEG")),
    (Case("bad_crc.png", "CorruptImageError", "IDAT CRC flipped"), _bad_crc_png),
    (
        Case("bomb.png", "ImageTooLargeError", "180-byte PNG declaring 30000x30000"),
        lambda: _png_bomb(30000, 30000),
    ),
    (Case("huge_screen.gif", "ImageTooLargeError", "GIF with a 65535x65535 screen"), _gif_huge_screen),
    (Case("one_pixel.png", "ImageTooSmallError", "1x1"), _image(np.zeros((1, 1, 3), np.uint8), "PNG")),
    (Case("side_31.png", "ImageTooSmallError", "31x31"), _image(_smooth(31, 31), "PNG")),
    (Case("side_32.png", ACCEPT, "32x32, the smallest accepted", (32, 32)), _image(_smooth(32, 32), "PNG")),
    (Case("wide_4000x33.png", ACCEPT, "extreme aspect", (4000, 33)), _image(_smooth(33, 4000), "PNG")),
    (
        Case("grey16.png", ACCEPT, "16-bit greyscale", (64, 48)),
        _image(np.linspace(0, 65535, 48 * 64).reshape(48, 64).astype(np.uint16), "PNG"),
    ),
    (
        Case("cmyk.jpg", ACCEPT, "CMYK JPEG", (48, 48)),
        lambda: _save(Image.fromarray(_smooth(48, 48)).convert("CMYK"), "JPEG"),
    ),
    (Case("palette_transparent.png", ACCEPT, "P mode with transparency", (48, 48)), _palette_transparent),
    (Case("la.png", ACCEPT, "LA", (48, 48)), _image(_smooth(48, 48, channels=2), "PNG", "LA")),
    (Case("rgba.png", ACCEPT, "RGBA", (48, 48)), _image(_smooth(48, 48, channels=4), "PNG", "RGBA")),
    (
        Case("one_bit.bmp", ACCEPT, "1-bit BMP", (48, 48)),
        lambda: _save(Image.fromarray(_smooth(48, 48)).convert("1"), "BMP"),
    ),
    (Case("animated.gif", ACCEPT, "3 frames", (48, 48)), _animated_gif),
    (Case("multipage.tiff", ACCEPT, "3 pages", (48, 48)), _multipage_tiff),
    (Case("photo.webp", ACCEPT, "WebP", (64, 40)), _image(_smooth(40, 64), "WEBP")),
    (
        Case("exif_rotated.jpg", ACCEPT, "EXIF orientation 6: 100x60 stored, 60x100 shown", (60, 100)),
        _exif_rotated,
    ),
    (Case("huge_exif.jpg", ACCEPT, "60 kB EXIF description", (64, 64)), _huge_exif),
    (Case("over_10mb.png", "ImageTooLargeError", "12 MB uncompressed PNG"), _over_ten_mb),
    (Case("big_5000.jpg", ACCEPT, "5000x5000 JPEG, downscaled to 4096", (5000, 5000)), _big_jpeg),
    (
        Case("float.tiff", ACCEPT, "32-bit float TIFF", (40, 40)),
        _image(np.linspace(0, 1, 1600, dtype=np.float32).reshape(40, 40), "TIFF", "F"),
    ),
    (
        Case("icon.ico", "UnsupportedFormatError", "ICO is not a supported format"),
        lambda: _save(Image.fromarray(_smooth(48, 48)), "ICO"),
    ),
    (
        Case("zip_appended.png", ACCEPT, "PNG followed by a ZIP archive", (48, 48)),
        lambda: _save(Image.fromarray(_smooth(48, 48)), "PNG") + b"PK\x03\x04" + _random(2048, 3),
    ),
    (
        Case("jpeg_named.png", ACCEPT, "a JPEG with a .png name: content decides", (48, 48)),
        lambda: _save(Image.fromarray(_smooth(48, 48)), "JPEG"),
    ),
]


def write_corpus(folder: str | Path) -> list[Case]:
    """Write every case into `folder` with `expectations.json`; returns the cases."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for case, make in CASES:
        (folder / case.name).write_bytes(make())
    (folder / "expectations.json").write_text(json.dumps([asdict(case) for case, _ in CASES], indent=2))
    return [case for case, _ in CASES]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data" / "bad_inputs"
    print(f"wrote {len(write_corpus(target))} files to {target}")
