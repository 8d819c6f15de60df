"""Shared helpers of the export tests (no tests here): contract models with a non-trivial head, and
generated datasets and training runs in tmp folders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fakescope.export.samples import generated_batch
from fakescope.report.metrics import binary_metrics
from fakescope.runs import METRICS_FILE, TRAIN_CONFIG_FILE, Evaluation, TrainRecord, write_run_file
from fakescope.runtime.preprocess import InputSpec


def nontrivial_head(model, batch: np.ndarray, spread: float = 1.5) -> None:
    """Set the logit kernel so both the logits and the CAM say something about `batch`.

    Random backbones give features that differ little between images; a random kernel would leave every logit
    alike and most CAMs all zero, or, scaled up, amplify float32 noise. The kernel is the features' first
    principal direction with the mean feature projected out: logits centred on 0 with std `spread`, and the
    weighted feature map (hence the CAM) positive in some places and negative in others.
    """
    import keras

    features = keras.Model(model.inputs[0], model.get_layer("gap").output)(batch, training=False)
    features = np.asarray(features, dtype=np.float64)
    mean = features.mean(axis=0)
    kernel = np.linalg.svd(features - mean, full_matrices=False)[2][0]
    kernel -= (kernel @ mean) / (mean @ mean) * mean
    kernel *= spread / (features @ kernel).std()
    model.get_layer("logit").set_weights([kernel[:, None].astype(np.float32), np.zeros(1, np.float32)])


def contract_model(arch: str = "small_cnn", size: int = 32, seed: int = 0):
    """`fakescope.train.models.build_model` with a non-trivial head fitted on generated images."""
    from fakescope.train.models import build_model

    model = build_model(arch, size, seed=seed)
    nontrivial_head(model, generated_batch(InputSpec(size, size), 16, seed=seed))
    return model


def write_dataset(root: Path, per_class: int = 20, side: int = 25, seed: int = 0) -> Path:
    """A flat real/ + fake/ folder of small greyscale PNGs (fake ones carry high-frequency noise)."""
    rng = np.random.default_rng(seed)
    for label in ("real", "fake"):
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            coarse = rng.integers(0, 256, (5, 5), dtype=np.uint8)
            pixels = np.asarray(Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC), float)
            if label == "fake":
                pixels += rng.normal(0.0, 30.0, pixels.shape)
            Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(folder / f"{label}_{i:03d}.png")
    return root


def save_run(
    folder: Path,
    arch: str = "small_cnn",
    size: int = 32,
    *,
    greyscale: bool = True,
    threshold: float | None = 0.4,
) -> Path:
    """A training run as `fakescope train` leaves it: best_model.keras, train_config.json, metrics.json."""
    folder.mkdir(parents=True, exist_ok=True)
    model = contract_model(arch, size)
    path = folder / "best_model.keras"
    model.save(path)
    record = TrainRecord(arch=arch, input_size=size, greyscale=greyscale, data_dir="data/generated")
    write_run_file(record, folder / TRAIN_CONFIG_FILE)
    if threshold is not None:
        labels = np.arange(30) % 2
        prob = np.linspace(0.05, 0.95, 30) * 0.5 + labels * 0.4
        valid, test = binary_metrics(labels, prob[::-1], threshold), binary_metrics(labels, prob, threshold)
        evaluation = Evaluation(
            str(path), "data/generated", record.spec, threshold, "max balanced accuracy", valid, test
        )
        write_run_file(evaluation, folder / METRICS_FILE)
    return path
