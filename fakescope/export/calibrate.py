"""Calibrate an exported model on data used neither for training nor for its threshold, and measure it.

For one sealed ONNX model (FP32 or quantised, each calibrated with its own outputs): the temperature that
minimises the calibration split's log loss (the card's threshold is moved with it, so every decision stays
the same), each class's conformal nonconformity scores, and the OOD threshold (a quantile of the calibration
split's `ood_score`). On the test split, with the calibrated model: bootstrap intervals, ECE and reliability
before and after, selective prediction (a definite verdict is an answer), and robustness.

Example:
    >>> fields = calibration_fields(Detector("m.onnx"), calibration_records, alpha=0.05)
    >>> sorted(fields)
    ['calibration', 'conformal', 'ood', 'temperature', 'threshold', 'warnings']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fakescope.data.layout import TRAINING_LIMITS, ImageRecord
from fakescope.export.errors import ExportError
from fakescope.export.ood import QUANTILE, ood_threshold
from fakescope.runtime.calibrated import calibrated_prob
from fakescope.runtime.conformal import DEFAULT_ALPHA, check_alpha, too_few_for_alpha
from fakescope.runtime.detector import Detector
from fakescope.runtime.results import Prediction
from fakescope.runtime.spec import CLASS_NAMES
from fakescope.uncertainty.conformal import calibration_scores
from fakescope.uncertainty.robustness import robustness
from fakescope.uncertainty.summary import small_split_warning, trust_summary
from fakescope.uncertainty.temperature import fit_temperature, log_loss_of_logits


def calibration_fields(
    detector: Detector, calibration: Sequence[ImageRecord], alpha: float = DEFAULT_ALPHA
) -> dict[str, Any]:
    """The card fields that calibration on `calibration` gives the model `detector` runs (temperature 1):
    temperature, threshold (moved with it), conformal, ood (when the graph has `ood_score`), calibration and
    warnings.

    Raises:
        ExportError: the calibration records lack a readable class.
    """
    alpha = check_alpha(alpha)
    labels, found = _judged(detector, calibration)
    if len(np.unique(labels)) < 2:
        raise ExportError("the calibration images must hold readable real and fake images")
    logits = np.array([p.evidence.logit for p in found])
    temperature = fit_temperature(labels, logits)
    prob = calibrated_prob(logits, temperature)
    logit_threshold = np.log(detector.threshold) - np.log1p(-detector.threshold)
    fields: dict[str, Any] = {
        "temperature": temperature,
        "threshold": float(np.clip(calibrated_prob(logit_threshold, temperature), 1e-6, 1 - 1e-6)),
        "conformal": {"alpha": alpha, "scores": calibration_scores(labels, prob)},
        "calibration": {
            "n_real": int(np.sum(labels == 0)),
            "n_fake": int(np.sum(labels == 1)),
            "log_loss_before": log_loss_of_logits(labels, logits),
            "log_loss_after": log_loss_of_logits(labels, logits, temperature),
        },
        "warnings": tuple(
            w for w in [small_split_warning(labels, "calibration"), _alpha_warning(labels, alpha)] if w
        ),
    }
    oods = [p.evidence.ood_score for p in found]
    if all(score is not None for score in oods):
        fields["ood"] = {
            "threshold": ood_threshold(np.array(oods), QUANTILE),
            "quantile": QUANTILE,
            "n": len(oods),
            "fit": "class means and Ledoit-Wolf shared covariance of the training split's pooled features",
        }
    return fields


def measured_fields(
    detector: Detector, test: Sequence[ImageRecord], with_robustness: bool = True
) -> dict[str, Any]:
    """What the calibrated model `detector` runs does on `test`: intervals, test ECE before/after,
    selective prediction, risk-coverage area (in `calibration`) and robustness ({} if none is readable)."""
    labels, found = _judged(detector, test)
    if not len(labels):
        return {}
    raw = calibrated_prob(np.array([p.evidence.logit for p in found]), 1.0)
    numbers = trust_summary(
        labels,
        [p.prob_fake for p in found],
        detector.threshold,
        answered=[p.verdict != "UNSURE" for p in found],
        prob_before=raw,
    )
    calibration = {
        **detector.card.calibration,
        **{f"test_{k}": v for k, v in numbers["calibration"].items()},
        "selective": numbers["selective"],
        "risk_coverage_area": numbers["risk_coverage"]["area"],
    }
    out: dict[str, Any] = {"calibration": calibration}
    if "intervals" in numbers:
        out["intervals"] = numbers["intervals"]
    if with_robustness:
        out["robustness"] = robustness(detector, test)
    return out


def _alpha_warning(labels: np.ndarray, alpha: float) -> str | None:
    return too_few_for_alpha({name: int(np.sum(labels == i)) for i, name in enumerate(CLASS_NAMES)}, alpha)


def _judged(detector: Detector, records: Sequence[ImageRecord]) -> tuple[np.ndarray, list[Prediction]]:
    scorer = detector.with_limits(TRAINING_LIMITS)
    results = scorer.predict_batch([r.path for r in records], batch_size=64, on_error="return")
    kept = [(r, p) for r, p in zip(records, results, strict=True) if isinstance(p, Prediction)]
    return np.array([r.label for r, _ in kept], int), [p for _, p in kept]
