"""Binary detection metrics and the decision threshold, from scikit-learn (no TensorFlow, no pandas).

Convention: real = 0 (negative), fake = 1 (positive); a picture is called FAKE when prob_fake >= threshold.
`BinaryMetrics` is the one metrics type of the project: `fakescope evaluate`, the run's `metrics.json`, the
model card, `evaluate_onnx` and the model report all hold it.

Example:
    >>> labels, prob = [0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]
    >>> metrics = binary_metrics(labels, prob, threshold=0.5)
    >>> metrics.roc_auc, metrics.accuracy, metrics.confusion
    (0.75, 0.5, {'tn': 1, 'fp': 1, 'fn': 1, 'tp': 1})
    >>> metrics.at(labels, prob, 0.3).tpr         # another threshold; ROC AUC is not computed again
    1.0
    >>> choose_threshold(labels, prob)
    0.75
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np

THRESHOLD_EPSILON = 1e-6
"""Thresholds are kept inside [eps, 1 - eps] so a model card (which needs (0, 1)) can hold them."""


@dataclass(frozen=True)
class BinaryMetrics:
    """Scores of probabilities against labels: decisions at `threshold`, and the threshold-free rankings.

    `tpr` is the recall of FAKE (fakes caught), `fpr` the share of reals called FAKE, `precision` the share
    of FAKE verdicts that are fake. Rates with a zero denominator, and the ranking metrics (`roc_auc`,
    `average_precision`, `eer`) when one class is missing, are None.
    """

    n: int
    n_real: int
    n_fake: int
    threshold: float
    accuracy: float
    balanced_accuracy: float | None
    precision: float | None
    tpr: float | None
    fpr: float | None
    confusion: dict[str, int]
    roc_auc: float | None
    average_precision: float | None
    eer: float | None
    log_loss: float

    @property
    def matrix(self) -> np.ndarray:
        """The confusion matrix as 2x2 counts: rows true REAL/FAKE, columns predicted REAL/FAKE."""
        c = self.confusion
        return np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]])

    def at(self, labels, prob, threshold: float) -> BinaryMetrics:
        """The metrics of the same `labels` and `prob` at another threshold (the rankings are reused)."""
        y, p = check_scores(labels, prob)
        if y.size != self.n:
            raise ValueError(f"these metrics are of {self.n} scores; received {y.size}")
        return replace(self, **_decisions(y, p, threshold))

    def as_dict(self) -> dict:
        """A JSON-ready dict (the `test` / `valid` entries of metrics.json)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BinaryMetrics:
        """The metrics `as_dict` wrote; `precision`, missing from files written before it was recorded, is
        None then.

        Raises:
            ValueError: a key is missing or unknown.
        """
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict):
            raise ValueError(f"metrics must be an object; got {type(data).__name__}")
        data = {"precision": None, **data}
        missing, unknown = sorted(names - set(data)), sorted(set(data) - names)
        if missing or unknown:
            raise ValueError(f"metrics keys missing: {missing}, unknown: {unknown}")
        confusion = data["confusion"]
        if not isinstance(confusion, dict) or sorted(confusion) != ["fn", "fp", "tn", "tp"]:
            raise ValueError(f"metrics confusion must hold tn, fp, fn, tp; got {confusion!r}")
        return cls(**data)


def binary_metrics(labels, prob, threshold: float = 0.5) -> BinaryMetrics:
    """Accuracy, balanced accuracy, precision, rates, confusion, ROC AUC, average precision, EER, log loss.

    Args:
        labels: 0/1 array-like (real = 0, fake = 1).
        prob: P(fake) array-like, same length.
        threshold: call FAKE when prob >= threshold. Defaults to 0.5.

    Raises:
        ValueError: empty input, length mismatch, labels not 0/1, or probabilities outside [0, 1].
    """
    from sklearn import metrics

    y, p = check_scores(labels, prob)
    n_fake = int(y.sum())
    both = 0 < n_fake < y.size
    return BinaryMetrics(
        n=int(y.size),
        n_real=int(y.size - n_fake),
        n_fake=n_fake,
        **_decisions(y, p, threshold),
        roc_auc=float(metrics.roc_auc_score(y, p)) if both else None,
        average_precision=float(metrics.average_precision_score(y, p)) if both else None,
        eer=equal_error_rate(y, p) if both else None,
        log_loss=float(metrics.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])),
    )


def equal_error_rate(labels, prob) -> float:
    """The error rate where the false-positive and false-negative rates meet (from sklearn's `roc_curve`).

    Example:
        >>> equal_error_rate([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
        0.5
    """
    from sklearn.metrics import roc_curve

    y, p = check_scores(labels, prob)
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
    y, p = check_scores(labels, prob)
    if y.min() == y.max():
        raise ValueError("choosing a threshold needs both real and fake images in the validation split")
    fpr, tpr, cuts = roc_curve(y, p, drop_intermediate=False)
    cuts = np.minimum(cuts, 1.0)  # the first cut is +inf: nothing called fake
    k = int(np.argmax(tpr - fpr)) if target_fpr is None else int(np.flatnonzero(fpr <= target_fpr)[-1])
    lower = cuts[k + 1] if k + 1 < cuts.size else 0.0
    return float(np.clip((cuts[k] + lower) / 2, THRESHOLD_EPSILON, 1 - THRESHOLD_EPSILON))


def check_scores(labels, prob) -> tuple[np.ndarray, np.ndarray]:
    """`labels` as an int 0/1 array and `prob` as float64, or `ValueError` saying what is wrong."""
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


def _decisions(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    fake = p >= threshold
    tp, fp = int(np.sum(fake & (y == 1))), int(np.sum(fake & (y == 0)))
    fn, tn = int(np.sum(~fake & (y == 1))), int(np.sum(~fake & (y == 0)))
    tpr, tnr = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    return {
        "threshold": float(threshold),
        "accuracy": (tp + tn) / y.size,
        "balanced_accuracy": (tpr + tnr) / 2 if tpr is not None and tnr is not None else None,
        "precision": _ratio(tp, tp + fp),
        "tpr": tpr,
        "fpr": _ratio(fp, fp + tn),
        "confusion": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
