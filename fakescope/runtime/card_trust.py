"""The model card's trust fields, checked when a card is built or read: temperature, conformal calibration,
out-of-distribution statistics, calibration report, intervals, robustness and warnings.

Layouts (every field may be empty for a model exported without calibration):
- `temperature`: T > 0; the runtime reports sigmoid(logit / T).
- `conformal`: {"alpha": default error level, "scores": {"REAL": [...], "FAKE": [...]}} - each class's sorted
  nonconformity scores (1 - P(true class)) on the calibration split, in [0, 1].
- `ood`: {"threshold": limit on `ood_score`, "quantile": of held-out in-distribution scores it was set at,
  "n": images it was set on, "features": pooled feature count, "fit": what the Gaussian was fitted on}.
- `calibration`, `intervals`, `robustness`: reports (numbers and short texts) for people; not read by the
  runtime.

Example:
    >>> check_trust_fields(card)       # raises ModelCardError naming the first bad field
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from fakescope.runtime.errors import ModelCardError
from fakescope.runtime.spec import CLASS_NAMES

if TYPE_CHECKING:
    from fakescope.runtime.card import ModelCard

TRUST_TYPES: dict[str, type | tuple[type, ...]] = {
    "temperature": (int, float),
    "conformal": dict,
    "ood": dict,
    "calibration": dict,
    "intervals": dict,
    "robustness": dict,
    "warnings": (tuple, list),
}


def check_trust_fields(card: ModelCard) -> None:
    if not _number(card.temperature) or card.temperature <= 0:
        raise ModelCardError(f"model card temperature must be a number > 0; got {card.temperature!r}")
    _check_conformal(card.conformal)
    _check_ood(card.ood)
    if not all(isinstance(w, str) for w in card.warnings):
        raise ModelCardError("model card warnings must be strings")


def _check_conformal(conformal: dict[str, Any]) -> None:
    if not conformal:
        return
    if set(conformal) != {"alpha", "scores"}:
        raise ModelCardError(f"model card conformal needs exactly alpha and scores; got {sorted(conformal)}")
    alpha = conformal["alpha"]
    if not _number(alpha) or not 0 < alpha < 1:
        raise ModelCardError(f"model card conformal.alpha must be in (0, 1); got {alpha!r}")
    scores = conformal["scores"]
    if not isinstance(scores, dict) or set(scores) != set(CLASS_NAMES):
        raise ModelCardError(f"model card conformal.scores needs {', '.join(CLASS_NAMES)}")
    for name in CLASS_NAMES:
        values = scores[name]
        if not isinstance(values, list) or not values or not all(_number(v) and 0 <= v <= 1 for v in values):
            raise ModelCardError(f"model card conformal.scores.{name} must be a non-empty list in [0, 1]")


def _check_ood(ood: dict[str, Any]) -> None:
    if not ood:
        return
    unknown = sorted(set(ood) - {"threshold", "quantile", "n", "features", "fit"})
    if unknown:
        raise ModelCardError(f"model card ood has unknown keys: {', '.join(unknown)}")
    if not _number(ood.get("threshold")) or ood["threshold"] < 0:
        raise ModelCardError(f"model card ood.threshold must be a number >= 0; got {ood.get('threshold')!r}")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


INTERVAL_NAMES = {
    "roc_auc": "ROC AUC",
    "average_precision": "AP",
    "accuracy": "accuracy",
    "tpr": "TPR",
    "fpr": "FPR",
}


def interval_lines(intervals: dict[str, Any]) -> list[str]:
    """The card's intervals for people: `ROC AUC 0.985 [0.950, 1.000], 15 real / 75 fake` per metric."""
    if not intervals:
        return []
    counts = f"{intervals.get('n_real', '?')} real / {intervals.get('n_fake', '?')} fake"
    level = f"{100 * float(intervals.get('level', 0.95)):g}%"
    lines = []
    for key, (value, low, high) in intervals.get("metrics", {}).items():
        lines.append(
            f"{INTERVAL_NAMES.get(key, key)} {value:.3f} [{low:.3f}, {high:.3f}] ({level}), {counts}"
        )
    return lines


def trust_lines(card: ModelCard) -> dict[str, str]:
    """One line per trust field of `card` that is set, for `fakescope info` and the dashboard."""
    rows: dict[str, str] = {}
    if card.temperature != 1.0 or card.calibration:
        info = card.calibration
        text = f"temperature {card.temperature:.3f}"
        if "test_ece_before" in info:
            text += f"; test ECE {info['test_ece_before']:.3f} -> {info['test_ece']:.3f}"
        if "n_real" in info:
            text += f"; fitted on {info['n_real']} real / {info['n_fake']} fake"
        rows["calibration"] = text
    if card.conformal:
        scores = card.conformal["scores"]
        rows["conformal"] = (
            f"class-conditional at alpha={card.conformal['alpha']:g} "
            f"({len(scores['REAL'])} real / {len(scores['FAKE'])} fake calibration scores)"
        )
    if card.ood:
        rows["OOD"] = (
            f"Mahalanobis on pooled features; UNSURE above {card.ood['threshold']:.2f} "
            f"(the {card.ood.get('quantile', 0.99):g} quantile of {card.ood.get('n', '?')} held-out images)"
        )
    selective = card.calibration.get("selective")
    if selective:
        accuracy = "-" if selective["accuracy"] is None else f"{selective['accuracy']:.3f}"
        rows["answered"] = (
            f"{selective['coverage']:.1%} of the test split; accuracy on the answered {accuracy}"
        )
    for index, line in enumerate(interval_lines(card.intervals)):
        rows["intervals" if index == 0 else f"intervals {index + 1}"] = line
    for index, warning in enumerate(card.warnings):
        rows["warning" if index == 0 else f"warning {index + 1}"] = warning
    return rows
