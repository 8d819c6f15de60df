"""The image loader: every supported format and mode, every limit, every typed error."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from image_factory import encode, random_rgb
from PIL import Image

from fakescope.runtime import (
    CorruptImageError,
    ImageLimits,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    UnsupportedFormatError,
    load_image,
)

PIXELS = random_rgb(48, 64, seed=3)


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP"])
def test_lossless_formats_decode_to_the_exact_pixels(fmt):
    params = {"lossless": True} if fmt == "WEBP" else {}
    decoded = load_image(encode(PIXELS, fmt, **params))
    np.testing.assert_array_equal(decoded.pixels, PIXELS)
    assert decoded.info.format == fmt
    assert (decoded.info.width, decoded.info.height) == (64, 48)


def test_jpeg_decodes_close_to_the_source():
    decoded = load_image(encode(PIXELS, "JPEG", quality=95))
    assert decoded.info.format == "JPEG" and decoded.pixels.shape == (48, 64, 3)
    assert np.abs(decoded.pixels.astype(int) - PIXELS).mean() < 4


def test_gif_first_frame_of_an_animation():
    frames = [Image.fromarray(np.full((40, 40, 3), v, np.uint8)) for v in (10, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    decoded = load_image(buffer.getvalue())
    assert decoded.info.format == "GIF"
    assert abs(int(decoded.pixels.mean()) - 10) <= 2


def test_tiff_first_page_of_a_multipage_file():
    pages = [Image.fromarray(np.full((40, 40, 3), v, np.uint8)) for v in (30, 220)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    assert load_image(buffer.getvalue()).pixels.mean() == 30


@pytest.mark.parametrize(
    "data",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg' width='64' height='64'></svg>",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        b"<html><body>hello</body></html>",
        b"just some text, not an image",
        bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
    ],
    ids=["svg", "pdf", "html", "text", "random"],
)
def test_non_images_are_unsupported(data):
    with pytest.raises(UnsupportedFormatError, match="not a PNG, JPEG"):
        load_image(data, name="upload.png")


def test_ico_is_unsupported():
    with pytest.raises(UnsupportedFormatError):
        load_image(encode(Image.fromarray(PIXELS).resize((48, 48)), "ICO"))


def test_empty_file_is_unsupported():
    with pytest.raises(UnsupportedFormatError, match="empty"):
        load_image(b"")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_files_are_corrupt(fmt):
    data = encode(random_rgb(256, 256), fmt)
    with pytest.raises(CorruptImageError):
        load_image(data[: len(data) // 2])


def test_png_with_a_bad_crc_is_corrupt():
    data = bytearray(encode(PIXELS, "PNG"))
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    data[idat + 4 + length] ^= 0xFF  # first byte of the IDAT chunk's CRC
    with pytest.raises(CorruptImageError):
        load_image(bytes(data))


def test_png_with_a_zip_appended_is_accepted():
    decoded = load_image(encode(PIXELS, "PNG") + b"PK\x03\x04" + b"\x00" * 100)
    np.testing.assert_array_equal(decoded.pixels, PIXELS)


def _png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring a huge canvas, with a tiny (incomplete) pixel stream."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _png_declaring(30000, 30000)
    assert len(bomb) < 200
    with pytest.raises(ImageTooLargeError, match="900000000 pixels"):
        load_image(bomb)
    with pytest.raises(ImageTooLargeError, match="3000x3000"):
        load_image(_png_declaring(3000, 3000), ImageLimits(max_pixels=1_000_000))


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.png"
    path.write_bytes(encode(PIXELS, "PNG"))
    limits = ImageLimits(max_file_bytes=1000)
    with pytest.raises(ImageTooLargeError, match="over the limit"):
        load_image(path, limits)
    with pytest.raises(ImageTooLargeError):
        load_image(path.read_bytes(), limits)
    with path.open("rb") as handle, pytest.raises(ImageTooLargeError):
        load_image(handle, limits)


@pytest.mark.parametrize(
    ("width", "height", "ok"), [(32, 32, True), (31, 31, False), (1, 1, False), (4000, 33, True)]
)
def test_minimum_side(width, height, ok):
    data = encode(np.zeros((height, width, 3), np.uint8), "PNG")
    if ok:
        assert load_image(data).pixels.shape == (height, width, 3)
    else:
        with pytest.raises(ImageTooSmallError, match=f"{width}x{height}"):
            load_image(data)


def test_large_images_are_downscaled_not_refused():
    big = np.asarray(Image.fromarray(random_rgb(100, 100)).resize((5000, 2500)))
    decoded = load_image(encode(big, "JPEG", quality=80))
    assert (decoded.info.width, decoded.info.height) == (5000, 2500)
    assert max(decoded.pixels.shape[:2]) == 4096
    assert decoded.pixels.shape[0] == pytest.approx(2048, abs=2)


def test_limits_are_configurable():
    data = encode(random_rgb(200, 300), "PNG")
    decoded = load_image(data, ImageLimits(max_side=100))
    assert decoded.pixels.shape == (67, 100, 3)
    with pytest.raises(ImageTooSmallError):
        load_image(data, ImageLimits(min_side=250))
    with pytest.raises(ImageTooLargeError):
        load_image(data, ImageLimits(max_pixels=1000))
    with pytest.raises(ValueError, match="min_side"):
        ImageLimits(min_side=0)


def test_exif_orientation_is_applied():
    pixels = np.zeros((40, 80, 3), np.uint8)
    pixels[:, :40] = (255, 0, 0)  # left half red, right half blue
    pixels[:, 40:] = (0, 0, 255)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    decoded = load_image(encode(image, "JPEG", quality=95, exif=exif.tobytes()))
    assert (decoded.info.width, decoded.info.height) == (40, 80)
    assert decoded.pixels.shape == (80, 40, 3)
    top, bottom = decoded.pixels[5, 20], decoded.pixels[-5, 20]
    assert top[0] > 200 and top[2] < 60  # the left (red) half is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_damaged_exif_block_does_not_stop_decoding():
    image = Image.fromarray(PIXELS)
    decoded = load_image(encode(image, "JPEG", exif=b"Exif\x00\x00" + b"\xff" * 60000))
    assert decoded.pixels.shape == (48, 64, 3)


def test_rgba_is_composited_on_white():
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :20, 3] = 255  # left opaque red, right fully transparent
    rgba[:, 20:, 3] = 0
    decoded = load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    np.testing.assert_array_equal(decoded.pixels[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(decoded.pixels[0, 39], [255, 255, 255])
    assert decoded.info.mode == "RGBA"


def test_la_half_transparent_blends_with_white():
    la = np.zeros((40, 40, 2), np.uint8)
    la[..., 1] = 128  # black at half opacity
    decoded = load_image(encode(Image.fromarray(la, "LA"), "PNG"))
    assert abs(int(decoded.pixels[0, 0, 0]) - 127) <= 1


def test_palette_with_transparency_is_composited_on_white():
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 255, 0] + [10, 10, 10] * 255)
    image.paste(1, (20, 0, 40, 40))
    decoded = load_image(encode(image, "PNG", transparency=0))
    np.testing.assert_array_equal(decoded.pixels[0, 0], [255, 255, 255])
    np.testing.assert_array_equal(decoded.pixels[0, 30], [10, 10, 10])


def test_greyscale_is_replicated_to_three_channels():
    grey = random_rgb(40, 40)[..., 0]
    decoded = load_image(encode(Image.fromarray(grey, "L"), "PNG"))
    for channel in range(3):
        np.testing.assert_array_equal(decoded.pixels[..., channel], grey)


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    values = np.linspace(0, 65535, 64 * 64).reshape(64, 64).astype(np.uint16)
    decoded = load_image(encode(Image.fromarray(values), "PNG"))
    expected = np.rint(values / 257.0).astype(np.uint8)
    np.testing.assert_array_equal(decoded.pixels[..., 0], expected)
    assert decoded.pixels.max() == 255 and decoded.pixels.min() == 0


def test_one_bit_bmp():
    bits = (random_rgb(40, 48)[..., 0] > 128).astype(np.uint8) * 255
    decoded = load_image(encode(Image.fromarray(bits).convert("1"), "BMP"))
    np.testing.assert_array_equal(decoded.pixels[..., 1], bits)


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # pure red in CMYK
    decoded = load_image(encode(cmyk, "JPEG", quality=95))
    red, green, blue = decoded.pixels[20, 20].astype(int)
    assert red > 200 and green < 60 and blue < 60
    assert decoded.info.mode == "CMYK"


def test_float_tiff_in_unit_range_is_scaled():
    values = np.linspace(0.0, 1.0, 40 * 40, dtype=np.float32).reshape(40, 40)
    decoded = load_image(encode(Image.fromarray(values, "F"), "TIFF"))
    np.testing.assert_array_equal(decoded.pixels[..., 2], np.rint(values * 255).astype(np.uint8))


def test_inputs_of_every_kind_give_the_same_pixels(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(encode(PIXELS, "PNG"))
    sources = [
        path,
        str(path),
        path.read_bytes(),
        io.BytesIO(path.read_bytes()),
        Image.fromarray(PIXELS),
        PIXELS,
    ]
    for source in sources:
        np.testing.assert_array_equal(load_image(source).pixels, PIXELS)
    assert load_image(path).info.file_size == path.stat().st_size
    assert load_image(path).info.name == "x.png"


def test_image_info_reports_what_a_person_wants():
    info = load_image(encode(PIXELS, "PNG"), name="a.png").info
    assert info.as_dict() == {
        "name": "a.png",
        "width": 64,
        "height": 48,
        "format": "PNG",
        "mode": "RGB",
        "aspect_ratio": round(64 / 48, 4),
        "file_size": len(encode(PIXELS, "PNG")),
    }


@pytest.mark.parametrize(
    "array",
    [np.zeros((40, 40), np.uint8), np.zeros((40, 40, 3), np.float32), np.zeros((40, 40, 4), np.uint8)],
    ids=["2d", "float", "rgba"],
)
def test_bad_arrays_are_rejected(array):
    with pytest.raises(InvalidImageError, match="uint8"):
        load_image(array)


def test_missing_path_and_folder_are_invalid(tmp_path):
    with pytest.raises(InvalidImageError, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(InvalidImageError):
        load_image(tmp_path)


def test_paths_the_file_system_cannot_open_are_invalid_images(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    cases = {
        tmp_path / "file.txt" / "x.png": "cannot read the file",  # a path through a file
        tmp_path / "loop.png": "cannot read the file",
        tmp_path / ("n" * 300 + ".png"): "cannot read the file",  # a name too long
        "photo\x00.png": "not a valid file path",
    }
    for path, message in cases.items():
        with pytest.raises(InvalidImageError, match=message):
            load_image(path)


def test_messages_are_one_line_and_escape_control_characters():
    with pytest.raises(InvalidImageError) as caught:
        load_image(b"nope", name="evil\nname\r.png")
    assert "\n" not in str(caught.value) and "\r" not in str(caught.value)
