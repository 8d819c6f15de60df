"""Per-image pixel statistics on decoded RGB uint8 pixels (numpy + OpenCV).

All intensities are in 0-255 units. Luminance is ITU-R BT.601 luma, Y = 0.299 R + 0.587 G + 0.114 B.

Example:
    >>> stats = measure_pixels(load_image("face.jpg").pixels)
    >>> round(stats.sharpness, 1), stats.spectrum.shape
    (153.2, (64,))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

SPECTRUM_BINS = 64
"""Radial frequency bins from 0 to the Nyquist frequency (0.5 cycles/pixel), equally wide."""

MEASURE_COLUMNS = (
    "mean_r",
    "mean_g",
    "mean_b",
    "std_r",
    "std_g",
    "std_b",
    "luminance",
    "contrast",
    "sharpness",
    "jpeg_quality",
)
"""Per-image measurements, in the order of the EDA table's columns and of its workers' arrays."""

SPECTRUM_CROP = 256
"""Side of the central luminance crop the spectrum is computed on (smaller images: their largest square)."""

LUMA_WEIGHTS = (0.299, 0.587, 0.114)

_MIN_SPECTRUM_SIDE = 8


@dataclass(frozen=True)
class PixelStats:
    """Statistics of one image; `spectrum` is the radially averaged power in dB, float32 (SPECTRUM_BINS,)."""

    mean_rgb: tuple[float, float, float]
    std_rgb: tuple[float, float, float]
    luminance: float
    contrast: float
    sharpness: float
    spectrum: np.ndarray


def measure_pixels(pixels: np.ndarray) -> PixelStats:
    """Channel means and stds, luminance mean, RMS contrast, Laplacian-variance sharpness, radial spectrum.

    Args:
        pixels: RGB uint8 array (H, W, 3), both sides >= 8.

    Returns:
        A `PixelStats`: means and (population) stds of R, G, B; the mean of the luma; RMS contrast (the
        population std of the luma); sharpness (the variance of the 3x3 Laplacian of the luma, borders
        reflected); the radial log power spectrum of the luma.
    """
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(
            "`pixels` must be uint8 with shape (H, W, 3). "
            f"Received: dtype={pixels.dtype}, shape={pixels.shape}"
        )
    if min(pixels.shape[:2]) < _MIN_SPECTRUM_SIDE:
        raise ValueError(f"`pixels` sides must be >= {_MIN_SPECTRUM_SIDE}. Received: shape={pixels.shape}")
    means, stds = cv2.meanStdDev(pixels)
    luma = luminance(pixels)
    luma_mean, luma_std = cv2.meanStdDev(luma)
    _, lap_std = cv2.meanStdDev(cv2.Laplacian(luma, cv2.CV_32F, ksize=1))
    return PixelStats(
        mean_rgb=tuple(float(v) for v in means.ravel()),
        std_rgb=tuple(float(v) for v in stds.ravel()),
        luminance=float(luma_mean[0, 0]),
        contrast=float(luma_std[0, 0]),
        sharpness=float(lap_std[0, 0]) ** 2,
        spectrum=radial_spectrum(luma),
    )


def luminance(pixels: np.ndarray) -> np.ndarray:
    """BT.601 luma of RGB uint8 pixels as float32 (H, W), 0-255."""
    return cv2.cvtColor(pixels.astype(np.float32), cv2.COLOR_RGB2GRAY)


def radial_spectrum(luma: np.ndarray, bins: int = SPECTRUM_BINS, crop: int = SPECTRUM_CROP) -> np.ndarray:
    """Radially averaged power spectrum in dB of the central square of `luma` (at most `crop` pixels a side).

    The crop's mean is removed and a 2-D Hann window applied; power is normalised by the window energy, so
    white noise of variance s^2 gives a flat 10*log10(s^2) dB. Bin i covers radial frequencies
    [i, i + 1) * 0.5 / bins cycles/pixel; the corners beyond Nyquist are left out; bins that a small crop
    cannot resolve are interpolated linearly from their neighbours. Working on a crop (never a resize) keeps
    the high-frequency tail, where up-sampling artefacts live, untouched.

    Example:
        >>> x = np.arange(256)
        >>> wave = np.tile(128 + 100 * np.sin(2 * np.pi * 0.25 * x), (256, 1))
        >>> int(np.argmax(radial_spectrum(wave)))  # 0.25 cycles/pixel -> bin 0.25 / 0.5 * 64
        32
    """
    height, width = luma.shape
    side = min(height, width, crop)
    if side < _MIN_SPECTRUM_SIDE:
        raise ValueError(f"`luma` sides must be >= {_MIN_SPECTRUM_SIDE}. Received: shape={luma.shape}")
    top, left = (height - side) // 2, (width - side) // 2
    patch = np.asarray(luma[top : top + side, left : left + side], dtype=np.float64)
    window, index, weights, counts = _radial_layout(side, bins)
    spectrum = np.fft.rfft2((patch - patch.mean()) * window)
    power = (spectrum.real**2 + spectrum.imag**2).ravel()
    sums = np.bincount(index, weights=power * weights, minlength=bins + 1)[:bins]
    filled = counts > 0
    decibels = 10.0 * np.log10(sums[filled] / counts[filled] + 1e-12)
    if not filled.all():  # crops under 2 * bins pixels resolve fewer frequencies than there are bins
        centres = spectrum_frequencies(bins)
        decibels = np.interp(centres, centres[filled], decibels)
    return decibels.astype(np.float32)


def spectrum_frequencies(bins: int = SPECTRUM_BINS) -> np.ndarray:
    """Centre frequency (cycles/pixel) of each spectrum bin."""
    return (np.arange(bins) + 0.5) * 0.5 / bins


@functools.lru_cache(maxsize=8)
def _radial_layout(side: int, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Window, bin index per rfft2 coefficient (bins = outside), half-plane weights and weight per bin."""
    hann = np.hanning(side)
    window = np.outer(hann, hann)
    window /= np.sqrt((window**2).sum())
    fy = np.fft.fftfreq(side)[:, None]
    fx = np.fft.rfftfreq(side)[None, :]
    radius = np.sqrt(fx**2 + fy**2)
    index = np.minimum((radius / 0.5 * bins).astype(np.int64), bins).ravel()
    # rfft2 keeps half the plane: columns 0 < fx < 0.5 stand for their mirror image too.
    weights = np.where((fx > 0) & (fx < 0.5), 2.0, 1.0) * np.ones_like(fy)
    weights = weights.ravel()
    counts = np.bincount(index, weights=weights, minlength=bins + 1)[:bins]
    return window, index, weights, counts
