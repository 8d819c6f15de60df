"""Class-conditional split conformal prediction on P(fake): which labels are plausible at error level alpha.

The nonconformity of label y for an image is 1 - P(y): P(fake) for REAL, 1 - P(fake) for FAKE. At export the
calibration split's nonconformities of each class (images of that class only) are stored in the card; at run
time, label y is in the prediction set when its nonconformity is at most the ceil((n_y + 1)(1 - alpha))-th
smallest calibration score of class y. For an exchangeable image of class y, y is then in the set with
probability at least 1 - alpha. A set holding both labels or neither means the model cannot decide at alpha.

Example:
    >>> scores = {"REAL": [0.01 * i for i in range(40)], "FAKE": [0.01 * i for i in range(40)]}
    >>> q = class_thresholds(scores, alpha=0.1)
    >>> prediction_set(0.97, q), prediction_set(0.5, q)
    (('FAKE',), ())
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from fakescope.runtime.spec import CLASS_NAMES

DEFAULT_ALPHA = 0.05


def check_alpha(alpha: float) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise ValueError(f"`alpha` must be a number in (0, 1). Received: alpha={alpha!r}")
    return float(alpha)


def nonconformity(prob_fake: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """1 - P(true label): P(fake) for real images (label 0), 1 - P(fake) for fake ones (label 1)."""
    prob_fake, labels = np.asarray(prob_fake, np.float64), np.asarray(labels)
    return np.where(labels == 1, 1.0 - prob_fake, prob_fake)


def conformal_quantile(scores: Sequence[float] | np.ndarray, alpha: float) -> float:
    """The ceil((n + 1)(1 - alpha))-th smallest score; +inf when n is too small for alpha (then always in)."""
    alpha = check_alpha(alpha)
    ordered = np.sort(np.asarray(scores, dtype=np.float64))
    rank = _rank(len(ordered), alpha)
    return float(ordered[rank - 1]) if rank <= len(ordered) else math.inf


def class_thresholds(scores: Mapping[str, Sequence[float]], alpha: float) -> dict[str, float]:
    """Each class's conformal quantile of its own calibration nonconformities."""
    return {name: conformal_quantile(scores[name], alpha) for name in CLASS_NAMES}


def too_few_for_alpha(counts: Mapping[str, int], alpha: float) -> str | None:
    """A warning when a class has too few calibration scores for `alpha`: its conformal quantile is then
    +inf, so that label is in every prediction set (and every verdict of the other label is UNSURE).

    Example:
        >>> too_few_for_alpha({"REAL": 14, "FAKE": 70}, 0.05)
        'conformal alpha=0.05 needs at least 19 calibration images per class and there are only 14 real: ...'
    """
    alpha = check_alpha(alpha)
    short = [
        f"{counts[name]} {name.lower()}" for name in CLASS_NAMES if _rank(counts[name], alpha) > counts[name]
    ]
    if not short:
        return None
    needed = max(1, math.ceil(1.0 / alpha) - 2)  # the smallest n with rank <= n, up to rounding
    while _rank(needed, alpha) > needed:
        needed += 1
    return (
        f"conformal alpha={alpha:g} needs at least {needed} calibration images per class and there are only "
        f"{' and '.join(short)}: that label is in every prediction set; choose a larger alpha"
    )


def _rank(n: int, alpha: float) -> int:
    """The rank of the conformal quantile among n calibration scores (past n: no finite quantile)."""
    return math.ceil((n + 1) * (1.0 - alpha))


def prediction_set(prob_fake: float, thresholds: Mapping[str, float]) -> tuple[str, ...]:
    """The labels whose nonconformity at `prob_fake` is within their class threshold, REAL first."""
    real, fake = CLASS_NAMES
    members = []
    if prob_fake <= thresholds[real]:
        members.append(real)
    if 1.0 - prob_fake <= thresholds[fake]:
        members.append(fake)
    return tuple(members)
