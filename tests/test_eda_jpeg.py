"""JPEG quality estimated from the quantisation tables, for files from two different encoders."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from PIL import Image

from fakescope.eda.jpeg import estimate_quality, ijg_tables, jpeg_quality


@pytest.fixture(scope="module")
def pixels() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)


@pytest.mark.parametrize("quality", [10, 35, 50, 75, 90, 95])
def test_pillow_jpeg_saved_at_q_is_estimated_near_q(tmp_path, pixels, quality):
    path = tmp_path / "image.jpg"
    Image.fromarray(pixels).save(path, quality=quality)
    assert abs(jpeg_quality(path) - quality) <= 5


@pytest.mark.parametrize("quality", [20, 60, 85, 98])
def test_opencv_jpeg_saved_at_q_is_estimated_near_q(tmp_path, pixels, quality):
    path = tmp_path / "image.jpg"
    ok, encoded = cv2.imencode(".jpg", pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    path.write_bytes(encoded.tobytes())
    assert abs(jpeg_quality(path) - quality) <= 5


def test_greyscale_jpeg_with_only_a_luma_table(tmp_path, pixels):
    path = tmp_path / "grey.jpg"
    Image.fromarray(pixels[..., 0]).save(path, quality=70)
    with Image.open(path) as image:
        assert len(image.quantization) == 1
    assert abs(jpeg_quality(path) - 70) <= 5


def test_quality_50_tables_are_the_standard_tables():
    luma, chroma = ijg_tables(50)
    assert luma[:8].tolist() == [16, 11, 10, 16, 24, 40, 51, 61]
    assert chroma[:8].tolist() == [17, 18, 24, 47, 99, 99, 99, 99]


def test_not_a_jpeg_has_no_quality(tmp_path, pixels):
    png = tmp_path / "image.png"
    Image.fromarray(pixels).save(png)
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"\xff\xd8 not really")
    assert math.isnan(jpeg_quality(png))
    assert math.isnan(jpeg_quality(garbage))
    assert math.isnan(estimate_quality({}))
