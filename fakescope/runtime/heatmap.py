"""Grad-CAM post-processing in plain numpy and Pillow: upsample, normalise, colour map, blend.

Example:
    >>> raw = np.random.default_rng(0).random((2, 5, 5), dtype=np.float32)   # the graph's `cam` output
    >>> cams = normalize_cams(raw, (160, 160))          # (N, h, w) -> (N, 160, 160) in [0, 1]
    >>> cams.shape, float(cams.min()) >= 0.0, float(cams.max()) <= 1.0
    ((2, 160, 160), True, True)
    >>> overlay(pixels, cams[0], alpha=0.45).shape     # uint8 (H, W, 3), red = high attention
    (480, 640, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

EPSILON = 1e-7


def normalize_cams(cams: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize raw CAMs (N, h, w) bilinearly to `size` (height, width) and min-max normalise each to [0, 1].

    A constant map (e.g. all zero) becomes all zeros rather than dividing by zero.
    """
    if cams.ndim != 3:
        raise ValueError(f"`cams` must have shape (N, h, w). Received: shape={cams.shape}")
    height, width = size
    out = np.empty((cams.shape[0], height, width), dtype=np.float32)
    for i, cam in enumerate(cams.astype(np.float32)):
        resized = np.asarray(
            Image.fromarray(cam, mode="F").resize((width, height), Image.Resampling.BILINEAR)
        )
        low, high = float(resized.min()), float(resized.max())
        out[i] = (resized - low) / (high - low) if high - low > EPSILON else 0.0
    return out


def jet(values: np.ndarray) -> np.ndarray:
    """The classic jet colour map (blue → cyan → yellow → red) of values in [0, 1], as uint8 RGB."""
    v = np.clip(np.asarray(values, dtype=np.float32), 0.0, 1.0)
    red = np.clip(1.5 - np.abs(4.0 * v - 3.0), 0.0, 1.0)
    green = np.clip(1.5 - np.abs(4.0 * v - 2.0), 0.0, 1.0)
    blue = np.clip(1.5 - np.abs(4.0 * v - 1.0), 0.0, 1.0)
    return np.rint(np.stack([red, green, blue], axis=-1) * 255.0).astype(np.uint8)


def overlay(image: np.ndarray, cam: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """Blend the jet heatmap of `cam` over `image`.

    Args:
        image: uint8 (H, W, 3).
        cam: float (h, w) in [0, 1]; resized to (H, W) when it differs.
        alpha: heatmap opacity in [0, 1]. Defaults to 0.45.

    Returns:
        uint8 (H, W, 3).
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"`image` must be uint8 (H, W, 3). Received: {image.dtype} {image.shape}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= alpha <= 1.0:
        raise ValueError(f"`alpha` must be a number in [0, 1]. Received: alpha={alpha!r}")
    cam = np.asarray(cam, dtype=np.float32)
    if cam.ndim != 2:
        raise ValueError(f"`cam` must have shape (h, w). Received: shape={cam.shape}")
    if float(cam.min(initial=0.0)) < -EPSILON or float(cam.max(initial=0.0)) > 1.0 + EPSILON:
        raise ValueError("`cam` values must be in [0, 1]; normalise it first")
    height, width = image.shape[:2]
    if cam.shape != (height, width):
        cam = np.asarray(Image.fromarray(cam, mode="F").resize((width, height), Image.Resampling.BILINEAR))
    blended = (1.0 - alpha) * image.astype(np.float32) + alpha * jet(cam).astype(np.float32)
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def place_cams(
    cams: Sequence[np.ndarray], transforms: Sequence[np.ndarray], size: tuple[int, int], scale: float = 1.0
) -> np.ndarray:
    """Draw each view's CAM where its view lies in the photo; the strongest value wins where crops overlap.

    Args:
        cams: float (h, w) maps in [0, 1], each aligned with a model view.
        transforms: 3x3 matrices from each view's pixels to the photo's (`FaceVerdict.transform`).
        size: (width, height) of the output, the photo shown at `scale`.
        scale: display pixels per photo pixel. Defaults to 1.0.

    Returns:
        float32 (height, width) in [0, 1], zero outside every view.
    """
    width, height = size
    placed = np.zeros((height, width), dtype=np.float32)
    to_display = np.diag([scale, scale, 1.0])
    for cam, transform in zip(cams, transforms, strict=True):
        inverse = np.linalg.inv(to_display @ np.asarray(transform, dtype=np.float64))
        warped = Image.fromarray(np.asarray(cam, dtype=np.float32), mode="F").transform(
            (width, height), Image.Transform.AFFINE, tuple(inverse[:2].ravel()), Image.Resampling.BILINEAR
        )
        np.maximum(placed, np.asarray(warped, dtype=np.float32), out=placed)
    return np.clip(placed, 0.0, 1.0)
