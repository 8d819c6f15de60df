"""`preprocess`: centre crop, antialiased bilinear resize, greyscale and value range, against Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from image_factory import encode, random_rgb
from PIL import Image

from fakescope.runtime import InputSpec, load_image, model_view, preprocess
from fakescope.runtime.preprocess import crop_box, draft_size_for


@pytest.mark.parametrize(
    ("size", "spec", "box"),
    [
        ((200, 100), InputSpec(64, 64), (50, 0, 150, 100)),
        ((100, 200), InputSpec(64, 64), (0, 50, 100, 150)),
        ((300, 100), InputSpec(50, 100), (50, 0, 250, 100)),
        ((64, 64), InputSpec(64, 64), (0, 0, 64, 64)),
    ],
)
def test_crop_box_is_centred_with_the_model_aspect(size, spec, box):
    assert crop_box(size, spec) == box


def test_preprocess_matches_a_plain_pillow_pipeline():
    pixels = random_rgb(120, 200, seed=5)
    spec = InputSpec(height=64, width=64)
    expected = Image.fromarray(pixels).crop((40, 0, 160, 120)).resize((64, 64), Image.Resampling.BILINEAR)
    tensor = preprocess(pixels, spec)
    assert tensor.dtype == np.float32 and tensor.shape == (64, 64, 3)
    np.testing.assert_array_equal(tensor, np.asarray(expected, np.float32) / np.float32(255.0))


def test_greyscale_models_get_replicated_luma():
    pixels = random_rgb(80, 80, seed=2)
    spec = InputSpec(height=32, width=32, greyscale=True)
    view = model_view(pixels, spec)
    luma = np.asarray(Image.fromarray(pixels).resize((32, 32), Image.Resampling.BILINEAR).convert("L"))
    for channel in range(3):
        np.testing.assert_array_equal(view[..., channel], luma)


def test_value_range_is_linear():
    pixels = np.zeros((40, 40, 3), np.uint8)
    pixels[:, 20:] = 255
    tensor = preprocess(pixels, InputSpec(height=40, width=40, value_range=(-1.0, 1.0)))
    assert tensor.min() == -1.0 and tensor.max() == 1.0


def test_paths_bytes_and_arrays_give_identical_tensors(tmp_path):
    data = encode(random_rgb(90, 70, seed=9), "PNG")
    path = tmp_path / "x.png"
    path.write_bytes(data)
    spec = InputSpec(height=32, width=32)
    reference = preprocess(load_image(data), spec)
    for source in (path, data, load_image(path).pixels):
        np.testing.assert_array_equal(preprocess(source, spec), reference)


def test_large_jpegs_use_dct_scaling_close_to_a_full_decode():
    big = np.asarray(
        Image.fromarray(random_rgb(64, 64, seed=4)).resize((1024, 1024), Image.Resampling.BICUBIC)
    )
    data = encode(big, "JPEG", quality=90)
    spec = InputSpec(height=64, width=64)
    drafted = load_image(data, draft_size=draft_size_for(spec))
    assert drafted.pixels.shape[0] < 1024 and drafted.pixels.shape[0] >= 128
    assert drafted.info.width == 1024
    full = model_view(load_image(data), spec).astype(int)
    assert np.abs(model_view(data, spec).astype(int) - full).mean() < 3


def test_invalid_specs_are_refused():
    with pytest.raises(ValueError, match="input size"):
        InputSpec(height=4, width=4)
    with pytest.raises(ValueError, match="value_range"):
        InputSpec(value_range=(1.0, 0.0))
