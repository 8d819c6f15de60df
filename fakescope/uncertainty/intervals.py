"""Stratified, seeded bootstrap intervals for the test metrics, with the number of images per class.

Each resample draws the real images and the fake images with replacement within their class, so every
resample keeps the split's class counts (a ranking metric is always defined). The interval is the percentile
interval of the resampled metric.

Example:
    >>> intervals = bootstrap_intervals(labels, prob, threshold=0.5)
    >>> intervals["roc_auc"], intervals.text("roc_auc")
    (Interval(value=0.985, low=0.95, high=1.0), 'ROC AUC 0.985 [0.950, 1.000], 15 real / 75 fake')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fakescope.runtime.card_trust import INTERVAL_NAMES

METRIC_NAMES = INTERVAL_NAMES
"""The metrics with intervals, and how they are written for people."""


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def __repr__(self) -> str:
        return f"Interval(value={self.value:.3f}, low={self.low:.3f}, high={self.high:.3f})"


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals per metric, the level, the resample count and seed, and the class counts."""

    metrics: dict[str, Interval]
    level: float
    resamples: int
    seed: int
    n_real: int
    n_fake: int

    def __getitem__(self, name: str) -> Interval:
        return self.metrics[name]

    def text(self, name: str) -> str:
        """`ROC AUC 0.985 [0.950, 1.000], 15 real / 75 fake`."""
        i = self.metrics[name]
        return (
            f"{METRIC_NAMES[name]} {i.value:.3f} [{i.low:.3f}, {i.high:.3f}], "
            f"{self.n_real} real / {self.n_fake} fake"
        )

    def as_dict(self) -> dict:
        """JSON-friendly: level, resamples, seed, n_real, n_fake and "metrics": {name: [value, low, high]}."""
        return {
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
            "n_real": self.n_real,
            "n_fake": self.n_fake,
            "metrics": {k: [i.value, i.low, i.high] for k, i in self.metrics.items()},
        }


def bootstrap_intervals(
    labels,
    prob,
    threshold: float = 0.5,
    *,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    metrics: Sequence[str] = tuple(METRIC_NAMES),
) -> Intervals:
    """Percentile intervals of `metrics` from `resamples` stratified bootstrap resamples.

    Args:
        labels: 0/1 (real = 0, fake = 1); both classes must be present.
        prob: P(fake), same length.
        threshold: the decision threshold for accuracy, TPR and FPR. Defaults to 0.5.
        resamples: bootstrap resamples. Defaults to 1000.
        level: the intervals' confidence level. Defaults to 0.95.
        seed: seed of the resampling. Defaults to 0.
        metrics: which of roc_auc, average_precision, accuracy, tpr, fpr. Defaults to all.

    Raises:
        ValueError: a class is missing, lengths differ, or an argument is out of range.
    """
    y, p = np.asarray(labels).reshape(-1).astype(int), np.asarray(prob, np.float64).reshape(-1)
    if len(y) != len(p) or not np.isin(y, (0, 1)).all():
        raise ValueError("need 0/1 labels and as many probabilities")
    if resamples < 2 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 2 and level in (0, 1). Received: {resamples}, {level}")
    unknown = sorted(set(metrics) - set(METRIC_NAMES))
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; choose from {sorted(METRIC_NAMES)}")
    real, fake = p[y == 0], p[y == 1]
    if not len(real) or not len(fake):
        raise ValueError("bootstrap intervals need both classes")
    rng = np.random.default_rng(seed)
    # Rows are resamples: the first len(real) columns are real images, the rest fake.
    drawn = np.concatenate(
        [
            real[rng.integers(0, len(real), (resamples, len(real)))],
            fake[rng.integers(0, len(fake), (resamples, len(fake)))],
        ],
        axis=1,
    )
    tail = (1.0 - level) / 2.0
    out = {}
    for name in metrics:
        point = _METRICS[name](p[None, np.argsort(y, kind="stable")], len(real), threshold)[0]
        values = _METRICS[name](drawn, len(real), threshold)
        low, high = np.quantile(values, [tail, 1.0 - tail])
        out[name] = Interval(float(point), float(low), float(high))
    return Intervals(out, float(level), int(resamples), int(seed), len(real), len(fake))


def _auc(rows: np.ndarray, n_real: int, _threshold: float) -> np.ndarray:
    """Mann-Whitney ROC AUC per row (ties count one half), from average ranks."""
    from scipy.stats import rankdata

    n_fake = rows.shape[1] - n_real
    ranks = rankdata(rows, axis=1)
    return (ranks[:, n_real:].sum(axis=1) - n_fake * (n_fake + 1) / 2.0) / (n_real * n_fake)


def _average_precision(rows: np.ndarray, n_real: int, _threshold: float) -> np.ndarray:
    """scikit-learn's average precision (step-wise, tied scores one step) per row, all rows at once."""
    truth = np.r_[np.zeros(n_real), np.ones(rows.shape[1] - n_real)]
    order = np.argsort(-rows, axis=1, kind="stable")
    scores, hits = np.take_along_axis(rows, order, axis=1), truth[order]
    tp = np.cumsum(hits, axis=1)
    precision = tp / np.arange(1, rows.shape[1] + 1)
    ends = np.ones_like(scores, dtype=bool)  # the last image of each run of equal scores
    ends[:, :-1] = scores[:, 1:] != scores[:, :-1]
    at_ends = np.maximum.accumulate(np.where(ends, tp, 0.0), axis=1)  # tp at the latest end so far
    before = np.concatenate([np.zeros((rows.shape[0], 1)), at_ends[:, :-1]], axis=1)
    return np.sum(np.where(ends, (tp - before) * precision, 0.0), axis=1) / truth.sum()


def _accuracy(rows: np.ndarray, n_real: int, threshold: float) -> np.ndarray:
    called = rows >= threshold
    return (np.sum(~called[:, :n_real], axis=1) + np.sum(called[:, n_real:], axis=1)) / rows.shape[1]


def _tpr(rows: np.ndarray, n_real: int, threshold: float) -> np.ndarray:
    return np.mean(rows[:, n_real:] >= threshold, axis=1)


def _fpr(rows: np.ndarray, n_real: int, threshold: float) -> np.ndarray:
    return np.mean(rows[:, :n_real] >= threshold, axis=1)


_METRICS: dict[str, Callable[[np.ndarray, int, float], np.ndarray]] = {
    "roc_auc": _auc,
    "average_precision": _average_precision,
    "accuracy": _accuracy,
    "tpr": _tpr,
    "fpr": _fpr,
}
