"""Binary detection metrics and the decision threshold, from scikit-learn (no TensorFlow here).

Convention: real = 0 (negative), fake = 1 (positive); a picture is called fake when prob_fake >= threshold.

Example:
    >>> threshold = choose_threshold(valid_labels, valid_prob)             # max balanced accuracy
    >>> threshold = choose_threshold(valid_labels, valid_prob, target_fpr=0.05)
    >>> binary_metrics(test_labels, test_prob, threshold).roc_auc
    0.97
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

THRESHOLD_EPSILON = 1e-6
"""Thresholds are kept inside [eps, 1 - eps] so a model card (which needs (0, 1)) can hold them."""


@dataclass(frozen=True)
class BinaryMetrics:
    """Scores of probabilities against labels at one threshold (None where a class is missing)."""

    n: int
    n_real: int
    n_fake: int
    threshold: float
    accuracy: float
    balanced_accuracy: float | None
    roc_auc: float | None
    average_precision: float | None
    eer: float | None
    log_loss: float
    tpr: float | None
    fpr: float | None
    confusion: dict[str, int]

    def as_dict(self) -> dict:
        return asdict(self)


def binary_metrics(labels, prob, threshold: float = 0.5) -> BinaryMetrics:
    """Accuracy, balanced accuracy, ROC AUC, average precision, EER, log loss and the confusion matrix.

    Args:
        labels: 0/1 array-like (real = 0, fake = 1).
        prob: P(fake) array-like, same length.
        threshold: call fake when prob >= threshold. Defaults to 0.5.

    Raises:
        ValueError: empty input, length mismatch, labels not 0/1, or probabilities outside [0, 1].
    """
    from sklearn import metrics

    y, p = _check(labels, prob)
    predicted = (p >= threshold).astype(int)
    tn, fp, fn, tp = (int(v) for v in metrics.confusion_matrix(y, predicted, labels=[0, 1]).ravel())
    both = bool(tn + fp) and bool(fn + tp)
    return BinaryMetrics(
        n=int(y.size),
        n_real=tn + fp,
        n_fake=fn + tp,
        threshold=float(threshold),
        accuracy=float(metrics.accuracy_score(y, predicted)),
        balanced_accuracy=float(metrics.balanced_accuracy_score(y, predicted)) if both else None,
        roc_auc=float(metrics.roc_auc_score(y, p)) if both else None,
        average_precision=float(metrics.average_precision_score(y, p)) if both else None,
        eer=equal_error_rate(y, p) if both else None,
        log_loss=float(metrics.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])),
        tpr=tp / (tp + fn) if tp + fn else None,
        fpr=fp / (fp + tn) if fp + tn else None,
        confusion={"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    )


def equal_error_rate(labels, prob) -> float:
    """The error rate where the false-positive and false-negative rates meet (from sklearn's `roc_curve`)."""
    from sklearn.metrics import roc_curve

    y, p = _check(labels, prob)
    fpr, tpr, _ = roc_curve(y, p)
    fnr = 1.0 - tpr
    i = int(np.nanargmin(np.abs(fnr - fpr)))
    return float((fpr[i] + fnr[i]) / 2)


def choose_threshold(labels, prob, *, target_fpr: float | None = None) -> float:
    """The decision threshold on a validation split.

    With `target_fpr` None, the cut with the highest balanced accuracy (Youden's J); otherwise the cut with
    the highest true-positive rate whose false-positive rate is <= `target_fpr`. The threshold sits halfway
    between the chosen score and the next lower one, so it classifies the validation set exactly as the cut.

    Args:
        labels: 0/1 array-like with both classes.
        prob: P(fake) array-like.
        target_fpr: largest acceptable false-positive rate in [0, 1]. Defaults to None.

    Raises:
        ValueError: one class only, or `target_fpr` outside [0, 1].
    """
    from sklearn.metrics import roc_curve

    if target_fpr is not None and not 0.0 <= target_fpr <= 1.0:
        raise ValueError(f"`target_fpr` must be in [0, 1]. Received: target_fpr={target_fpr}")
    y, p = _check(labels, prob)
    if y.min() == y.max():
        raise ValueError("choosing a threshold needs both real and fake images in the validation split")
    fpr, tpr, cuts = roc_curve(y, p, drop_intermediate=False)
    cuts = np.minimum(cuts, 1.0)  # the first cut is +inf: nothing called fake
    k = int(np.argmax(tpr - fpr)) if target_fpr is None else int(np.flatnonzero(fpr <= target_fpr)[-1])
    lower = cuts[k + 1] if k + 1 < cuts.size else 0.0
    return float(np.clip((cuts[k] + lower) / 2, THRESHOLD_EPSILON, 1 - THRESHOLD_EPSILON))


def _check(labels, prob) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).reshape(-1)
    p = np.asarray(prob, dtype=np.float64).reshape(-1)
    if y.size == 0:
        raise ValueError("no scored images to compute metrics on")
    if y.size != p.size:
        raise ValueError(f"need equally many labels and probabilities. Received: {y.size} and {p.size}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    if not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
        raise ValueError("probabilities must be finite and in [0, 1]")
    return y.astype(int), p
