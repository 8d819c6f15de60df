"""The checks behind UNSURE: each reads one piece of evidence about a `Prediction` and returns a short human
reason, or None when it agrees with the threshold's label.

A verdict is definite ("REAL" or "FAKE") only when every registered check returns None. Checks are registered
by name in `CHECKS`, so the CLI, the dashboard and the tests enumerate them instead of repeating a list.

Example:
    >>> list(CHECKS)
    ['face', 'provenance', 'ood', 'conformal', 'tta']
    >>> blank = np.full((256, 256, 3), 200, np.uint8)              # a picture with no face in it
    >>> CHECKS["face"](Detector(model, face_crop=True).predict(blank))
    'no face found'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakescope.runtime.degrade import TTA_COPIES

if TYPE_CHECKING:
    from fakescope.runtime.results import Prediction

UNSURE = "UNSURE"


@dataclass(frozen=True)
class Evidence:
    """What the checks read besides P(fake) and the threshold; the `Detector` fills it in.

    `face_front_end` is True when the detector looked for faces (so finding none means the model judged a
    centre crop it was not trained on). `logit` is the judged view's logit before temperature scaling.
    `ood_score` is the graph's out-of-distribution score of that view (squared Mahalanobis distance of its
    pooled features to the nearest class of the training data) and `ood_threshold` the card's limit (None
    when the model has none). `prediction_set` holds the labels the conformal calibration at `alpha` keeps
    (None without calibration). `tta_probs` are P(fake) of the degraded copies (empty unless asked for).
    """

    face_front_end: bool = False
    logit: float | None = None
    ood_score: float | None = None
    ood_threshold: float | None = None
    prediction_set: tuple[str, ...] | None = None
    alpha: float | None = None
    tta_probs: tuple[float, ...] = ()


Check = Callable[["Prediction"], "str | None"]
CHECKS: dict[str, Check] = {}


def register(name: str) -> Callable[[Check], Check]:
    """Add a check to `CHECKS` under `name` (the order of registration is the order of the reasons)."""

    def add(check: Check) -> Check:
        CHECKS[name] = check
        return check

    return add


def reasons_for(prediction: Prediction) -> tuple[str, ...]:
    """Every registered check's reason against `prediction`, in registration order."""
    return tuple(reason for check in CHECKS.values() if (reason := check(prediction)))


@register("face")
def no_face(prediction: Prediction) -> str | None:
    """The face front-end found no face: the score is the centre crop's, on a picture unlike the training."""
    return "no face found" if prediction.evidence.face_front_end and not prediction.faces else None


@register("provenance")
def declared_otherwise(prediction: Prediction) -> str | None:
    """The file's metadata declares the opposite of the label: AI-made but REAL, or a camera capture by a
    trusted C2PA manifest but FAKE (`Provenance.disagreement`)."""
    return prediction.provenance.disagreement(prediction.label)


@register("ood")
def unlike_training(prediction: Prediction) -> str | None:
    """The pooled features lie farther from the training data than held-out images of its kind ever did."""
    score, limit = prediction.evidence.ood_score, prediction.evidence.ood_threshold
    if score is None or limit is None or score <= limit:
        return None
    return f"unlike the training data (OOD score {score:.1f} > {limit:.1f})"


@register("conformal")
def undecided_at_alpha(prediction: Prediction) -> str | None:
    """The conformal set at alpha holds both labels, neither, or a label other than the threshold's."""
    members, alpha = prediction.evidence.prediction_set, prediction.evidence.alpha
    if members is None:
        return None
    if len(members) == 2:
        return f"both labels plausible at alpha={alpha:g}"
    if not members:
        return f"neither label plausible at alpha={alpha:g}"
    if members[0] != prediction.label:
        return f"conformal set {{{members[0]}}} disagrees with the threshold"
    return None


@register("tta")
def degraded_copies_disagree(prediction: Prediction) -> str | None:
    """Re-encoded, downscaled and mirrored copies are not all judged the same label at the threshold."""
    probs = prediction.evidence.tta_probs
    if not probs:
        return None
    fake = [p >= prediction.threshold for p in (prediction.prob_fake, *probs)]
    if all(fake) or not any(fake):
        return None
    every = (prediction.prob_fake, *probs)
    return f"degraded copies disagree (P(fake) {min(every):.2f} to {max(every):.2f})"


def tta_record(prob_fake: float, copies: tuple[float, ...]) -> dict:
    """P(fake) of each degraded copy by name and the spread (max - min, the image's own P(fake) included).

    Example:
        >>> tta_record(0.9, (0.8, 0.95, 0.9))
        {'copies': {'jpeg75': 0.8, 'half': 0.95, 'mirror': 0.9}, 'spread': 0.15}
    """
    every = (prob_fake, *copies)
    return {
        "copies": {name: round(p, 6) for name, p in zip(TTA_COPIES, copies, strict=True)},
        "spread": round(max(every) - min(every), 6),
    }
