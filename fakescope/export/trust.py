"""The export's trust steps: fit the OOD Gaussian before conversion, then calibrate and measure each sealed
model (FP32 and quantised alike) and re-seal it with the results in its card.

Example:
    >>> stats = fit_ood(keras_model, "data/demo", card)
    >>> card = calibrate_exported(path, onnx_model, card, calibration, test, alpha=0.05, echo=print)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from fakescope.data.layout import TRAINING_LIMITS, DatasetLayoutError, ImageRecord, discover
from fakescope.export.calibrate import calibration_fields, measured_fields
from fakescope.export.card_io import seal_model
from fakescope.export.errors import ExportError
from fakescope.export.ood import GaussianStats, fit_gaussian, gap_features
from fakescope.runtime.card import ModelCard
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.integrity import graph_sha256
from fakescope.uncertainty.summary import small_split_warning

MAX_OOD_IMAGES = 5000
"""The OOD Gaussian is fitted on at most this many training images (seeded draw)."""


def fit_ood(keras_model, data: str | os.PathLike, card: ModelCard) -> GaussianStats:
    """The Gaussian of the model's pooled features on the train split of `data`, read as the card says.

    Raises:
        ExportError: `data` has no train split with both classes.
    """
    from fakescope.train.datasets import load_tensor

    records = [r for r in _records(data) if r.split == "train"]
    if not {r.label for r in records} >= {0, 1}:
        raise ExportError(f"{data} needs a train split with real and fake images to fit the OOD statistics")
    if len(records) > MAX_OOD_IMAGES:
        chosen = np.random.default_rng(0).choice(len(records), MAX_OOD_IMAGES, replace=False)
        records = [records[i] for i in sorted(chosen)]
    tensors, labels = [], []
    for record in records:
        try:
            tensors.append(load_tensor(record.path, card.input_spec, TRAINING_LIMITS, card.face_crop))
            labels.append(record.label)
        except InvalidImageError:
            continue
    return fit_gaussian(gap_features(keras_model, np.stack(tensors).astype(np.float32)), np.array(labels))


def calibration_records(folder: str | os.PathLike) -> list[ImageRecord]:
    """Every labelled image under `folder` (any accepted layout, all splits pooled)."""
    return _records(folder)


def split_warnings(data: str | os.PathLike | None) -> list[str]:
    """A warning when the validation split (where the threshold was chosen) has < 50 images of a class."""
    if data is None:
        return []
    labels = [r.label for r in _records(data) if r.split == "valid"]
    return [w for w in [small_split_warning(labels, "validation")] if w and labels]


def calibrate_exported(
    path: Path,
    onnx_model,
    card: ModelCard,
    calibration: Sequence[ImageRecord],
    test: Sequence[ImageRecord],
    *,
    alpha: float,
    warnings: Sequence[str] = (),
    with_robustness: bool = True,
    echo: Callable[[str], Any] = lambda _line: None,
) -> ModelCard:
    """Calibrate the sealed model at `path` (written with `card`), measure it on `test`, re-seal it twice."""
    fields = calibration_fields(Detector(path), calibration, alpha)
    notes = tuple(dict.fromkeys([*card.warnings, *warnings, *fields.pop("warnings")]))
    card = _seal(path, onnx_model, replace(card, **fields, warnings=notes))
    info = card.calibration
    echo(
        f"{card.precision}: temperature {card.temperature:.3f} (calibration log loss "
        f"{info['log_loss_before']:.4f} -> {info['log_loss_after']:.4f} on {info['n_real']} real / "
        f"{info['n_fake']} fake), threshold {card.threshold:.4f}"
        + (f", OOD threshold {card.ood['threshold']:.2f}" if card.ood else "")
    )
    for note in notes:
        echo(f"warning: {note}")
    if test:
        measured = measured_fields(Detector(path), test, with_robustness)
        card = _seal(path, onnx_model, replace(card, **measured))
        chosen = card.calibration.get("selective", {})
        if chosen:
            accuracy = "-" if chosen["accuracy"] is None else f"{chosen['accuracy']:.4f}"
            echo(
                f"{card.precision} on the test split: {chosen['coverage']:.1%} answered, accuracy on the "
                f"answered {accuracy}"
            )
    return card


def _seal(path: Path, onnx_model, card: ModelCard) -> ModelCard:
    data = seal_model(onnx_model, card)
    path.write_bytes(data)
    return card.with_hash(graph_sha256(data))


def _records(folder) -> list[ImageRecord]:
    try:
        return discover(folder)
    except DatasetLayoutError as err:
        raise ExportError(str(err)) from None
