"""`export_model`: Keras → ONNX with the in-graph CAM family, always validated, optionally quantised, sealed.

Steps: load and check the head → convert → onnx.checker → validate against Keras (prob, logit, the CAM
family from GradientTape and channel ablation, the feature map) → seal with the card. For `int8`/`fp16`:
quantise the FP32 graph → onnx.checker → validate against the FP32 ONNX model → seal; when the calibration
folder is a dataset, its test split is scored with both models and the change recorded in the quantised
card's `metrics_quantized`.

Example:
    >>> result = export_model("runs/demo/best_model.keras", "models/fakescope-demo.onnx", int8=True,
    ...                       calib="data/demo", echo=print)
    >>> [(m.precision, m.path.name) for m in result.models]
    [('fp32', 'fakescope-demo.onnx'), ('int8', 'fakescope-demo-int8.onnx')]
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from fakescope import __version__
from fakescope.data.layout import DatasetLayoutError, discover
from fakescope.export.card import DEFAULT_TEXT, CardText, build_card, check_onnx, read_run_files
from fakescope.export.card_io import seal_model
from fakescope.export.convert import convert
from fakescope.export.errors import ExportError, QuantizationError
from fakescope.export.evaluate_onnx import evaluate_onnx
from fakescope.export.head import check_head
from fakescope.export.quantize import ImageCalibrationReader, QuantizeConfig, convert_fp16, quantize_int8
from fakescope.export.reference import keras_reference
from fakescope.export.samples import image_paths, sample_batch
from fakescope.export.spec import DEFAULT_OPSET, ExportSpec
from fakescope.export.trust import calibrate_exported, calibration_records, fit_ood, split_warnings
from fakescope.export.validate import ValidationReport, run_onnx, validate
from fakescope.extras import require_extra
from fakescope.runtime.card import ModelCard
from fakescope.runtime.conformal import DEFAULT_ALPHA
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.integrity import graph_sha256
from fakescope.runtime.preprocess import InputSpec
from fakescope.runtime.spec import EXPLAIN_OUTPUTS, OUTPUT_NAMES, OUTPUT_OOD

_COMPARED = ("accuracy", "balanced_accuracy", "roc_auc", "average_precision", "eer", "log_loss")


@dataclass(frozen=True)
class ExportedModel:
    """One written model: its precision, file, card and validation report."""

    precision: str
    path: Path
    card: ModelCard
    report: ValidationReport

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


@dataclass(frozen=True)
class ExportResult:
    """Every model an export wrote, FP32 first."""

    models: tuple[ExportedModel, ...]

    def __getitem__(self, precision: str) -> ExportedModel:
        for model in self.models:
            if model.precision == precision:
                return model
        raise KeyError(precision)


def export_model(
    model: str | os.PathLike,
    out: str | os.PathLike,
    *,
    opset: int = DEFAULT_OPSET,
    int8: bool = False,
    fp16: bool = False,
    calib: str | os.PathLike | None = None,
    calib_images: int = 200,
    images: str | os.PathLike | None = None,
    validation_images: int = 32,
    metrics: str | os.PathLike | None = None,
    name: str | None = None,
    version: str = __version__,
    text: CardText = DEFAULT_TEXT,
    quantize: QuantizeConfig | None = None,
    face_crop: FaceCrop | None = None,
    calibration: str | os.PathLike | None = None,
    alpha: float = DEFAULT_ALPHA,
    robustness: bool = True,
    sign: str | os.PathLike | None = None,
    echo: Callable[[str], Any] | None = None,
) -> ExportResult:
    """Export a trained Keras model to sealed ONNX files, validating each one.

    Args:
        model: a `.keras` file; its folder may hold the run's train_config.json and metrics.json.
        out: the FP32 `.onnx` path; quantised models go next to it as `<stem>-int8.onnx`, `<stem>-fp16.onnx`.
        opset: ONNX opset. Defaults to 17.
        int8: also write a static INT8 (QDQ) model; needs `calib`. Defaults to False.
        fp16: also write an FP16-weights model with float32 input/outputs. Defaults to False.
        calib: folder of calibration images (a dataset's train split is used when it is one).
        calib_images: calibration images at most. Defaults to 200.
        images: folder of validation images. Defaults to `calib`'s test split, else generated images.
        validation_images: images in the validation batch. Defaults to 32.
        metrics: metrics.json of the run. Defaults to the one next to `model`, if any.
        name: the card's name. Defaults to the output file's stem.
        version: the card's version. Defaults to fakescope's version.
        text: the card's training data, intended use and limitations. Defaults to `DEFAULT_TEXT`.
        quantize: INT8 options. Defaults to `QuantizeConfig()`.
        face_crop: the face front-end the card declares, for models trained on face crops. Defaults to the
            run's train_config.json `face_crop`, else none.
        calibration: labelled images used neither for training nor for the threshold (any layout, all
            splits pooled). Adds the OOD score to the graph (its Gaussian fitted on `calib`'s train split,
            so needs `calib`) and calibrates every written model on these images: temperature, conformal
            scores at `alpha`, the OOD threshold; then measures it on `calib`'s test split (intervals, ECE
            before/after, selective prediction, robustness). Defaults to None (none of this).
        alpha: the card's default conformal error level. Defaults to 0.05.
        robustness: with `calibration`, re-score the test split under each degradation. Defaults to True.
        sign: an Ed25519 private key (PEM, from `fakescope keygen`) that signs every written model; needs
            the `signing` extra. Defaults to None (sealed, not signed).
        echo: called with each progress line and validation table. Defaults to silence.

    Raises:
        UnsupportedHeadError: the head is not last_conv → gap → dropout → logit → prob_fake.
        ShapeError, ToleranceError: an exported model does not reproduce its reference.
        QuantizationError, ExportError: bad options, unreadable files, or a failed conversion.
    """
    say = echo or (lambda _line: None)
    model_path, out = Path(model), Path(out)
    _check_options(model_path, out, int8, calib, calib_images, validation_images)
    signing_key = _signing_key(sign) if sign is not None else None
    if calibration is not None and calib is None:
        raise ExportError(
            "--calibration needs --calib DATA: the OOD statistics are fitted on its train split"
        )
    names = (*OUTPUT_NAMES, *EXPLAIN_OUTPUTS)
    spec = ExportSpec(opset=opset, output_names=(*names, OUTPUT_OOD) if calibration else names)
    keras_model = _load_keras(model_path)
    head = check_head(keras_model, spec)
    record, evaluation = read_run_files(model_path, metrics)
    card = build_card(head, record, evaluation, name=name or out.stem, version=version, text=text)
    if face_crop is not None:
        card = replace(card, face_crop=face_crop)
    input_spec = card.input_spec
    ood = fit_ood(keras_model, calib, card) if calibration is not None else None
    trusted = {}
    if calibration is not None:
        say(f"fitted the OOD Gaussian on {ood.n} training images ({ood.features} pooled features)")
        test = [r for r in calibration_records(calib) if r.split == "test"]
        trusted = {
            "calibration": calibration_records(calibration),
            "test": test,
            "alpha": alpha,
            "warnings": split_warnings(calib),
            "with_robustness": robustness,
            "echo": say,
        }

    colour = "greyscale" if input_spec.greyscale else "RGB"
    say(
        f"converting {model_path} ({card.architecture}, {input_spec.width}x{input_spec.height} {colour} "
        f"in {list(input_spec.value_range)}) to ONNX opset {opset}"
    )
    fp32 = convert(keras_model, spec, ood)
    check_onnx(fp32)
    batch = _validation_batch(images, calib, input_spec, validation_images)
    reference = keras_reference(keras_model, batch, spec, ood=ood)
    report = validate(fp32, reference, batch, spec.tolerance("fp32"))
    say(report.table())
    out.parent.mkdir(parents=True, exist_ok=True)
    sealed = _write_sealed(out, fp32, card)
    if trusted:
        sealed = calibrate_exported(out, fp32, card, **trusted)
    written = [ExportedModel("fp32", out, sealed, report)]

    fp32_bytes = fp32.SerializeToString()
    fp32_outputs = run_onnx(fp32_bytes, batch)
    reference = {name: fp32_outputs[name] for name in spec.output_names}
    for precision in [p for p, wanted in (("int8", int8), ("fp16", fp16)) if wanted]:
        say(f"quantising to {precision}")
        if precision == "int8":
            reader = ImageCalibrationReader(_calibration_paths(calib, calib_images), input_spec)
            quantized = quantize_int8(fp32_bytes, reader, quantize)
        else:
            quantized = convert_fp16(fp32_bytes)
        check_onnx(quantized)
        report = validate(quantized, reference, batch, spec.tolerance(precision), precision, "fp32 onnx")
        say(report.table())
        path = out.with_name(f"{out.stem}-{precision}.onnx")
        plain = replace(card, name=f"{card.name}-{precision}", precision=precision)
        variant = _write_sealed(path, quantized, plain)
        if trusted:
            variant = calibrate_exported(path, quantized, plain, **trusted)
        if calib is not None and _has_split(calib, "test"):
            change = quantized_metrics(path, out, calib)
            say(f"{precision} on the test split of {calib}: {_describe(change)}")
            variant = _write_sealed(path, quantized, replace(variant, metrics_quantized=change))
        written.append(ExportedModel(precision, path, variant, report))
    for exported in written:
        signed = ""
        if signing_key is not None:
            signed = f", signed by key {_sign(exported.path, signing_key)}"
        say(f"wrote {exported.path} ({exported.size_bytes / 1e6:.2f} MB, {exported.precision}{signed})")
    return ExportResult(tuple(written))


def quantized_metrics(quantized: Path, fp32: Path, data_dir: str | os.PathLike) -> dict[str, Any]:
    """The quantised model's test metrics, with the FP32 model's and the change (quantised - FP32)."""
    after, before = evaluate_onnx(quantized, data_dir), evaluate_onnx(fp32, data_dir)
    change = {k: v for k, v in after.items() if k != "model"}
    for key in _COMPARED:
        if after[key] is not None and before[key] is not None:
            change[f"fp32_{key}"] = before[key]
            change[f"{key}_change"] = after[key] - before[key]
    return change


def _write_sealed(path: Path, model, card: ModelCard) -> ModelCard:
    """Write `model` sealed with `card`; returns the card as sealed (graph hash filled in)."""
    data = seal_model(model, card)
    path.write_bytes(data)
    return card.with_hash(graph_sha256(data))


def _signing_key(path: str | os.PathLike):
    """The private key, loaded before any work so a bad key fails first."""
    with require_extra("signing"):
        from fakescope.signing import SigningError, load_private_key
    try:
        return load_private_key(path)
    except SigningError as err:
        raise ExportError(str(err)) from None


def _sign(path: Path, key) -> str:
    from fakescope.signing import sign_model_file

    return sign_model_file(path, key)


def _check_options(model: Path, out: Path, int8: bool, calib, calib_images: int, validation_images: int):
    if not model.is_file():
        raise ExportError(f"model not found: {model}")
    if out.suffix != ".onnx":
        raise ExportError(f"the output must be a .onnx file; got {out}")
    if int8 and calib is None:
        raise QuantizationError("INT8 quantisation needs calibration images: pass --calib DIR")
    if calib is not None and not Path(calib).is_dir():
        raise QuantizationError(f"calibration folder not found: {calib}")
    if calib_images < 1 or validation_images < 1:
        raise ValueError(
            "image counts must be >= 1. "
            f"Received: calib_images={calib_images}, validation_images={validation_images}"
        )


def _load_keras(path: Path):
    from fakescope.train.evaluate import load_keras_model

    try:
        return load_keras_model(path)
    except ValueError as err:
        raise ExportError(str(err)) from None


def _validation_batch(images, calib, spec: InputSpec, count: int) -> np.ndarray:
    if images is not None:
        return sample_batch(images, spec, count)
    if calib is not None:
        return sample_batch(calib, spec, count, split="test" if _has_split(calib, "test") else None)
    return sample_batch(None, spec, count)


def _calibration_paths(calib, count: int) -> list[Path]:
    split = "train" if _has_split(calib, "train") else None
    return image_paths(calib, count, split=split)


def _has_split(folder, split: str) -> bool:
    try:
        return any(record.split == split for record in discover(folder))
    except DatasetLayoutError:
        return False


def _describe(metrics: dict[str, Any]) -> str:
    compared = [k for k in _COMPARED if f"{k}_change" in metrics]
    parts = [f"{k} {metrics[k]:.4f} ({metrics[f'{k}_change']:+.4f})" for k in compared]
    return ", ".join(parts) or f"{metrics['n']} images of a single class"
