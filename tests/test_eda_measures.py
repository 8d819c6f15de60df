"""Per-image statistics against known answers and an independent numpy computation."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.eda.measures import SPECTRUM_BINS, measure_pixels, radial_spectrum, spectrum_frequencies

WEIGHTS = np.array([0.299, 0.587, 0.114])


def _luma(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float64) @ WEIGHTS


def _laplacian_variance(luma: np.ndarray) -> float:
    """Variance of the 3x3 Laplacian [[0,1,0],[1,-4,1],[0,1,0]], borders mirrored (edge not repeated)."""
    padded = np.pad(luma, 1, mode="reflect")
    lap = padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:] - 4 * luma
    return float(lap.var())


def _sinusoid(fx: float, fy: float, side: int = 256) -> np.ndarray:
    y, x = np.mgrid[:side, :side]
    grey = 128 + 100 * np.sin(2 * np.pi * (fx * x + fy * y))
    return np.repeat(np.clip(np.rint(grey), 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def test_flat_image_has_zero_sharpness_and_contrast():
    stats = measure_pixels(np.full((64, 96, 3), (200, 100, 50), dtype=np.uint8))
    assert stats.sharpness == pytest.approx(0.0, abs=1e-9)
    assert stats.contrast == pytest.approx(0.0, abs=1e-6)
    assert stats.std_rgb == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    assert stats.luminance == pytest.approx(0.299 * 200 + 0.587 * 100 + 0.114 * 50, abs=1e-3)


def test_rgb_means_and_stds_of_a_two_colour_image():
    pixels = np.zeros((40, 80, 3), dtype=np.uint8)
    pixels[:, :40] = (10, 20, 30)
    pixels[:, 40:] = (50, 60, 90)
    stats = measure_pixels(pixels)
    assert stats.mean_rgb == pytest.approx((30.0, 40.0, 60.0))
    assert stats.std_rgb == pytest.approx((20.0, 20.0, 30.0))
    luma_left, luma_right = _luma(np.array([[10, 20, 30], [50, 60, 90]], dtype=np.uint8))
    assert stats.luminance == pytest.approx((luma_left + luma_right) / 2, abs=1e-3)
    assert stats.contrast == pytest.approx(abs(luma_right - luma_left) / 2, abs=1e-3)


def test_statistics_match_numpy_on_a_random_image():
    pixels = np.random.default_rng(3).integers(0, 256, (70, 110, 3), dtype=np.uint8)
    stats = measure_pixels(pixels)
    flat = pixels.reshape(-1, 3).astype(np.float64)
    assert stats.mean_rgb == pytest.approx(tuple(flat.mean(axis=0)))
    assert stats.std_rgb == pytest.approx(tuple(flat.std(axis=0)))
    luma = _luma(pixels)
    assert stats.luminance == pytest.approx(luma.mean(), rel=1e-5)
    assert stats.contrast == pytest.approx(luma.std(), rel=1e-5)
    assert stats.sharpness == pytest.approx(_laplacian_variance(luma), rel=1e-4)


def test_sharper_image_has_higher_sharpness():
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    blurred = pixels.reshape(32, 2, 32, 2, 3).mean(axis=(1, 3)).astype(np.uint8).repeat(2, 0).repeat(2, 1)
    assert measure_pixels(pixels).sharpness > 2 * measure_pixels(blurred).sharpness


# Whole periods over the 256-pixel crop (no leakage), radii away from bin edges: (20, 21) has radius 29.
@pytest.mark.parametrize(("cycles_x", "cycles_y"), [(13, 0), (51, 0), (0, 89), (20, 21), (60, 63)])
def test_sinusoid_puts_the_spectral_peak_at_its_frequency(cycles_x, cycles_y):
    fx, fy = cycles_x / 256, cycles_y / 256
    radius = np.hypot(fx, fy)
    expected_bin = int(radius / 0.5 * SPECTRUM_BINS)
    spectrum = measure_pixels(_sinusoid(fx, fy)).spectrum
    assert spectrum.shape == (SPECTRUM_BINS,)
    assert int(np.argmax(spectrum)) == expected_bin
    assert spectrum_frequencies()[expected_bin] == pytest.approx(radius, abs=0.5 / SPECTRUM_BINS)
    others = np.delete(spectrum, [expected_bin - 1, expected_bin, expected_bin + 1])
    assert spectrum[expected_bin] > others.max() + 20  # dB: a line, not a bump


def test_white_noise_spectrum_is_flat_at_its_variance():
    sigma = 10.0
    noise = np.random.default_rng(1).normal(100, sigma, (256, 256))
    spectrum = radial_spectrum(noise)
    level = 10 * np.log10(sigma**2)
    assert np.abs(spectrum[8:] - level).max() < 1.5
    assert abs(float(np.mean(spectrum[8:])) - level) < 0.3


def test_spectrum_uses_a_central_crop_not_a_resize():
    wave = _sinusoid(0.4, 0.0, side=256)
    big = np.zeros((600, 900, 3), dtype=np.uint8)
    big[172:428, 322:578] = wave  # the central 256x256 crop is exactly the wave
    assert np.allclose(measure_pixels(big).spectrum, measure_pixels(wave).spectrum, atol=1e-3)


def test_tiny_image_still_gets_a_full_spectrum():
    pixels = np.random.default_rng(2).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    spectrum = measure_pixels(pixels).spectrum
    assert spectrum.shape == (SPECTRUM_BINS,) and np.isfinite(spectrum).all()


@pytest.mark.parametrize(
    "pixels",
    [np.zeros((64, 64), np.uint8), np.zeros((64, 64, 3), np.float32), np.zeros((4, 64, 3), np.uint8)],
)
def test_bad_arrays_are_refused_with_a_message(pixels):
    with pytest.raises(ValueError, match="Received"):
        measure_pixels(pixels)
