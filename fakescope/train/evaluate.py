"""Evaluate a model on a dataset: threshold from the validation split, metrics on the test split.

Works on a Keras model (`.keras`, read through the tf.data pipeline) and on an exported ONNX model (`.onnx`,
scored by `fakescope.runtime.Detector`, so a quantised model is judged exactly as it will run). Writes
`metrics.json`, which the export reads into the model card.

Example:
    >>> evaluation = evaluate_model("runs/demo/best_model.keras", "data/demo")
    >>> evaluation.test.roc_auc, evaluation.threshold
    (0.98, 0.41)
    >>> write_metrics(evaluation, "runs/demo/metrics.json")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fakescope.data.layout import ImageRecord, discover
from fakescope.runtime.preprocess import InputSpec
from fakescope.train.metrics import BinaryMetrics, binary_metrics, choose_threshold

TRAIN_CONFIG_FILE = "train_config.json"


@dataclass(frozen=True)
class Evaluation:
    """The threshold chosen on the validation split and the metrics on both splits."""

    model: str
    data_dir: str
    spec: InputSpec
    threshold: float
    threshold_rule: str
    valid: BinaryMetrics
    test: BinaryMetrics
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "data_dir": self.data_dir,
            "input": {
                "size": [self.spec.height, self.spec.width],
                "greyscale": self.spec.greyscale,
                "value_range": list(self.spec.value_range),
            },
            "threshold": self.threshold,
            "threshold_rule": self.threshold_rule,
            "test": self.test.as_dict(),
            "valid": self.valid.as_dict(),
            "skipped": [{"path": path, "error": error} for path, error in self.skipped],
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }


def face_crop_for(model_path: str | Path) -> dict | None:
    """The face front-end a Keras model was trained with, from `train_config.json` beside it (None: none)."""
    config_path = Path(model_path).with_name(TRAIN_CONFIG_FILE)
    if not config_path.is_file():
        return None
    return json.loads(config_path.read_text()).get("face_crop") or None


def spec_for(model_path: str | Path, greyscale: bool | None = None) -> InputSpec:
    """The input spec of a Keras model: from `train_config.json` beside it, else its input shape (RGB).

    Args:
        model_path: the `.keras` file.
        greyscale: overrides what the training config says. Defaults to None.
    """
    config_path = Path(model_path).with_name(TRAIN_CONFIG_FILE)
    if config_path.is_file():
        config = json.loads(config_path.read_text())
        size = int(config["input_size"])
        grey = bool(config.get("greyscale", False)) if greyscale is None else greyscale
        return InputSpec(size, size, grey, tuple(config.get("value_range", (0.0, 1.0))))
    import keras

    _, height, width, _ = keras.models.load_model(model_path, compile=False).input_shape
    return InputSpec(int(height), int(width), bool(greyscale))


def score_keras(
    model,
    records: Sequence[ImageRecord],
    spec: InputSpec,
    batch_size: int = 64,
    face_crop: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Labels and P(fake) of the readable `records` for a Keras model, plus the skipped files."""
    from fakescope.train.datasets import DecodeReport, make_dataset

    report = DecodeReport()
    ds = make_dataset(records, spec, batch_size=batch_size, report=report, cache=False, face_crop=face_crop)
    labels, probs = [], []
    for images, batch_labels in ds:
        probs.append(np.asarray(model(images, training=False)).reshape(-1))
        labels.append(np.asarray(batch_labels).reshape(-1))
    if not probs:
        return np.zeros(0, int), np.zeros(0), report.skipped
    return np.concatenate(labels).astype(int), np.concatenate(probs).astype(np.float64), report.skipped


def score_onnx(
    model_path: str | Path, records: Sequence[ImageRecord], batch_size: int = 64
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    """Labels and P(fake) of the readable `records` for an exported model, run by the edge runtime."""
    from fakescope.data.layout import TRAINING_LIMITS
    from fakescope.runtime.detector import Detector, Rejected

    detector = Detector(model_path, limits=TRAINING_LIMITS)
    results = detector.predict_batch([r.path for r in records], batch_size=batch_size, on_error="return")
    kept = [(r, p) for r, p in zip(records, results, strict=True) if not isinstance(p, Rejected)]
    skipped = [
        (str(r.path), p.message) for r, p in zip(records, results, strict=True) if isinstance(p, Rejected)
    ]
    labels = np.array([r.label for r, _ in kept], dtype=int)
    return labels, np.array([p.prob_fake for _, p in kept], dtype=np.float64), skipped


def evaluate_model(
    model_path: str | Path,
    data_dir: str | Path,
    *,
    spec: InputSpec | None = None,
    greyscale: bool | None = None,
    target_fpr: float | None = None,
    batch_size: int = 64,
    model=None,
    face_crop: dict | None = None,
) -> Evaluation:
    """Choose the threshold on the validation split and score the test split.

    Args:
        model_path: a `.keras` or `.onnx` model.
        data_dir: a dataset in a layout `fakescope.data.layout.discover` accepts.
        spec: the Keras model's input spec. Defaults to None (from `spec_for`); ONNX models use their card.
        greyscale: for a Keras model without `train_config.json`, whether it was trained on greyscale.
            Defaults to None (the config's value, else RGB).
        target_fpr: choose the threshold for this false-positive rate instead of max balanced accuracy.
            Defaults to None.
        batch_size: images per batch. Defaults to 64.
        model: the already loaded Keras model at `model_path`, to skip loading it. Defaults to None.
        face_crop: the face front-end of a Keras model. Defaults to its `train_config.json`'s; ONNX models
            use their card.

    Raises:
        ValueError: the validation or test split is empty or holds one class only.
        DatasetLayoutError: `data_dir` is not a dataset.
    """
    model_path = Path(model_path)
    records = discover(data_dir)
    splits = {name: [r for r in records if r.split == name] for name in ("valid", "test")}
    for name, members in splits.items():
        if not members:
            raise ValueError(f"{data_dir}: the {name} split is empty")
    if model_path.suffix.lower() == ".onnx":
        from fakescope.runtime.detector import Detector

        spec = Detector(model_path).spec
        scored = {name: score_onnx(model_path, members, batch_size) for name, members in splits.items()}
    else:
        import keras

        spec = spec if spec is not None else spec_for(model_path, greyscale)
        model = model if model is not None else keras.models.load_model(model_path, compile=False)
        face_crop = face_crop if face_crop is not None else face_crop_for(model_path)
        scored = {
            name: score_keras(model, members, spec, batch_size, face_crop) for name, members in splits.items()
        }
    (valid_y, valid_p, valid_skipped), (test_y, test_p, test_skipped) = scored["valid"], scored["test"]
    threshold = choose_threshold(valid_y, valid_p, target_fpr=target_fpr)
    rule = "max balanced accuracy" if target_fpr is None else f"max TPR at FPR <= {target_fpr}"
    return Evaluation(
        model=str(model_path),
        data_dir=str(data_dir),
        spec=spec,
        threshold=threshold,
        threshold_rule=f"{rule} on the validation split",
        valid=binary_metrics(valid_y, valid_p, threshold),
        test=binary_metrics(test_y, test_p, threshold),
        skipped=valid_skipped + test_skipped,
    )


def write_metrics(evaluation: Evaluation, path: str | Path) -> Path:
    """Write `evaluation` as JSON to `path` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(evaluation.as_dict(), indent=2) + "\n")
    return path
