"""Measure image files, a chunk at a time: the code EDA worker processes run.

It imports numpy, OpenCV, Pillow and the runtime only (no pandas), so a fresh worker starts quickly, and it
answers a whole chunk with a few arrays, so little is pickled per image.

Example:
    >>> chunk = measure_files(["a.jpg", "b.png"])
    >>> chunk.values.shape, chunk.spectra.shape, chunk.errors
    ((2, 12), (2, 64), ['', ''])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fakescope.eda.jpeg import jpeg_quality
from fakescope.eda.measures import MEASURE_COLUMNS, SPECTRUM_BINS, measure_pixels
from fakescope.runtime.images import ImageLimits, load_image

EDA_LIMITS = ImageLimits(min_side=8)
"""The runtime's limits, except that tiny images (the demo set is 32 px) are described, not refused."""

FIELDS = ("width", "height", *MEASURE_COLUMNS)
"""The columns of `Measurements.values`."""


@dataclass(frozen=True)
class Measurements:
    """Statistics of a chunk of files: `values` float64 (N, len(FIELDS)), `spectra` float32 (N, bins), NaN
    where a file failed; `formats`, `modes`, `errors` one string per file ("" when unknown or no error)."""

    values: np.ndarray
    spectra: np.ndarray
    formats: list[str]
    modes: list[str]
    errors: list[str]


def measure_files(paths: Sequence[str]) -> Measurements:
    """Decode and measure each file; a file that fails gets an error message, never an exception."""
    result = Measurements(
        values=np.full((len(paths), len(FIELDS)), np.nan),
        spectra=np.full((len(paths), SPECTRUM_BINS), np.nan, dtype=np.float32),
        formats=[""] * len(paths),
        modes=[""] * len(paths),
        errors=[""] * len(paths),
    )
    for i, path in enumerate(paths):
        try:
            image = load_image(path, EDA_LIMITS)
            stats = measure_pixels(image.pixels)
        except Exception as err:  # a batch job records every failure and goes on
            result.errors[i] = " ".join(str(err).split()) or type(err).__name__
            continue
        info = image.info
        quality = jpeg_quality(path) if info.format == "JPEG" else np.nan
        result.values[i] = (
            info.width,
            info.height,
            *stats.mean_rgb,
            *stats.std_rgb,
            stats.luminance,
            stats.contrast,
            stats.sharpness,
            quality,
        )
        result.spectra[i] = stats.spectrum
        result.formats[i], result.modes[i] = info.format, info.mode
    return result
