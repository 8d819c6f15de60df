"""Threshold-free curves of scores (ROC, precision-recall, calibration) and the most confident mistakes.

The numbers on the curves (ROC AUC, average precision) are `BinaryMetrics` fields: `Scores.metrics`.

Example:
    >>> curves = compute_curves(scores)
    >>> float(curves.fpr[0]), float(curves.tpr[-1])
    (0.0, 1.0)
    >>> confident_mistakes(scores, 0.5, k=2).columns.tolist()
    ['path', 'split', 'label', 'prob_fake', 'error', 'predicted', 'confidence']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fakescope.report.scoring import Scores

if TYPE_CHECKING:
    import pandas as pd

_EMPTY = np.empty(0)


@dataclass(frozen=True, eq=False)
class Curves:
    """ROC, precision-recall and calibration curves; the ranking ones are empty when a class is missing."""

    fpr: np.ndarray
    tpr: np.ndarray
    precision: np.ndarray
    recall: np.ndarray
    calibration_true: np.ndarray
    calibration_pred: np.ndarray


def compute_curves(scores: Scores, n_bins: int = 10) -> Curves:
    """The curves of `scores`, from scikit-learn.

    Args:
        scores: what `score_records` / `evaluate_folder` returned.
        n_bins: uniform bins of the calibration curve. Defaults to 10.

    Raises:
        ValueError: nothing was scored.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import precision_recall_curve, roc_curve

    y, p = _require_scores(scores)
    both = len(np.unique(y)) == 2
    fpr, tpr, _ = roc_curve(y, p) if both else (_EMPTY, _EMPTY, None)
    precision, recall, _ = precision_recall_curve(y, p) if both else (_EMPTY, _EMPTY, None)
    cal_true, cal_pred = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    return Curves(fpr, tpr, precision, recall, cal_true, cal_pred)


def confident_mistakes(scores: Scores, threshold: float, k: int = 8) -> pd.DataFrame:
    """The `k` wrongly classified records the model was surest about, surest first.

    Rows of `scores.table()` (index: position in `scores.records`) plus `predicted` (0/1) and `confidence`:
    the probability the model gave its (wrong) answer.
    """
    y, p = _require_scores(scores)
    predicted = (p >= threshold).astype(int)
    confidence = np.where(predicted == 1, p, 1.0 - p)
    wrong = np.flatnonzero(predicted != y)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    table = scores.table().loc[order]
    return table.assign(predicted=predicted[order], confidence=confidence[order])


def _require_scores(scores: Scores) -> tuple[np.ndarray, np.ndarray]:
    if not scores.records:
        raise ValueError("the evaluation has no scored image")
    return scores.labels, scores.prob_fake
