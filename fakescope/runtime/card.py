"""The model card: what a model expects, what it was trained on, how good it is and what it is not for.

Stored as one JSON entry (`CARD_METADATA_KEY`) in the ONNX `metadata_props`; written by the export,
verified by the runtime at load.

Example:
    >>> card = ModelCard.from_json(Detector("model.onnx").card.to_json())
    >>> card.input_spec, card.threshold
    (InputSpec(height=32, width=32, greyscale=False, value_range=(0.0, 1.0)), 0.5)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from fakescope.runtime.card_trust import TRUST_TYPES, check_trust_fields
from fakescope.runtime.errors import ModelCardError
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.preprocess import RESIZE_FILTER, InputSpec
from fakescope.runtime.spec import CAM_LAYER, CLASS_NAMES

CARD_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ModelCard:
    """Everything the runtime and a reader need to know about one exported model."""

    name: str
    version: str
    architecture: str
    input_height: int
    input_width: int
    greyscale: bool = False
    value_range: tuple[float, float] = (0.0, 1.0)
    crop: str = "center"
    resize_filter: str = RESIZE_FILTER
    class_names: tuple[str, str] = CLASS_NAMES
    label_convention: str = "real=0, fake=1; prob_fake = P(fake)"
    threshold: float = 0.5
    cam_layer: str = CAM_LAYER
    created: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    metrics_quantized: dict[str, Any] = field(default_factory=dict)
    precision: str = "fp32"
    training_data: str = ""
    intended_use: str = ""
    limitations: str = ""
    face_crop: FaceCrop = field(default_factory=FaceCrop)
    temperature: float = 1.0
    conformal: dict[str, Any] = field(default_factory=dict)
    ood: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    intervals: dict[str, Any] = field(default_factory=dict)
    robustness: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    versions: dict[str, str] = field(default_factory=dict)
    graph_sha256: str = ""
    schema_version: int = CARD_SCHEMA_VERSION

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ModelCardError(f"model card threshold must be in (0, 1); got {self.threshold}")
        if self.crop != "center":
            raise ModelCardError(f"model card crop {self.crop!r} is not supported (only 'center')")
        if self.resize_filter != RESIZE_FILTER:
            raise ModelCardError(f"model card resize filter {self.resize_filter!r} is not {RESIZE_FILTER!r}")
        if tuple(self.class_names) != CLASS_NAMES:
            raise ModelCardError(f"model card class names must be {CLASS_NAMES}; got {self.class_names}")
        if len(self.value_range) != 2 or not all(_is_finite_number(v) for v in self.value_range):
            raise ModelCardError(f"model card value_range must be two numbers; got {self.value_range}")
        if not isinstance(self.face_crop, FaceCrop):
            raise ModelCardError(
                f"model card face_crop must be a FaceCrop; got {type(self.face_crop).__name__}"
            )
        check_trust_fields(self)
        for key, check in FIELD_CHECKS.items():
            problem = check(getattr(self, key))
            if problem:
                raise ModelCardError(f"model card {key} {problem}")

    @property
    def input_spec(self) -> InputSpec:
        try:
            return InputSpec(self.input_height, self.input_width, self.greyscale, tuple(self.value_range))
        except ValueError as err:
            raise ModelCardError(f"model card input is invalid: {err}") from None

    def with_hash(self, graph_sha256: str) -> ModelCard:
        return replace(self, graph_sha256=graph_sha256)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        """Parse and validate a card; unknown keys and wrong types raise `ModelCardError`."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as err:
            raise ModelCardError(f"model card is not valid JSON ({err})") from None
        if not isinstance(data, dict):
            raise ModelCardError("model card must be a JSON object")
        if data.get("schema_version") != CARD_SCHEMA_VERSION:
            raise ModelCardError(
                f"model card schema {data.get('schema_version')!r} is not supported "
                f"(expected {CARD_SCHEMA_VERSION})"
            )
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ModelCardError(f"model card has unknown keys: {', '.join(unknown)}")
        required = ("name", "version", "architecture", "input_height", "input_width", "graph_sha256")
        missing = [key for key in required if key not in data]
        if missing:
            raise ModelCardError(f"model card is missing: {', '.join(missing)}")
        for key in ("value_range", "class_names", "warnings"):
            if key in data and isinstance(data[key], list):
                data[key] = tuple(data[key])
        _check_types(data)
        try:
            data["face_crop"] = FaceCrop.from_dict(data.get("face_crop", {}))
        except ValueError as err:
            raise ModelCardError(f"model card {err}") from None
        return cls(**data)


_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "version": str,
    "architecture": str,
    "input_height": int,
    "input_width": int,
    "greyscale": bool,
    "value_range": tuple,
    "crop": str,
    "resize_filter": str,
    "class_names": tuple,
    "label_convention": str,
    "threshold": (int, float),
    "cam_layer": str,
    "created": str,
    "metrics": dict,
    "metrics_quantized": dict,
    "precision": str,
    "training_data": str,
    "intended_use": str,
    "limitations": str,
    "face_crop": dict,
    "versions": dict,
    "graph_sha256": str,
    "schema_version": int,
    **TRUST_TYPES,
}


def _text(max_length: int, required: bool = False, lines: bool = False) -> Callable[[Any], str | None]:
    """A string of at most `max_length` characters, printable (newlines allowed in prose when `lines`)."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be text"
        if required and not value.strip():
            return "must not be empty"
        if len(value) > max_length:
            return f"is {len(value)} characters long, over {max_length}"
        if not all(ch.isprintable() or (lines and ch in "\n\t") for ch in value):
            return "holds control characters"
        return None

    return check


def _side(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_SIDE <= value <= MAX_SIDE:
        return f"must be a whole number in [{MIN_SIDE}, {MAX_SIDE}]; got {value!r}"
    return None


def _value_range(value: Any) -> str | None:
    low, high = value
    if not -MAX_INPUT_VALUE <= low < high <= MAX_INPUT_VALUE:
        return f"must be low < high within ±{MAX_INPUT_VALUE:g}; got {list(value)}"
    return None


def _created(value: Any) -> str | None:
    if value == "":
        return None
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return f"must be an ISO 8601 time; got {value[:40]!r}"
    return None if len(value) <= 40 else "is too long for a time"


def _metrics(value: Any) -> str | None:
    """Rates in [0, 1], their changes in [-1, 1], counts whole and >= 0, the rest finite or short text."""
    if len(value) > MAX_METRICS:
        return f"has {len(value)} entries, over {MAX_METRICS}"
    for key, item in value.items():
        problem = _text(64, required=True)(key) or _metric(key, item)
        if problem:
            return f"entry {str(key)[:64]!r} {problem}"
    return None


def _metric(key: str, item: Any) -> str | None:
    if isinstance(item, dict):
        if key not in NESTED_METRICS:
            return "must not be a table"
        return next((f"{k} {p}" for k, v in item.items() if (p := _metric(str(k), v))), None)
    if item is None:
        return None
    if isinstance(item, str):
        return _text(200)(item)
    if not _is_finite_number(item):
        return f"must be a finite number; got {item!r}"
    base = key.removeprefix("fp32_")
    if base.endswith("_change"):
        if base.removesuffix("_change") in RATE_METRICS and not -1.0 <= item <= 1.0:
            return f"must be in [-1, 1]; got {item}"
    elif base in RATE_METRICS and not 0.0 <= item <= 1.0:
        return f"must be in [0, 1]; got {item}"
    elif base in COUNT_METRICS and (not isinstance(item, int) or item < 0):
        return f"must be a whole number >= 0; got {item}"
    return None


def _versions(value: Any) -> str | None:
    if len(value) > 32:
        return f"has {len(value)} entries, over 32"
    for key, item in value.items():
        problem = _text(64, required=True)(key) or _text(64)(item)
        if problem:
            return f"entry {str(key)[:64]!r} {problem}"
    return None


def _graph_hash(value: Any) -> str | None:
    if value == "" or (len(value) == 64 and all(ch in "0123456789abcdef" for ch in value)):
        return None
    return "must be 64 lowercase hex digits"


MIN_SIDE, MAX_SIDE = 8, 2048
"""Sides of the model input accepted in a card, in pixels."""

MAX_INPUT_VALUE = 255.0
"""The largest magnitude of a card's value_range ((0, 1), (-1, 1) and (0, 255) are the usual ones)."""

MAX_METRICS = 200
RATE_METRICS = frozenset(
    {"accuracy", "balanced_accuracy", "roc_auc", "average_precision", "eer", "fpr", "tpr", "threshold"}
    | {"precision", "recall", "f1", "specificity", "ece", "brier", "coverage", "risk"}
)
"""Metrics that are proportions: in [0, 1] (their `_change` in [-1, 1], `fp32_` copies in [0, 1])."""

COUNT_METRICS = frozenset({"n", "n_fake", "n_real", "unreadable", "tp", "fp", "tn", "fn"})
NESTED_METRICS = frozenset({"confusion"})

FIELD_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "name": _text(100, required=True),
    "version": _text(40, required=True),
    "architecture": _text(100, required=True),
    "input_height": _side,
    "input_width": _side,
    "value_range": _value_range,
    "label_convention": _text(200),
    "cam_layer": _text(100, required=True),
    "created": _created,
    "metrics": _metrics,
    "metrics_quantized": _metrics,
    "precision": lambda v: None if v in PRECISIONS else f"must be one of {', '.join(PRECISIONS)}; got {v!r}",
    "training_data": _text(4000, lines=True),
    "intended_use": _text(4000, lines=True),
    "limitations": _text(4000, required=True, lines=True),
    "versions": _versions,
    "graph_sha256": _graph_hash,
}
"""Value checks of the card's fields, run on every card (built or parsed) after the type checks: a new field
adds its check here (the seal already covers every field, whatever its name)."""

PRECISIONS = ("fp32", "fp16", "int8")


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_types(data: dict[str, Any]) -> None:
    for key, value in data.items():
        expected = _TYPES[key]
        if isinstance(value, bool) and expected in (int, (int, float)):
            raise ModelCardError(f"model card field {key!r} has the wrong type")
        if not isinstance(value, expected):
            raise ModelCardError(f"model card field {key!r} has the wrong type ({type(value).__name__})")
