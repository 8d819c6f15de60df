"""Curves and threshold metrics of an evaluation table, computed with scikit-learn.

Example:
    >>> curves = compute_curves(table)
    >>> curves.roc_auc, curves.average_precision
    (0.97, 0.96)
    >>> metrics_at(table, 0.5).confusion          # rows: true real/fake, columns: predicted real/fake
    array([[48,  2], [ 3, 47]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    confusion_matrix,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

_EMPTY = np.empty(0)


@dataclass(frozen=True)
class Curves:
    """ROC, precision-recall and calibration curves; the ranking ones are empty when a class is missing."""

    fpr: np.ndarray
    tpr: np.ndarray
    roc_auc: float | None
    precision: np.ndarray
    recall: np.ndarray
    average_precision: float | None
    calibration_true: np.ndarray
    calibration_pred: np.ndarray
    n_real: int
    n_fake: int
    n_errors: int


@dataclass(frozen=True)
class ThresholdMetrics:
    """Decisions at one threshold: FAKE when prob_fake >= threshold; fake is the positive class."""

    threshold: float
    confusion: np.ndarray
    accuracy: float
    balanced_accuracy: float | None
    precision: float | None
    recall: float | None
    false_positive_rate: float | None


def scored(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of an evaluation table that have a score (rejected files dropped)."""
    return table[table["prob_fake"].notna()]


def compute_curves(table: pd.DataFrame, n_bins: int = 10) -> Curves:
    """Threshold-free curves of an evaluation table (`fakescope.report.evaluate_folder`).

    Args:
        table: rows with `label` (0/1) and `prob_fake`.
        n_bins: uniform bins of the calibration curve. Defaults to 10.

    Raises:
        ValueError: no row has a score.
    """
    rows = _require_scores(table)
    y, p = rows["label"].to_numpy(), rows["prob_fake"].to_numpy()
    both = len(np.unique(y)) == 2
    fpr, tpr, _ = roc_curve(y, p) if both else (_EMPTY, _EMPTY, None)
    precision, recall, _ = precision_recall_curve(y, p) if both else (_EMPTY, _EMPTY, None)
    cal_true, cal_pred = calibration_curve(y, p, n_bins=n_bins, strategy="uniform")
    return Curves(
        fpr=fpr,
        tpr=tpr,
        roc_auc=float(roc_auc_score(y, p)) if both else None,
        precision=precision,
        recall=recall,
        average_precision=float(average_precision_score(y, p)) if both else None,
        calibration_true=cal_true,
        calibration_pred=cal_pred,
        n_real=int((y == 0).sum()),
        n_fake=int((y == 1).sum()),
        n_errors=len(table) - len(rows),
    )


def metrics_at(table: pd.DataFrame, threshold: float) -> ThresholdMetrics:
    """Confusion matrix and rates when images with prob_fake >= `threshold` are called FAKE.

    Rates whose denominator is zero (for example recall with no fake image) are None.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"`threshold` must be in (0, 1). Received: threshold={threshold}")
    rows = _require_scores(table)
    y = rows["label"].to_numpy()
    predicted = (rows["prob_fake"].to_numpy() >= threshold).astype(int)
    matrix = confusion_matrix(y, predicted, labels=[0, 1])
    (tn, fp), (fn, tp) = matrix
    recall, specificity = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    return ThresholdMetrics(
        threshold=float(threshold),
        confusion=matrix,
        accuracy=float((tp + tn) / matrix.sum()),
        balanced_accuracy=(recall + specificity) / 2
        if recall is not None and specificity is not None
        else None,
        precision=_ratio(tp, tp + fp),
        recall=recall,
        false_positive_rate=_ratio(fp, fp + tn),
    )


def confident_mistakes(table: pd.DataFrame, threshold: float, k: int = 8) -> pd.DataFrame:
    """The `k` wrongly classified rows the model was surest about, surest first.

    Adds `predicted` (0/1) and `confidence`: the probability the model gave its (wrong) answer.
    """
    rows = _require_scores(table)
    predicted = (rows["prob_fake"] >= threshold).astype(int)
    confidence = rows["prob_fake"].where(predicted == 1, 1.0 - rows["prob_fake"])
    wrong = rows.assign(predicted=predicted, confidence=confidence)[predicted != rows["label"]]
    return wrong.sort_values("confidence", ascending=False, kind="stable").head(k)


def _require_scores(table: pd.DataFrame) -> pd.DataFrame:
    rows = scored(table)
    if rows.empty:
        raise ValueError("the evaluation has no scored image")
    return rows


def _ratio(numerator: int, denominator: int) -> float | None:
    return float(numerator / denominator) if denominator else None
