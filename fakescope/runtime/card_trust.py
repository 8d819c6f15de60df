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
