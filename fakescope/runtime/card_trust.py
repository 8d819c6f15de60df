"""The model card's trust fields, checked when a card is built or read: temperature, conformal calibration,
out-of-distribution statistics, calibration report, intervals, robustness and warnings.

Layouts (every field may be empty for a model exported without calibration):
- `temperature`: T > 0; the runtime reports sigmoid(logit / T).
- `conformal`: {"alpha": default error level, "scores": {"REAL": [...], "FAKE": [...]}} - each class's sorted
  nonconformity scores (1 - P(true class)) on the calibration split, in [0, 1].
- `ood`: {"threshold": limit on `ood_score`, "quantile": of held-out in-distribution scores it was set at,
  "n": images it was set on, "features": pooled feature count, "fit": what the Gaussian was fitted on}.
- `calibration`, `intervals`, `robustness`: reports for people, not read by the Detector; `fakescope info`
  and the dashboard print them, so each is a bounded table of finite numbers, None and short texts, and the
  entries those read have their expected shape (`REPORT_CHECKS`).

Example:
    >>> check_trust_fields(card)       # a card without calibration passes; a bad field raises ModelCardError
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
    _check_warnings(card.warnings)
    for name, check in REPORT_CHECKS.items():
        problem = _table(getattr(card, name)) or check(getattr(card, name))
        if problem:
            raise ModelCardError(f"model card {name} {problem}")


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
    problem = (
        _optional(ood, "quantile", _rate)
        or _optional(ood, "n", _count)
        or _optional(ood, "features", _count)
        or _optional(ood, "fit", _short_text)
    )
    if problem:
        raise ModelCardError(f"model card ood.{problem}")


MAX_WARNINGS, MAX_TEXT = 20, 400
MAX_REPORT_DEPTH, MAX_REPORT_ITEMS = 4, 2000


def _check_warnings(warnings: tuple[str, ...] | list[str]) -> None:
    if len(warnings) > MAX_WARNINGS:
        raise ModelCardError(f"model card has {len(warnings)} warnings, over {MAX_WARNINGS}")
    for warning in warnings:
        problem = _short_text(warning)
        if problem:
            raise ModelCardError(f"model card warning {problem}")


def _short_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    if len(value) > MAX_TEXT:
        return f"is {len(value)} characters long, over {MAX_TEXT}"
    return None if value.isprintable() else "holds control characters"


def _rate(value: Any) -> str | None:
    return None if _number(value) and 0 <= value <= 1 else f"must be a number in [0, 1]; got {value!r}"


def _count(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return None if ok else f"must be a whole number >= 0; got {value!r}"


def _optional(table: dict[str, Any], key: str, check) -> str | None:
    problem = check(table[key]) if key in table else None
    return f"{key} {problem}" if problem else None


def _table(value: Any, depth: int = 0) -> str | None:
    """None when `value` is a bounded report: tables with short text keys, lists, finite numbers, None and
    short texts, at most `MAX_REPORT_DEPTH` deep and `MAX_REPORT_ITEMS` long at each level."""
    if value is None or _number(value) or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return _short_text(value)
    if not isinstance(value, (dict, list, tuple)):
        return f"holds a {type(value).__name__}"
    if depth >= MAX_REPORT_DEPTH:
        return f"is nested over {MAX_REPORT_DEPTH} deep"
    if len(value) > MAX_REPORT_ITEMS:
        return f"has {len(value)} entries, over {MAX_REPORT_ITEMS}"
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        problem = (_short_text(key) if isinstance(value, dict) else None) or _table(item, depth + 1)
        if problem:
            return f"entry {str(key)[:40]!r} {problem}"
    return None


def _calibration_report(info: dict[str, Any]) -> str | None:
    if ("test_ece" in info) != ("test_ece_before" in info):
        return "needs test_ece and test_ece_before together"
    problem = next((p for key in ("test_ece", "test_ece_before") if (p := _optional(info, key, _rate))), None)
    problem = problem or _optional(info, "n_real", _count) or _optional(info, "n_fake", _count)
    if problem or "selective" not in info:
        return problem
    chosen = info["selective"]
    if not isinstance(chosen, dict) or "coverage" not in chosen or "accuracy" not in chosen:
        return "selective needs coverage and accuracy"
    accuracy = None if chosen["accuracy"] is None else _rate(chosen["accuracy"])
    return next((f"selective {p}" for p in (_rate(chosen["coverage"]), accuracy) if p), None)


def _intervals_report(intervals: dict[str, Any]) -> str | None:
    problem = (
        _optional(intervals, "level", _rate)
        or _optional(intervals, "n_real", _count)
        or _optional(intervals, "n_fake", _count)
    )
    metrics = intervals.get("metrics", {})
    if problem or not isinstance(metrics, dict):
        return problem or "metrics must be a table"
    for key, triple in metrics.items():
        if not isinstance(triple, list) or len(triple) != 3 or not all(_number(v) for v in triple):
            return f"metrics {key!r} must be [value, low, high]; got {triple!r}"
    return None


def _robustness_report(robustness: dict[str, Any]) -> str | None:
    for name, row in robustness.items():
        if not isinstance(row, dict):
            return f"{name!r} must be a table"
        problem = (
            (None if row.get("roc_auc") is None else _rate(row["roc_auc"]))
            or _optional(row, "flipped", _rate)
            or _optional(row, "n", _count)
        )
        if problem:
            return f"{name!r} {problem}"
    return None


REPORT_CHECKS = {
    "calibration": _calibration_report,
    "intervals": _intervals_report,
    "robustness": _robustness_report,
}
"""The shape of each report field beyond `_table`: what `trust_lines` and the model report read."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


INTERVAL_NAMES = {
    "roc_auc": "ROC AUC",
    "average_precision": "AP",
    "accuracy": "accuracy",
    "tpr": "TPR",
    "fpr": "FPR",
}
"""The metrics with bootstrap intervals (`fakescope.uncertainty.intervals`), as written for people."""


def interval_basis(intervals: dict[str, Any]) -> str:
    """What the card's intervals rest on: `95%, 15 real / 75 fake`."""
    level = f"{100 * float(intervals.get('level', 0.95)):g}%"
    return f"{level}, {intervals.get('n_real', '?')} real / {intervals.get('n_fake', '?')} fake"


def interval_texts(intervals: dict[str, Any]) -> dict[str, str]:
    """Each metric's interval for people, by metric key: {"roc_auc": "ROC AUC 0.985 [0.950, 1.000]"}."""
    return {
        key: f"{INTERVAL_NAMES.get(key, key)} {value:.3f} [{low:.3f}, {high:.3f}]"
        for key, (value, low, high) in intervals.get("metrics", {}).items()
    }


def interval_lines(intervals: dict[str, Any]) -> list[str]:
    """The card's intervals for people: `ROC AUC 0.985 [0.950, 1.000] (95%), 15 real / 75 fake` per metric."""
    if not intervals:
        return []
    level, counts = interval_basis(intervals).split(", ", 1)
    return [f"{text} ({level}), {counts}" for text in interval_texts(intervals).values()]


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
    if card.intervals.get("metrics"):
        rows["intervals"] = (
            f"{'; '.join(interval_texts(card.intervals).values())} ({interval_basis(card.intervals)})"
        )
    for index, warning in enumerate(card.warnings):
        rows["warning" if index == 0 else f"warning {index + 1}"] = warning
    return rows
