"""`train_config.json`: a training run's settings and everything the exporter needs for the model card.

Keys the exporter reads: arch, input_size, greyscale, value_range, cam_layer, threshold, metrics (test split),
training_data, dataset_manifest_sha256, data_dir.

Example:
    >>> json.loads(Path("runs/demo/train_config.json").read_text())["cam_layer"]
    'last_conv'
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import keras
import tensorflow as tf

from fakescope.runtime.spec import CAM_LAYER, CLASS_FOLDERS
from fakescope.train.datasets import class_weights
from fakescope.train.evaluate import TRAIN_CONFIG_FILE

if TYPE_CHECKING:
    from fakescope.train.training import TrainConfig, TrainResult

DEMO_STATEMENT = "This set proves that the pipeline learns; it is not a real-world benchmark."


def write_train_config(result: TrainResult, config: TrainConfig, data_dir: str | Path, splits: dict) -> Path:
    """Write `train_config.json`: the run's settings plus what the exporter needs for the model card."""
    data_dir = Path(data_dir)
    manifest = data_dir / "manifest.csv"
    counts = {
        name: {"real": sum(r.label == 0 for r in members), "fake": sum(r.label == 1 for r in members)}
        for name, members in splits.items()
    }
    settings = asdict(config)
    payload = {
        "arch": config.arch,
        "input_size": config.input_size,
        "greyscale": config.greyscale,
        "value_range": list(config.spec.value_range),
        "cam_layer": CAM_LAYER,
        "face_crop": config.face_crop.as_dict() if config.face_crop else {},
        "threshold": result.evaluation.threshold,
        "threshold_rule": result.evaluation.threshold_rule,
        "metrics": result.evaluation.test.as_dict(),
        "training_data": config.training_data or describe_data(data_dir, counts),
        "dataset_manifest_sha256": _sha256(manifest) if manifest.is_file() else None,
        "data_dir": str(data_dir),
        "counts": counts,
        "class_weight": class_weights(splits["train"]),
        "best_phase": result.best_phase,
        "best_val_auc": result.best_val_auc,
        "epochs_run": {
            "head": sum(r["phase"] == "head" for r in result.history),
            "fine_tune": sum(r["phase"] == "fine_tune" for r in result.history),
        },
        "seconds": round(result.seconds, 1),
        "settings": settings,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }
    path = result.out_dir / TRAIN_CONFIG_FILE
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


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


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
