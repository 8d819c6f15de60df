"""What the `Detector` returns: frozen results, and rejections with their one-line reason.

Results print in one line, verdict first, and show a small card (verdict, P(fake), the Grad-CAM overlay) in
Jupyter; their arrays are read-only and take no part in `repr` or `==`.

Example:
    >>> result = Detector("model.onnx").predict("face.jpg")  # the bundled model on a group photo would say
    >>> result                          # Prediction(FAKE, prob_fake=0.973, threshold=0.994, ..., 2 faces)
    Prediction(..., 'face.jpg' 640x480 JPEG)
    >>> result.label in ("REAL", "FAKE"), len(result.faces), result.face   # no face front-end on this model
    (True, 0, None)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fakescope.runtime.checks import UNSURE, Evidence, reasons_for, tta_record
from fakescope.runtime.display import describe_image, freeze, html_card, number, one_line
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.heatmap import overlay
from fakescope.runtime.images import ImageInfo
from fakescope.runtime.provenance import Provenance
from fakescope.runtime.spec import CLASS_NAMES, class_name


@dataclass(frozen=True)
class Timings:
    """Milliseconds spent per stage (for a batch, the batch's share per image)."""

    decode_ms: float
    inference_ms: float
    total_ms: float


@dataclass(frozen=True)
class FaceVerdict:
    """One face found by the face front-end, and the model's verdict on its crop.

    `box` is (x0, y0, x1, y1) of the detected face and `crop` the square the model saw, both in the original
    photo's pixels (after EXIF orientation). `transform` is the 3x3 matrix taking the model view's pixel
    coordinates to the photo's, so `cam` can be drawn back onto the photo.
    """

    box: tuple[int, int, int, int]
    crop: tuple[int, int, int, int]
    score: float
    prob_fake: float
    cam: np.ndarray = field(repr=False, compare=False)
    view: np.ndarray = field(repr=False, compare=False)
    transform: np.ndarray = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        freeze(self, "cam", "view", "transform")

    def __repr__(self) -> str:
        return one_line("FaceVerdict", None, prob_fake=self.prob_fake, box=self.box, score=self.score)

    def _repr_html_(self) -> str:
        lines = [f"P(fake) {number(self.prob_fake)}", f"box {self.box}, face score {number(self.score)}"]
        return html_card("", "FACE", lines, _picture(self.view, self.cam))

    def as_dict(self) -> dict:
        return {"box": list(self.box), "score": round(self.score, 4), "prob_fake": round(self.prob_fake, 6)}


@dataclass(frozen=True)
class Prediction:
    """The verdict on one image.

    `prob_fake` is P(fake) (real = 0, fake = 1); `label` is the plain decision at the threshold ("FAKE" when
    prob_fake >= threshold, else "REAL"); `verdict` is that label only when every check in
    `fakescope.runtime.checks` agrees, else "UNSURE", with the checks' short human `reasons` (empty for a
    definite verdict). `confidence` is the probability of the chosen label; `cam` is float32 (H, W) in
    [0, 1] at the model's input resolution, aligned with `view`, the uint8 picture the model saw. With a face
    front-end, `faces` holds every face's verdict, the image's verdict is its most fake face (`face`), and
    `face` is None when no face was found (the model then saw a centre crop, and the verdict is UNSURE).
    """

    prob_fake: float
    threshold: float
    cam: np.ndarray = field(repr=False, compare=False)
    view: np.ndarray = field(repr=False, compare=False)
    info: ImageInfo
    timings: Timings = field(compare=False)
    faces: tuple[FaceVerdict, ...] = ()
    evidence: Evidence = field(default_factory=Evidence)

    def __post_init__(self) -> None:
        freeze(self, "cam", "view")

    def __repr__(self) -> str:
        return one_line(
            "Prediction",
            self._headline(),
            prob_fake=self.prob_fake,
            threshold=self.threshold,
            extra=self._facts(),
        )

    def _repr_html_(self) -> str:
        lines = [f"P(fake) {number(self.prob_fake)} (threshold {number(self.threshold)})", *self._facts()]
        lines = [f"UNSURE: {reason}" for reason in self.reasons] + lines
        return html_card("", self.verdict, lines, _picture(self.view, self.cam))

    def _headline(self) -> str:
        reasons = self.reasons
        return f"{UNSURE}: {'; '.join(reasons)}" if reasons else self.label

    def _facts(self) -> list[str]:
        faces = len(self.faces)
        return [describe_image(self.info)] + ([f"{faces} face{'s' if faces > 1 else ''}"] if faces else [])

    @property
    def face(self) -> FaceVerdict | None:
        return max(self.faces, key=lambda f: f.prob_fake) if self.faces else None

    @property
    def label(self) -> str:
        return class_name(self.prob_fake, self.threshold)

    @property
    def provenance(self) -> Provenance:
        """What the file's metadata declares about its origin (one-sided evidence; never changes P(fake))."""
        return self.info.provenance

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the verdict is UNSURE: one short reason per check that disagrees (empty when definite)."""
        return reasons_for(self)

    @property
    def verdict(self) -> str:
        """The label ("REAL" or "FAKE") when every check agrees with it, else "UNSURE"."""
        return UNSURE if self.reasons else self.label

    @property
    def prob_real(self) -> float:
        return 1.0 - self.prob_fake

    @property
    def confidence(self) -> float:
        return self.prob_fake if self.label == CLASS_NAMES[1] else self.prob_real

    def with_threshold(self, threshold: float) -> Prediction:
        """The same result judged at another threshold (no model run)."""
        check_threshold(threshold)
        return replace(self, threshold=float(threshold))

    def overlay(self, alpha: float = 0.45) -> np.ndarray:
        """The Grad-CAM jet heatmap blended over the model's view, uint8 (H, W, 3)."""
        return overlay(self.view, self.cam, alpha)

    def as_row(self) -> dict:
        """A flat, JSON-friendly record (no arrays); with test-time augmentation, `tta` holds each degraded
        copy's P(fake) and their spread."""
        row = {
            "path": self.info.name,
            "label": self.label,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "prob_fake": round(self.prob_fake, 6),
            "threshold": round(self.threshold, 6),
            "faces": [face.as_dict() for face in self.faces],
            "provenance": self.provenance.as_dict(),
            "error": "",
        }
        if self.evidence.tta_probs:
            row["tta"] = tta_record(self.prob_fake, self.evidence.tta_probs)
        return row


@dataclass(frozen=True)
class Rejected:
    """An input that could not be analysed, with its one-line reason."""

    source: str | None
    error: InvalidImageError

    def __repr__(self) -> str:
        source = repr(self.source) if self.source else None
        return one_line("Rejected", source, extra=[f"{type(self.error).__name__}: {self.message}"])

    def _repr_html_(self) -> str:
        return html_card(self.source or "", "REJECTED", [self.message])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rejected):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple:
        return (self.source, type(self.error), self.message)

    @property
    def message(self) -> str:
        return str(self.error)

    def as_row(self, threshold: float) -> dict:
        return {
            "path": self.source,
            "label": "",
            "verdict": "",
            "reasons": [],
            "prob_fake": None,
            "threshold": round(threshold, 6),
            "faces": [],
            "provenance": None,
            "error": self.message,
        }


def _picture(view: np.ndarray, cam: np.ndarray) -> np.ndarray:
    """The overlay for a result's card, or the bare view when the CAM was not computed (scans)."""
    return overlay(view, cam, 0.45) if cam.size else view


def faces_text(faces: list[dict]) -> str:
    """Faces of a row as compact text for CSV and tables: "x0,y0,x1,y1:prob; ..." ("" when none)."""
    return "; ".join("{},{},{},{}:{:.3f}".format(*face["box"], face["prob_fake"]) for face in faces)


def provenance_text(provenance: dict | None) -> str:
    """A row's provenance as one short text cell ("" for a rejected input)."""
    return provenance["summary"] if provenance else ""


def reasons_text(reasons: list[str] | tuple[str, ...]) -> str:
    """Reasons of a row as one text cell for CSV and tables: "no face found; ..." ("" when none)."""
    return "; ".join(reasons)


def check_threshold(threshold: float) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"`threshold` must be a number. Received: {threshold!r}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"`threshold` must be in (0, 1). Received: threshold={threshold}")
