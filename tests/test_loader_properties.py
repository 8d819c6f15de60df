"""Property-based tests of the loader: any bytes, any valid image of any size and mode.

The loader either returns a correct RGB uint8 array of the input's size, or raises one of the typed errors.
"""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fakescope.runtime import ImageTooSmallError, InvalidImageError, load_image

MODES = ["RGB", "RGBA", "L", "LA", "P", "1", "CMYK", "I;16", "F"]
FORMATS_FOR_MODE = {
    "RGB": ["PNG", "JPEG", "BMP", "TIFF", "WEBP", "GIF"],
    "RGBA": ["PNG", "TIFF", "WEBP"],
    "L": ["PNG", "JPEG", "BMP", "TIFF", "GIF"],
    "LA": ["PNG"],
    "P": ["PNG", "BMP", "GIF", "TIFF"],
    "1": ["PNG", "BMP", "TIFF"],
    "CMYK": ["JPEG", "TIFF"],
    "I;16": ["PNG", "TIFF"],
    "F": ["TIFF"],
}
LOSSLESS = {"PNG", "BMP", "TIFF"}


@st.composite
def encoded_images(draw):
    mode = draw(st.sampled_from(MODES))
    fmt = draw(st.sampled_from(FORMATS_FOR_MODE[mode]))
    width = draw(st.integers(1, 300))
    height = draw(st.integers(1, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(rgb)
    if mode == "I;16":
        image = Image.fromarray(rgb[..., 0].astype(np.uint16) * 257)
    elif mode == "F":
        image = Image.fromarray(rgb[..., 0].astype(np.float32) / 255.0, "F")
    elif mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue(), image, fmt


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_any_bytes_either_decode_or_raise_a_typed_error(data):
    try:
        decoded = load_image(data)
    except InvalidImageError:
        return
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.ndim == 3 and decoded.pixels.shape[2] == 3


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(encoded_images())
def test_valid_images_decode_to_rgb_of_their_size(sample):
    data, image, fmt = sample
    width, height = image.size
    try:
        decoded = load_image(data)
    except ImageTooSmallError:
        assert min(width, height) < 32
        return
    assert min(width, height) >= 32
    assert decoded.pixels.shape == (height, width, 3) and decoded.pixels.dtype == np.uint8
    assert (decoded.info.width, decoded.info.height) == (width, height)
    if fmt in LOSSLESS and image.mode == "RGB":
        np.testing.assert_array_equal(decoded.pixels, np.asarray(image))


@settings(max_examples=60, deadline=None)
@given(encoded_images(), st.integers(0, 4000), st.integers(0, 255))
def test_corrupted_images_never_escape_the_typed_errors(sample, position, value):
    data = bytearray(sample[0])
    data[position % len(data)] = value
    try:
        decoded = load_image(bytes(data))
    except InvalidImageError:
        return
    assert decoded.pixels.dtype == np.uint8 and decoded.pixels.shape[2] == 3
