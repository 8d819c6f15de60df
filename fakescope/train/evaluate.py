"""Evaluate a model on a dataset: threshold from the validation split, metrics on the test split.

Works on a Keras model (`.keras`, read through the tf.data pipeline) and on an exported ONNX model (`.onnx`,
scored by `fakescope.runtime.Detector`, so a quantised model is judged exactly as it will run). Writes
`metrics.json`, which the export reads into the model card.

Example:
    >>> evaluation = evaluate_model("runs/demo/best_model.keras", "data/demo")
    >>> evaluation.test.roc_auc, evaluation.threshold
    (0.98, 0.41)
    >>> write_run_file(evaluation, "runs/demo/metrics.json")
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from fakescope.data.layout import CLASS_DIRS, ImageRecord, discover, split_records
from fakescope.report.metrics import binary_metrics, choose_threshold
from fakescope.report.scoring import Scores, score_records
from fakescope.runs import TRAIN_CONFIG_FILE, Evaluation, TrainRecord, read_run_file
from fakescope.runtime.errors import first_line
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.preprocess import InputSpec
from fakescope.uncertainty.summary import trust_summary


def load_keras_model(path: str | Path):
    """A saved `.keras` model, or `ValueError` saying plainly why not (missing, not a .keras file, ...)."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such model file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a .keras file (a Keras 3 zip archive)")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as err:
        raise ValueError(f"cannot load the Keras model {path}: {first_line(err, 300)}") from None


def check_keras_io(model) -> None:
    """Refuse a model that is not an image → P(fake) detector: one (N, H, W, 3) input, one (N, 1) output."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            f"expected a model with 1 input and 1 output; got {len(model.inputs)} and {len(model.outputs)}"
        )
    input_shape, output_shape = tuple(model.inputs[0].shape), tuple(model.outputs[0].shape)
    if len(input_shape) != 4 or input_shape[3] != 3:
        raise ValueError(f"expected an image input of shape (N, H, W, 3); the model takes {input_shape}")
    if output_shape[1:] != (1,):
        raise ValueError(f"expected one P(fake) per image, shape (N, 1); the model gives {output_shape}")


def train_record_for(model_path: str | Path) -> TrainRecord | None:
    """The `train_config.json` beside a Keras model, or None when there is none.

    Raises:
        RunFileError: the file is there but unreadable or not a fakescope training config.
    """
    path = Path(model_path).with_name(TRAIN_CONFIG_FILE)
    return read_run_file(path, TrainRecord) if path.is_file() else None


def spec_for(model_path: str | Path, greyscale: bool | None = None, model=None) -> InputSpec:
    """The input spec of a Keras model: from `train_config.json` beside it, else its input shape (RGB).

    Args:
        model_path: the `.keras` file.
        greyscale: overrides what the training config says. Defaults to None.
        model: the loaded model, to read its input shape without loading it again. Defaults to None.
    """
    record = train_record_for(model_path)
    if record is not None:
        return record.spec if greyscale is None else replace(record.spec, greyscale=greyscale)
    model = model if model is not None else load_keras_model(model_path)
    _, height, width, _ = model.input_shape
    return InputSpec(int(height), int(width), bool(greyscale))


def score_keras(
    model,
    records: Sequence[ImageRecord],
    spec: InputSpec,
    batch_size: int = 64,
    face_crop: FaceCrop | None = None,
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


def evaluate_model(
    model_path: str | Path,
    data_dir: str | Path,
    *,
    spec: InputSpec | None = None,
    greyscale: bool | None = None,
    target_fpr: float | None = None,
    batch_size: int = 64,
    model=None,
    face_crop: FaceCrop | None = None,
    robustness: bool = False,
    scorer: Callable[..., Scores] = score_records,
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
        robustness: ONNX models only: also re-score the test split under each degradation of
            `fakescope.runtime.degrade.ROBUSTNESS`. Defaults to False.
        scorer: ONNX models only: how records are scored, `score_records`' signature (e.g.
            `fakescope.cluster.evaluate.DaskScorer(client, model_path, parts_dir)` on a Dask cluster).
            Defaults to `score_records`.

    Raises:
        ValueError: the validation or test split lacks readable real or fake images, or the model is not a
            fakescope detector.
        DatasetLayoutError: `data_dir` is not a dataset, or a split lacks a class.
    """
    model_path = Path(model_path)
    splits = split_records(discover(data_dir), ("valid", "test"), data_dir)
    onnx_model = model_path.suffix.lower() == ".onnx"
    if robustness and not onnx_model:
        raise ValueError("robustness is measured on exported models: pass the .onnx file")
    extra: dict = {}
    if onnx_model:
        from fakescope.runtime.detector import Detector

        detector = Detector(model_path)  # loaded once for both splits
        spec = detector.spec
        scored = {}
        for name, members in splits.items():
            scores = scorer(detector, members, batch_size=batch_size)
            skipped = [(str(r.path), reason) for r, reason in scores.rejected]
            scored[name] = (scores.labels, scores.prob_fake, skipped)
            if name == "test":
                extra = _onnx_trust_inputs(detector, scores, robustness)
    else:
        model = model if model is not None else load_keras_model(model_path)
        check_keras_io(model)
        spec = spec if spec is not None else spec_for(model_path, greyscale, model)
        if face_crop is None:
            record = train_record_for(model_path)
            face_crop = record.face_crop if record is not None and record.face_crop.enabled else None
        scored = {
            name: score_keras(model, members, spec, batch_size, face_crop) for name, members in splits.items()
        }
    for name, (labels, _, skipped) in scored.items():
        for class_name, label in CLASS_DIRS.items():
            if not np.any(labels == label):
                raise ValueError(
                    f"{data_dir}: no readable {class_name} image in the {name} split "
                    f"({len(skipped)} unreadable file(s) there, e.g. {skipped[0][1] if skipped else '-'})"
                )
    (valid_y, valid_p, valid_skipped), (test_y, test_p, test_skipped) = scored["valid"], scored["test"]
    threshold = choose_threshold(valid_y, valid_p, target_fpr=target_fpr)
    rule = "max balanced accuracy" if target_fpr is None else f"max TPR at FPR <= {target_fpr}"
    trust = trust_summary(
        test_y, test_p, threshold, answered=extra.get("answered"), prob_before=extra.get("prob_before")
    )
    if "robustness" in extra:
        trust["robustness"] = extra["robustness"]
    return Evaluation(
        model=str(model_path),
        data_dir=str(data_dir),
        spec=spec,
        threshold=threshold,
        threshold_rule=f"{rule} on the validation split",
        valid=binary_metrics(valid_y, valid_p, threshold),
        test=binary_metrics(test_y, test_p, threshold),
        skipped=tuple(valid_skipped + test_skipped),
        trust=trust,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _onnx_trust_inputs(detector, scores, robustness: bool) -> dict:
    """Definite verdicts (answered), P(fake) before temperature scaling, and robustness, of a test split."""
    from fakescope.runtime.calibrated import calibrated_prob
    from fakescope.uncertainty.robustness import robustness as measure

    out: dict = {"answered": np.array([not reasons for reasons in scores.reasons], bool)}
    if detector.temperature != 1.0:
        out["prob_before"] = calibrated_prob(np.array([e.logit for e in scores.evidence]), 1.0)
    if robustness:
        out["robustness"] = measure(detector, scores.records)
    return out
