"""The model card: what a model expects, what it was trained on, how good it is and what it is not for.

Stored as one JSON entry (`CARD_METADATA_KEY`) in the ONNX `metadata_props`; written by the export,
verified by the runtime at load.

Example:
    >>> card = ModelCard.from_json(text)
    >>> card.input_spec, card.threshold
    (InputSpec(height=32, width=32, greyscale=True, value_range=(0.0, 1.0)), 0.5)
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from fakescope.runtime.card_trust import TRUST_TYPES, check_trust_fields
from fakescope.runtime.errors import ModelCardError
from fakescope.runtime.preprocess import RESIZE_FILTER, InputSpec
from fakescope.runtime.spec import CLASS_NAMES

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
    cam_layer: str = "last_conv"
    created: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    metrics_quantized: dict[str, Any] = field(default_factory=dict)
    precision: str = "fp32"
    training_data: str = ""
    intended_use: str = ""
    limitations: str = ""
    face_crop: dict[str, Any] = field(default_factory=dict)
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
        _check_face_crop(self.face_crop)
        check_trust_fields(self)

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


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_face_crop(face_crop: dict[str, Any]) -> None:
    """The face front-end's settings, all optional: {"enabled": bool, "margin": >= 0, "align": bool}."""
    unknown = sorted(set(face_crop) - {"enabled", "margin", "align"})
    if unknown:
        raise ModelCardError(f"model card face_crop has unknown keys: {', '.join(unknown)}")
    for key in ("enabled", "align"):
        if key in face_crop and not isinstance(face_crop[key], bool):
            raise ModelCardError(f"model card face_crop.{key} must be true or false; got {face_crop[key]!r}")
    margin = face_crop.get("margin", 0.0)
    if not _is_finite_number(margin) or margin < 0:
        raise ModelCardError(f"model card face_crop.margin must be a number >= 0; got {margin!r}")


def _check_types(data: dict[str, Any]) -> None:
    for key, value in data.items():
        expected = _TYPES[key]
        if isinstance(value, bool) and expected in (int, (int, float)):
            raise ModelCardError(f"model card field {key!r} has the wrong type")
        if not isinstance(value, expected):
            raise ModelCardError(f"model card field {key!r} has the wrong type ({type(value).__name__})")
