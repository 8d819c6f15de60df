"""Build the model card of an export from the training run's files, and check the ONNX graph.

The card's input (size, greyscale, value range) is what the runtime's `preprocess` will reproduce at every
prediction, so it comes from the model's input shape and the run's `train_config.json`; the threshold and
test metrics come from `metrics.json`.

Example:
    >>> config, metrics = read_run_files(Path("runs/demo/best_model.keras"))
    >>> card = build_card(head, config, metrics, name="fakescope-demo", text=DEMO_TEXT)
    >>> card.threshold, card.input_spec
    (0.47, InputSpec(height=32, width=32, greyscale=True, value_range=(0.0, 1.0)))
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fakescope import __version__
from fakescope.export.errors import ExportError
from fakescope.export.head import Head
from fakescope.runs import (
    METRICS_FILE,
    TRAIN_CONFIG_FILE,
    Evaluation,
    RunFileError,
    TrainRecord,
    read_run_file,
)
from fakescope.runtime.card import ModelCard
from fakescope.runtime.errors import first_line
from fakescope.runtime.face_crop import FaceCrop

if TYPE_CHECKING:
    import onnx

_DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "keras": ("keras",),
    "tf2onnx": ("tf2onnx",),
    "onnx": ("onnx",),
    "onnxruntime": ("onnxruntime", "onnxruntime-gpu"),
}


@dataclass(frozen=True)
class CardText:
    """The prose of a card: what the model was trained on, what it is for, and what it is not."""

    training_data: str
    intended_use: str
    limitations: str


DEFAULT_TEXT = CardText(
    training_data="",
    intended_use=(
        "Screening face images for signs of synthesis (GAN or diffusion faces) as an aid to a human "
        "reviewer; the Grad-CAM heatmap shows which regions raised the score."
    ),
    limitations=(
        "Scores are only meaningful for images like the training data (tight face crops from similar "
        "sources, cameras and compression). New generators, editing, heavy re-compression, screenshots or "
        "non-face images can fool it in either direction. A score is not proof: never act on a person on its "
        "basis without human review. The Grad-CAM map is coarse (the last feature map's resolution) and "
        "shows where the evidence for FAKE lies, not why."
    ),
)

DEMO_TEXT = CardText(
    training_data=(
        "The offline demo set built by `fakescope data demo`: a few hundred tiny (25x25) greyscale face "
        "crops, real ones from scikit-image's LFW subset and astronaut photo, fake ones from the "
        "MobileStyleGAN generator; trained and served at 32x32 greyscale."
    ),
    intended_use=(
        "Demonstrating and testing the fakescope pipeline (training, export, edge runtime, dashboards) "
        "offline, right after install."
    ),
    limitations=(
        "A demonstration of the pipeline, not a real-world deepfake detector: it was trained on a few "
        "hundred tiny offline face crops from one generator, so its verdicts on real uploads mean nothing. "
        "To get a detector, train on real data, e.g. the 140k Real and Fake Faces set: download it, then "
        "`fakescope train DATA --arch mobilenet_v2` and `fakescope export` (see the README)."
    ),
)


def read_run_files(
    model_path: str | Path, metrics_path: str | Path | None = None
) -> tuple[TrainRecord | None, Evaluation | None]:
    """The run's `train_config.json` and metrics (`metrics_path`, else the run's `metrics.json`), None for
    a file that is not there.

    Raises:
        ExportError: `metrics_path` does not exist, or a file is not what fakescope writes.
    """
    run_dir = Path(model_path).parent
    config_path, default_metrics = run_dir / TRAIN_CONFIG_FILE, run_dir / METRICS_FILE
    try:
        record = read_run_file(config_path, TrainRecord) if config_path.is_file() else None
        if metrics_path:
            return record, read_run_file(metrics_path, Evaluation)
        return record, read_run_file(default_metrics, Evaluation) if default_metrics.is_file() else None
    except RunFileError as err:
        raise ExportError(str(err)) from None


def build_card(
    head: Head,
    record: TrainRecord | None,
    evaluation: Evaluation | None,
    *,
    name: str,
    version: str = __version__,
    precision: str = "fp32",
    text: CardText = DEFAULT_TEXT,
) -> ModelCard:
    """The model card (graph hash still empty: `seal_model` fills it).

    Args:
        head: the checked Keras head (input size, feature-map layer).
        record: the run's train_config.json: greyscale and value range, architecture, face front-end,
            `training_data` (else `data_dir`) ahead of `text.training_data`. None: a model without a run.
        evaluation: the run's metrics.json: the threshold and the test metrics. Defaults to the record's
            threshold and metrics, else 0.5 and none.
        name: the card's name. version: its version. Defaults to fakescope's version.
        precision: "fp32", "fp16" or "int8". Defaults to "fp32".
        text: training data, intended use and limitations. Defaults to `DEFAULT_TEXT`.
    """
    height, width, _ = head.input_shape
    training_data = (
        (record.training_data if record else "")
        or text.training_data
        or (f"Trained with `fakescope train` on {record.data_dir}." if record and record.data_dir else "")
    )
    if evaluation is not None:
        threshold, metrics = evaluation.threshold, evaluation.test
    else:
        threshold = record.threshold if record and record.threshold is not None else 0.5
        metrics = record.metrics if record else None
    return ModelCard(
        name=name,
        version=version,
        architecture=record.arch if record else "custom",
        input_height=int(height),
        input_width=int(width),
        greyscale=record.greyscale if record else False,
        value_range=record.value_range if record else (0.0, 1.0),
        threshold=threshold,
        cam_layer=head.features.name,
        created=created_timestamp(),
        metrics={k: v for k, v in metrics.as_dict().items() if k != "threshold"} if metrics else {},
        precision=precision,
        training_data=training_data,
        intended_use=text.intended_use,
        limitations=text.limitations,
        face_crop=record.face_crop if record else FaceCrop(),
        versions=tool_versions(),
    )


def created_timestamp() -> str:
    """UTC ISO timestamp; `SOURCE_DATE_EPOCH` pins it for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.isoformat(timespec="seconds")


def tool_versions() -> dict[str, str]:
    """Versions of fakescope and the conversion tools that are installed."""
    versions = {"fakescope": __version__}
    for package, distributions in _DISTRIBUTIONS.items():
        for distribution in distributions:
            try:
                versions[package] = importlib.metadata.version(distribution)
                break
            except importlib.metadata.PackageNotFoundError:
                continue
    return versions


def check_onnx(model: onnx.ModelProto) -> None:
    """`onnx.checker` with full shape inference; raises `ExportError` with the checker's first line."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as err:
        raise ExportError(f"the ONNX model fails onnx.checker: {first_line(err, 300)}") from None
