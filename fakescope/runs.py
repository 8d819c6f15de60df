"""The files a training run leaves for the export: `metrics.json` (`Evaluation`) and `train_config.json`
(`TrainRecord`). Train writes them, `fakescope evaluate` writes an `Evaluation`, the export reads both; no
TensorFlow here.

Example:
    >>> record = TrainRecord(arch="small_cnn", input_size=32, greyscale=True)
    >>> TrainRecord.from_json(record.to_json()) == record
    True
    >>> record.spec
    InputSpec(height=32, width=32, greyscale=True, value_range=(0.0, 1.0))
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from fakescope.report.metrics import BinaryMetrics
from fakescope.runtime.errors import FakescopeError
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.preprocess import InputSpec
from fakescope.runtime.spec import CAM_LAYER

TRAIN_CONFIG_FILE = "train_config.json"
METRICS_FILE = "metrics.json"


class RunFileError(FakescopeError, ValueError):
    """A run file is missing, unreadable, or not what fakescope writes; the message names the file."""


@dataclass(frozen=True)
class Evaluation:
    """metrics.json: the threshold chosen on the validation split and the metrics on both splits."""

    model: str
    data_dir: str
    spec: InputSpec
    threshold: float
    threshold_rule: str
    valid: BinaryMetrics
    test: BinaryMetrics
    skipped: tuple[tuple[str, str], ...] = ()
    created: str = ""
    trust: dict[str, Any] = field(default_factory=dict)
    """Test-split intervals, calibration, selective prediction, robustness (`trust_summary`); written as
    top-level keys of metrics.json, read back from the keys this type does not name."""

    def to_json(self) -> str:
        data = {
            "model": self.model,
            "data_dir": self.data_dir,
            "input": _spec_dict(self.spec),
            "threshold": self.threshold,
            "threshold_rule": self.threshold_rule,
            "test": self.test.as_dict(),
            "valid": self.valid.as_dict(),
            "skipped": [{"path": path, "error": error} for path, error in self.skipped],
            **self.trust,
            "created": self.created,
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = METRICS_FILE) -> Evaluation:
        """Parse a metrics.json; `RunFileError` names `source` and what is wrong."""
        data = _object(text, source)
        try:
            return cls(
                model=str(data.get("model", "")),
                data_dir=str(data.get("data_dir", "")),
                spec=_spec(data["input"]),
                threshold=float(data["threshold"]),
                threshold_rule=str(data.get("threshold_rule", "")),
                valid=BinaryMetrics.from_dict(data["valid"]),
                test=BinaryMetrics.from_dict(data["test"]),
                skipped=tuple((str(s["path"]), str(s["error"])) for s in data.get("skipped", ())),
                created=str(data.get("created", "")),
                trust={k: v for k, v in data.items() if k not in _EVALUATION_KEYS},
            )
        except (KeyError, TypeError, ValueError) as err:
            raise RunFileError(f"{source} is not a fakescope metrics file ({_reason(err)})") from None


@dataclass(frozen=True)
class TrainRecord:
    """train_config.json: how a model was trained, and what the export puts on its card.

    `details` holds what is written for people (counts, class weights, epochs, timings, the full settings,
    versions) and read by nothing.
    """

    arch: str
    input_size: int
    greyscale: bool = False
    value_range: tuple[float, float] = (0.0, 1.0)
    cam_layer: str = CAM_LAYER
    face_crop: FaceCrop = field(default_factory=FaceCrop)
    threshold: float | None = None
    threshold_rule: str = ""
    metrics: BinaryMetrics | None = None
    training_data: str = ""
    dataset_manifest_sha256: str | None = None
    data_dir: str = ""
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def spec(self) -> InputSpec:
        return InputSpec(self.input_size, self.input_size, self.greyscale, tuple(self.value_range))

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "details"}
        data["value_range"] = list(self.value_range)
        data["face_crop"] = self.face_crop.as_dict()
        data["metrics"] = self.metrics.as_dict() if self.metrics is not None else None
        return json.dumps({**data, **self.details}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = TRAIN_CONFIG_FILE) -> TrainRecord:
        """Parse a train_config.json; `RunFileError` names `source` and what is wrong."""
        data = _object(text, source)
        known = {f.name for f in fields(cls)} - {"details"}
        try:
            metrics = data.get("metrics")
            threshold = data.get("threshold")
            record = cls(
                arch=str(data["arch"]),
                input_size=_integer(data["input_size"], "input_size"),
                greyscale=_boolean(data.get("greyscale", False), "greyscale"),
                value_range=tuple(float(v) for v in data.get("value_range", (0.0, 1.0))),
                cam_layer=str(data.get("cam_layer", CAM_LAYER)),
                face_crop=FaceCrop.from_dict(data.get("face_crop") or {}),
                threshold=None if threshold is None else float(threshold),
                threshold_rule=str(data.get("threshold_rule", "")),
                metrics=BinaryMetrics.from_dict(metrics) if metrics else None,
                training_data=str(data.get("training_data") or ""),
                dataset_manifest_sha256=data.get("dataset_manifest_sha256"),
                data_dir=str(data.get("data_dir") or ""),
                details={k: v for k, v in data.items() if k not in known},
            )
            record.spec  # noqa: B018 - checks the input size and value range
            return record
        except (KeyError, TypeError, ValueError) as err:
            raise RunFileError(f"{source} is not a fakescope training config ({_reason(err)})") from None


def read_run_file(path: str | os.PathLike, kind: type[Evaluation] | type[TrainRecord]):
    """`kind.from_json` of the file at `path`.

    Raises:
        RunFileError: the file is missing, unreadable or malformed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFileError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise RunFileError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    return kind.from_json(text, str(path))


def write_run_file(record: Evaluation | TrainRecord, path: str | os.PathLike) -> Path:
    """Write `record` as JSON to `path` (folders created) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(record.to_json(), encoding="utf-8")
    return path


_EVALUATION_KEYS = frozenset(
    ("model", "data_dir", "input", "threshold", "threshold_rule", "test", "valid", "skipped", "created")
)


def _object(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as err:
        raise RunFileError(f"{source} is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise RunFileError(f"{source} must hold a JSON object")
    return data


def _spec(data: dict[str, Any]) -> InputSpec:
    height, width = (int(side) for side in data["size"])
    return InputSpec(height, width, bool(data["greyscale"]), tuple(float(v) for v in data["value_range"]))


def _spec_dict(spec: InputSpec) -> dict[str, Any]:
    return {
        "size": [spec.height, spec.width],
        "greyscale": spec.greyscale,
        "value_range": list(spec.value_range),
    }


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    return value


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false; got {value!r}")
    return value


def _reason(err: Exception) -> str:
    return f"missing {err}" if isinstance(err, KeyError) else str(err)
