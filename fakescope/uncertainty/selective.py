"""Selective prediction: how often the detector answers (a definite verdict), how good the answers are, and
the risk-coverage curve of answering only the most confident images.

Example:
    >>> selective(labels, prob, answered, threshold=0.5)
    Selective(coverage=0.844, accuracy=0.961, roc_auc=0.990, n_answered=76 of 90)
    >>> round(risk_coverage(labels, prob, threshold=0.5).area, 4)
    0.0123
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Selective:
    """Coverage (share answered) and, on the answered images, accuracy and ROC AUC (None when undefined)."""

    coverage: float
    accuracy: float | None
    roc_auc: float | None
    n_answered: int
    n: int

    def as_dict(self) -> dict:
        return asdict(self)

    def __repr__(self) -> str:
        acc = "None" if self.accuracy is None else f"{self.accuracy:.3f}"
        auc = "None" if self.roc_auc is None else f"{self.roc_auc:.3f}"
        return (
            f"Selective(coverage={self.coverage:.3f}, accuracy={acc}, roc_auc={auc}, "
            f"n_answered={self.n_answered} of {self.n})"
        )


@dataclass(frozen=True)
class RiskCoverage:
    """Answering the k most confident images for k = 1..n: coverage k/n and risk (error rate among them).

    `area` is the area under the risk-coverage curve (the mean risk over k; lower is better).
    """

    coverage: tuple[float, ...]
    risk: tuple[float, ...]

    @property
    def area(self) -> float:
        return float(np.mean(self.risk))

    def as_dict(self) -> dict:
        return {"coverage": list(self.coverage), "risk": list(self.risk), "area": self.area}

    def __repr__(self) -> str:
        return f"RiskCoverage(area={self.area:.4f}, n={len(self.risk)})"


def selective(labels, prob, answered, threshold: float = 0.5) -> Selective:
    """Coverage and the answered images' accuracy (at `threshold`) and ROC AUC; `answered` is a bool mask."""
    from sklearn.metrics import roc_auc_score

    y, p = np.asarray(labels).reshape(-1).astype(int), np.asarray(prob, np.float64).reshape(-1)
    mask = np.asarray(answered, dtype=bool).reshape(-1)
    if not len(y) or len(y) != len(p) or len(y) != len(mask):
        raise ValueError("need as many labels, probabilities and answered flags, at least one")
    ya, pa = y[mask], p[mask]
    accuracy = float(np.mean((pa >= threshold) == (ya == 1))) if len(ya) else None
    auc = float(roc_auc_score(ya, pa)) if len(np.unique(ya)) == 2 else None
    return Selective(float(mask.mean()), accuracy, auc, int(mask.sum()), len(y))


def risk_coverage(labels, prob, threshold: float = 0.5, confidence=None) -> RiskCoverage:
    """The risk-coverage curve, most confident first.

    Args:
        labels: 0/1. prob: P(fake). threshold: the decision threshold. Defaults to 0.5.
        confidence: how sure each answer is (higher answers first). Defaults to the probability of the
            label chosen at the threshold (P(fake) for FAKE, 1 - P(fake) for REAL).
    """
    y, p = np.asarray(labels).reshape(-1).astype(int), np.asarray(prob, np.float64).reshape(-1)
    if not len(y) or len(y) != len(p):
        raise ValueError("need as many labels as probabilities, at least one")
    called = p >= threshold
    if confidence is None:
        confidence = np.where(called, p, 1.0 - p)
    order = np.argsort(-np.asarray(confidence, np.float64), kind="stable")
    errors = np.cumsum(called[order] != (y[order] == 1))
    k = np.arange(1, len(y) + 1)
    return RiskCoverage(tuple(float(c) for c in k / len(y)), tuple(float(r) for r in errors / k))
