"""The checks behind UNSURE: each reads one piece of evidence about a `Prediction` and returns a short human
reason, or None when it agrees with the threshold's label.

A verdict is definite ("REAL" or "FAKE") only when every registered check returns None. Checks are registered
by name in `CHECKS`, so the CLI, the dashboard and the tests enumerate them instead of repeating a list.

Example:
    >>> sorted(CHECKS)
    ['face', 'provenance']
    >>> CHECKS["face"](Detector().predict("coffee.png"))
    'no face found'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakescope.runtime.results import Prediction

UNSURE = "UNSURE"


@dataclass(frozen=True)
class Evidence:
    """What the checks read besides P(fake) and the threshold; the `Detector` fills it in.

    `face_front_end` is True when the detector looked for faces (so finding none means the model judged a
    centre crop it was not trained on).
    """

    face_front_end: bool = False


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
    """The file's metadata declares the opposite of the label (AI-generated but REAL, a camera but FAKE)."""
    return prediction.provenance.disagreement(prediction.label)
