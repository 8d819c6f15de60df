"""All the honest numbers of one scored split in one JSON-friendly dict: intervals, calibration before and
after temperature scaling, and selective prediction. `fakescope evaluate`, `metrics.json`, the export's card
and the model report read the same dict.

Example:
    >>> numbers = trust_summary(labels, prob, threshold=0.5, answered=answered, prob_before=raw)
    >>> sorted(numbers)
    ['calibration', 'intervals', 'risk_coverage', 'selective']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fakescope.runtime.spec import CLASS_FOLDERS
from fakescope.uncertainty.intervals import bootstrap_intervals
from fakescope.uncertainty.reliability import reliability
from fakescope.uncertainty.selective import risk_coverage, selective

SMALL_CLASS = 50
"""Fewer images of a class than this in a validation or calibration split makes export and training warn."""


def trust_summary(
    labels,
    prob,
    threshold: float,
    *,
    answered=None,
    prob_before=None,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Intervals (both classes needed), reliability/ECE (and before temperature scaling when `prob_before` is
    given), and selective prediction on `answered` (a bool mask of definite verdicts; default all)."""
    y, p = np.asarray(labels).astype(int), np.asarray(prob, np.float64)
    answered = np.ones(len(y), bool) if answered is None else np.asarray(answered, bool)
    out: dict[str, Any] = {}
    if len(np.unique(y)) == 2:
        out["intervals"] = bootstrap_intervals(y, p, threshold, resamples=resamples, seed=seed).as_dict()
    after = reliability(y, p)
    calibration = {"ece": after.ece, "reliability": after.as_dict()}
    if prob_before is not None:
        before = reliability(y, np.asarray(prob_before, np.float64))
        calibration.update(ece_before=before.ece, reliability_before=before.as_dict())
    out["calibration"] = calibration
    out["selective"] = selective(y, p, answered, threshold).as_dict()
    curve = risk_coverage(y, p, threshold)
    out["risk_coverage"] = {"area": curve.area, "coverage": list(curve.coverage), "risk": list(curve.risk)}
    return out


def small_split_warning(labels, split: str) -> str | None:
    """A warning when a class has fewer than `SMALL_CLASS` images in `split`, else None."""
    y = np.asarray(labels).astype(int)
    counts = {name: int(np.sum(y == label)) for label, name in enumerate(CLASS_FOLDERS)}
    small = [f"{n} {name}" for name, n in counts.items() if n < SMALL_CLASS]
    if not small:
        return None
    return (
        f"the {split} split has only {' and '.join(small)} images (fewer than {SMALL_CLASS} per class): "
        "its threshold, calibration and intervals are rough"
    )
