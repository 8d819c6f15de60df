"""Estimate the quality setting a JPEG was saved with, from its quantisation tables.

Most encoders (libjpeg, libjpeg-turbo, Pillow, OpenCV, browsers) scale the example tables of the JPEG standard
(Annex K) with the IJG formula; the estimate is the quality 1-100 whose scaled tables are closest (sum of
absolute differences) to the file's. Files with custom tables get the closest IJG quality.

Example:
    >>> jpeg_quality("photo.jpg")
    75.0
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

# Annex K example tables, natural (row-major) order, which is the order Pillow's `quantization` uses.
_LUMA = np.array(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ]
).ravel()
_CHROMA = np.array(
    [
        [17, 18, 24, 47, 99, 99, 99, 99],
        [18, 21, 26, 66, 99, 99, 99, 99],
        [24, 26, 56, 99, 99, 99, 99, 99],
        [47, 66, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
        [99, 99, 99, 99, 99, 99, 99, 99],
    ]
).ravel()


def ijg_tables(quality: int) -> tuple[np.ndarray, np.ndarray]:
    """The (luma, chroma) baseline tables libjpeg writes for `quality` (1-100)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"`quality` must be in 1..100. Received: quality={quality}")
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return tuple(np.clip((table * scale + 50) // 100, 1, 255) for table in (_LUMA, _CHROMA))


_QUALITIES = np.arange(1, 101)
_SCALED = np.stack([np.stack(ijg_tables(int(q))) for q in _QUALITIES])  # (100, 2, 64)


def estimate_quality(tables: Mapping[int, Sequence[int]]) -> float:
    """Best-fitting IJG quality for quantisation tables keyed by table id (0 = luma, others chroma).

    Args:
        tables: 64 values per table in natural order, as Pillow's `Image.quantization` gives them.

    Returns:
        The quality 1-100 as a float, or NaN when there is no usable table.
    """
    error = np.zeros(len(_QUALITIES))
    used = 0
    for table_id, values in tables.items():
        values = np.asarray(values, dtype=np.int64)
        if values.shape != (64,):
            continue
        reference = _SCALED[:, 0 if table_id == 0 else 1]
        error += np.abs(reference - values).sum(axis=1)
        used += 1
    return float(_QUALITIES[np.argmin(error)]) if used else float("nan")


def jpeg_quality(path: str | os.PathLike) -> float:
    """Estimated quality of the JPEG at `path` (reads the header only); NaN if it is not a readable JPEG."""
    try:
        with Image.open(path) as image:
            if image.format not in ("JPEG", "MPO"):
                return float("nan")
            return estimate_quality(image.quantization)
    except Exception:  # any unreadable header simply has no quality
        return float("nan")
