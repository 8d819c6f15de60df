"""Degraded copies of an image, registered by name: the copies test-time augmentation compares (`TTA_COPIES`)
and the degradations robustness evaluation re-scores a test split under (`ROBUSTNESS`).

Each takes and returns uint8 RGB pixels (H, W, 3); Pillow only.

Example:
    >>> copies = [DEGRADATIONS[name](pixels) for name in TTA_COPIES]
    >>> [c.shape for c in copies]
    [(480, 640, 3), (240, 320, 3), (480, 640, 3)]
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

Degradation = Callable[[np.ndarray], np.ndarray]
DEGRADATIONS: dict[str, Degradation] = {}


def register(name: str) -> Callable[[Degradation], Degradation]:
    def add(function: Degradation) -> Degradation:
        DEGRADATIONS[name] = function
        return function

    return add


def _roundtrip(pixels: np.ndarray, fmt: str, **params) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **params)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return np.asarray(image.convert("RGB"))


@register("jpeg75")
def jpeg75(pixels: np.ndarray) -> np.ndarray:
    """Re-encoded as JPEG at quality 75."""
    return _roundtrip(pixels, "JPEG", quality=75)


@register("jpeg50")
def jpeg50(pixels: np.ndarray) -> np.ndarray:
    """Re-encoded as JPEG at quality 50."""
    return _roundtrip(pixels, "JPEG", quality=50)


@register("blur1")
def blur1(pixels: np.ndarray) -> np.ndarray:
    """Gaussian blur with a standard deviation of 1 px."""
    return np.asarray(Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(radius=1)))


@register("half")
def half(pixels: np.ndarray) -> np.ndarray:
    """Downscaled to half size (antialiased bilinear; at least 1 px a side)."""
    height, width = pixels.shape[:2]
    size = (max(1, width // 2), max(1, height // 2))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR, reducing_gap=None))


@register("png")
def png(pixels: np.ndarray) -> np.ndarray:
    """A screenshot-like round trip: RGBA PNG on white (alpha dropped), then back to RGB."""
    rgba = Image.fromarray(pixels).convert("RGBA")
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    buffer.seek(0)
    with Image.open(buffer) as image:
        canvas = Image.new("RGBA", image.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(canvas, image.convert("RGBA")).convert("RGB"))


@register("mirror")
def mirror(pixels: np.ndarray) -> np.ndarray:
    """Flipped left to right."""
    return np.ascontiguousarray(pixels[:, ::-1])


TTA_COPIES = ("jpeg75", "half", "mirror")
"""The copies `Detector(tta=True)` judges with the image, in one batch."""

ROBUSTNESS = ("jpeg50", "jpeg75", "blur1", "half", "png")
"""The degradations `fakescope evaluate --robustness` re-scores the test split under."""
