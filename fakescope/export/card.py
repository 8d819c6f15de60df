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
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakescope import __version__
from fakescope.export.errors import ExportError
from fakescope.export.head import Head
from fakescope.runtime.card import ModelCard
from fakescope.runtime.errors import first_line
from fakescope.runtime.face_crop import FaceCrop

if TYPE_CHECKING:
    import onnx

CONFIG_FILE = "train_config.json"
METRICS_FILE = "metrics.json"
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


def read_run_files(model_path: str | Path, metrics_path: str | Path | None = None) -> tuple[dict, dict]:
    """The run's `train_config.json` and metrics (`metrics_path`, else the run's `metrics.json`), or {}.

    Raises:
        ExportError: a file exists but is not a JSON object.
    """
    run_dir = Path(model_path).parent
    config = _read_json(run_dir / CONFIG_FILE, required=False)
    if metrics_path:
        return config, _read_json(Path(metrics_path), required=True)
    metrics = _read_json(run_dir / METRICS_FILE, required=False)
    return config, metrics


def build_card(
    head: Head,
    config: dict[str, Any],
    metrics: dict[str, Any],
    *,
    name: str,
    version: str = __version__,
    precision: str = "fp32",
    text: CardText = DEFAULT_TEXT,
) -> ModelCard:
    """The model card (graph hash still empty: `seal_model` fills it).

    Args:
        head: the checked Keras head (input size, feature-map layer).
        config: the run's train_config.json; `greyscale` and `value_range` declare the input, `arch` or
            `architecture` names the architecture, `training_data` (else `data_dir`) describes the data,
            ahead of `text.training_data`.
        metrics: the run's metrics.json; `threshold` (a number, or {"value": ...}) and the `test` metrics.
        name: the card's name. version: its version. Defaults to fakescope's version.
        precision: "fp32", "fp16" or "int8". Defaults to "fp32".
        text: training data, intended use and limitations. Defaults to `DEFAULT_TEXT`.
    """
    height, width, _ = head.input_shape
    training_data = (
        config.get("training_data")
        or text.training_data
        or (f"Trained with `fakescope train` on {config['data_dir']}." if config.get("data_dir") else "")
    )
    return ModelCard(
        name=name,
        version=version,
        architecture=str(config.get("arch") or config.get("architecture") or "custom"),
        input_height=int(height),
        input_width=int(width),
        greyscale=bool(config.get("greyscale", False)),
        value_range=tuple(float(v) for v in config.get("value_range", (0.0, 1.0))),
        threshold=decision_threshold(metrics),
        cam_layer=head.features.name,
        created=created_timestamp(),
        metrics=split_metrics(metrics),
        precision=precision,
        training_data=training_data,
        intended_use=text.intended_use,
        limitations=text.limitations,
        face_crop=_face_crop(config),
        versions=tool_versions(),
    )


def _face_crop(config: dict[str, Any]) -> FaceCrop:
    try:
        return FaceCrop.from_dict(config.get("face_crop") or {})
    except ValueError as err:
        raise ExportError(f"the training config's {err}") from None


def decision_threshold(metrics: dict[str, Any]) -> float:
    """The threshold chosen on the validation split, or 0.5 when metrics.json has none."""
    value = metrics.get("threshold", metrics.get("test", {}).get("threshold", 0.5))
    if isinstance(value, dict):
        value = value.get("value", 0.5)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 < value < 1.0:
        raise ExportError(f"metrics.json threshold must be a number in (0, 1); got {value!r}")
    return float(value)


def split_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The test-split metrics of metrics.json (its `test` entry, or the whole file)."""
    test = metrics.get("test", metrics)
    return {k: v for k, v in test.items() if k != "threshold"} if isinstance(test, dict) else {}


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


def _read_json(path: Path, required: bool) -> dict[str, Any]:
    if not path.is_file():
        if required:
            raise ExportError(f"{path} does not exist")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ExportError(f"cannot read {path}: {err}") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path} must hold a JSON object")
    return data
