"""Fit class-conditional split conformal prediction at export: the calibration split's nonconformities.

The runtime (`fakescope.runtime.conformal`) turns them into class thresholds for any alpha.

Example:
    >>> scores = calibration_scores(labels, prob)
    >>> len(scores["REAL"]), len(scores["FAKE"])
    (15, 75)
"""

from __future__ import annotations

import numpy as np

from fakescope.runtime.conformal import class_thresholds, nonconformity, prediction_set
from fakescope.runtime.spec import CLASS_NAMES

SCORE_DECIMALS = 6


def calibration_scores(labels, prob) -> dict[str, list[float]]:
    """Each class's sorted nonconformity scores (1 - P(true class)) on the calibration split, rounded up to
    `SCORE_DECIMALS` (rounding up keeps the coverage guarantee)."""
    y, p = np.asarray(labels).reshape(-1).astype(int), np.asarray(prob, np.float64).reshape(-1)
    if len(y) != len(p):
        raise ValueError("need as many labels as probabilities")
    scale = 10.0**SCORE_DECIMALS
    out = {}
    for index, name in enumerate(CLASS_NAMES):
        scores = np.sort(nonconformity(p[y == index], y[y == index]))
        if not len(scores):
            raise ValueError(f"conformal calibration needs {name} images")
        out[name] = [float(s) for s in np.minimum(np.ceil(scores * scale) / scale, 1.0)]
    return out


def coverage(labels, prob, scores: dict[str, list[float]], alpha: float) -> dict[str, float]:
    """Per class, the share of images whose prediction set holds their true label."""
    thresholds = class_thresholds(scores, alpha)
    y, p = np.asarray(labels).reshape(-1).astype(int), np.asarray(prob, np.float64).reshape(-1)
    held = np.array(
        [CLASS_NAMES[label] in prediction_set(q, thresholds) for label, q in zip(y, p, strict=True)]
    )
    return {name: float(held[y == i].mean()) for i, name in enumerate(CLASS_NAMES) if (y == i).any()}
