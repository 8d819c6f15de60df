"""Reliability of P(fake): equal-width bins, the share of fakes per bin, and the expected calibration error.

Bins follow scikit-learn's `calibration_curve(strategy="uniform")`: edges `linspace(0, 1, bins + 1)`, a score
on an inner edge belongs to the bin above it, 1.0 to the last bin.

Example:
    >>> table = reliability(labels, prob, bins=10)
    >>> round(table.ece, 3), table.counts[:3]
    (0.042, (12, 3, 0))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Reliability:
    """Per bin: images, mean P(fake) and fraction actually fake (None for an empty bin); and the ECE."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    mean_prob: tuple[float | None, ...]
    frac_fake: tuple[float | None, ...]

    @property
    def ece(self) -> float:
        """Sum over bins of (images in bin / images) * |mean P(fake) - fraction fake|."""
        total = sum(self.counts)
        return float(
            sum(
                n / total * abs(p - f)
                for n, p, f in zip(self.counts, self.mean_prob, self.frac_fake, strict=True)
                if n
            )
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ece": self.ece}

    def __repr__(self) -> str:
        return f"Reliability(ece={self.ece:.3f}, {len(self.counts)} bins, n={sum(self.counts)})"


def reliability(labels, prob, bins: int = 10) -> Reliability:
    """The reliability table of `prob` (P(fake)) against 0/1 `labels`.

    Raises:
        ValueError: empty input, length mismatch, labels not 0/1, probabilities outside [0, 1], bins < 1.
    """
    if bins < 1:
        raise ValueError(f"`bins` must be >= 1. Received: bins={bins}")
    y, p = np.asarray(labels).reshape(-1), np.asarray(prob, dtype=np.float64).reshape(-1)
    if len(y) == 0 or len(y) != len(p):
        raise ValueError(f"need as many labels as probabilities, at least one. Received: {len(y)}, {len(p)}")
    if not np.isin(y, (0, 1)).all() or not ((p >= 0) & (p <= 1)).all():
        raise ValueError("labels must be 0/1 and probabilities in [0, 1]")
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.searchsorted(edges[1:-1], p, side="right")
    counts = np.bincount(index, minlength=bins)
    sums = np.bincount(index, weights=p, minlength=bins)
    fakes = np.bincount(index, weights=y.astype(float), minlength=bins)
    return Reliability(
        edges=tuple(float(e) for e in edges),
        counts=tuple(int(n) for n in counts),
        mean_prob=tuple(float(s / n) if n else None for s, n in zip(sums, counts, strict=True)),
        frac_fake=tuple(float(f / n) if n else None for f, n in zip(fakes, counts, strict=True)),
    )
