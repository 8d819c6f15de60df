"""`TrainConfig`: everything that defines a training run, and how the run describes its data.

The run's files (`train_config.json`, `metrics.json`) are the typed records of `fakescope.runs`.

Example:
    >>> config = TrainConfig(arch="small_cnn", input_size=32, greyscale=True)
    >>> config.spec
    InputSpec(height=32, width=32, greyscale=True, value_range=(0.0, 1.0))
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path

from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.preprocess import InputSpec
from fakescope.runtime.spec import CLASS_FOLDERS
from fakescope.train.augment import Augment
from fakescope.train.models import ARCHITECTURES

DEMO_STATEMENT = "This set proves that the pipeline learns; it is not a real-world benchmark."


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run.

    Args:
        arch: one of `ARCHITECTURES`. Defaults to "small_cnn".
        input_size: square input side. Defaults to 160.
        greyscale: train on luma replicated to 3 channels. Defaults to False.
        epochs: most epochs of the head phase. Defaults to 10.
        fine_tune_epochs: most epochs of the fine-tune phase (0 skips it). Defaults to 10.
        batch_size: images per step. Defaults to 32.
        learning_rate: Adam learning rate of the head phase. Defaults to 1e-3.
        fine_tune_learning_rate: Adam learning rate of the fine-tune phase. Defaults to 1e-4.
        fine_tune_fraction: share of the backbone's layers (from the top) unfrozen for fine-tuning.
            Defaults to 0.3.
        dropout: dropout before the logit. Defaults to 0.2.
        weights: None or "imagenet" (transfer backbones only). Defaults to None.
        patience: early-stopping patience in epochs, per phase, on validation ROC AUC. Defaults to 5.
        seed: seeds weights, shuffling and augmentation. Defaults to 1337.
        augment: training augmentations, None for none. Defaults to `Augment()`.
        target_fpr: choose the decision threshold for this validation FPR instead of max balanced accuracy.
            Defaults to None.
        training_data: description for the model card. Defaults to one made from the dataset.
        face_crop_margin: crop every image to its largest face with this margin first (the runtime's face
            front-end; the model card then tells `Detector` to do the same). Defaults to None (no crop).
    """

    arch: str = "small_cnn"
    input_size: int = 160
    greyscale: bool = False
    epochs: int = 10
    fine_tune_epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    fine_tune_learning_rate: float = 1e-4
    fine_tune_fraction: float = 0.3
    dropout: float = 0.2
    weights: str | None = None
    patience: int = 5
    seed: int = 1337
    augment: Augment | None = field(default_factory=Augment)
    target_fpr: float | None = None
    training_data: str = ""
    face_crop_margin: float | None = None

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"`arch` must be one of {ARCHITECTURES}. Received: arch={self.arch!r}")
        if self.epochs < 1 or self.fine_tune_epochs < 0:
            raise ValueError(
                "need epochs >= 1 and fine_tune_epochs >= 0. "
                f"Received: epochs={self.epochs}, fine_tune_epochs={self.fine_tune_epochs}"
            )
        for name in ("learning_rate", "fine_tune_learning_rate"):
            rate = getattr(self, name)
            if not (math.isfinite(rate) and rate > 0):
                raise ValueError(f"`{name}` must be a positive number. Received: {name}={rate}")
        if not 0.0 <= self.fine_tune_fraction <= 1.0:
            raise ValueError(f"`fine_tune_fraction` must be in [0, 1]. Received: {self.fine_tune_fraction}")
        if self.batch_size < 1 or self.patience < 1:
            raise ValueError(
                f"batch_size and patience must be >= 1. Received: {self.batch_size}, {self.patience}"
            )

    @property
    def spec(self) -> InputSpec:
        return InputSpec(self.input_size, self.input_size, self.greyscale)

    @property
    def face_crop(self) -> FaceCrop | None:
        """The face front-end as the model card declares it, or None."""
        if self.face_crop_margin is None:
            return None
        return FaceCrop(enabled=True, margin=float(self.face_crop_margin))


def describe_data(data_dir: Path, counts: dict) -> str:
    """A one-paragraph description of the training data for the model card."""
    totals = {label: sum(c[label] for c in counts.values()) for label in CLASS_FOLDERS}
    text = (
        f"{data_dir.name}: {totals['real']} real and {totals['fake']} fake images "
        f"(train/valid/test = {'/'.join(str(sum(c.values())) for c in counts.values())})."
    )
    if (data_dir / "build_report.json").is_file():
        text = (
            "fakescope offline demo set (`fakescope data demo`): 25x25 greyscale LFW face crops (real) vs "
            f"MobileStyleGAN faces (fake). {text} {DEMO_STATEMENT}"
        )
    return text


def manifest_sha256(data_dir: Path) -> str | None:
    """The sha256 of the dataset's `manifest.csv`, None when it has none."""
    manifest = Path(data_dir) / "manifest.csv"
    return hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.is_file() else None
