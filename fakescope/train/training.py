"""Two-phase training with checkpoints, early stopping, class weights, seeds and a CSV log.

Phase "head": a transfer model trains its head with the backbone frozen; a model from scratch trains
everything. Phase "fine_tune": the top of the backbone is unfrozen (BatchNormalization stays frozen) and
training goes on at a lower learning rate; a model from scratch simply continues at the lower rate. Each phase
keeps its best epoch by validation ROC AUC in `ckpt_head.keras` / `ckpt_ft.keras`; the better of the two is
`best_model.keras`. The best model is then evaluated (threshold on the validation split, metrics on the test
split) into `metrics.json`, and everything the export needs goes to `train_config.json`.

Example:
    >>> config = TrainConfig(arch="small_cnn", input_size=32, greyscale=True, epochs=30, fine_tune_epochs=15)
    >>> result = train("data/demo", "runs/demo", config)
    >>> result.evaluation.test.roc_auc
    0.98
"""

from __future__ import annotations

import math
import shutil
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import tensorflow as tf

from fakescope.data.layout import SPLITS, discover, split_records
from fakescope.runs import METRICS_FILE, TRAIN_CONFIG_FILE, Evaluation, TrainRecord, write_run_file
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.spec import CAM_LAYER, CLASS_FOLDERS
from fakescope.train.callbacks import EpochLog, PhaseAware
from fakescope.train.datasets import DecodeReport, class_weights, make_dataset
from fakescope.train.evaluate import evaluate_model
from fakescope.train.models import backbone_layers, build_model
from fakescope.train.run_config import TrainConfig, describe_data, manifest_sha256
from fakescope.uncertainty.summary import small_split_warning

CKPT_HEAD = "ckpt_head.keras"
CKPT_FT = "ckpt_ft.keras"
BEST_MODEL = "best_model.keras"
MONITOR = "val_auc"


@dataclass(frozen=True)
class TrainResult:
    """What a run produced: files, per-epoch history, the evaluation and the timings."""

    out_dir: Path
    best_model: Path
    best_phase: str
    best_val_auc: float
    history: list[dict]
    evaluation: Evaluation
    skipped: list[tuple[str, str]]
    seconds: float


def train(
    data_dir: str | Path,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    *,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: str | int = "auto",
) -> TrainResult:
    """Train, checkpoint, evaluate and describe a model; see the module docstring.

    Args:
        data_dir: dataset folder (140k layout, or flat real/ + fake/).
        out_dir: run folder; created if needed, files in it are overwritten.
        config: the run's settings. Defaults to `TrainConfig()`.
        callbacks: extra Keras callbacks, e.g. `EpochCallback` for a notebook. Defaults to ().
        verbose: Keras progress output ("auto", 0, 1 or 2). Defaults to "auto".

    Raises:
        DatasetLayoutError: `data_dir` is not a dataset, or a split is empty.
    """
    started = time.perf_counter()
    config = config if config is not None else TrainConfig()
    records = discover(data_dir)  # the default split seed, as `evaluate_model` uses
    splits = split_records(records, SPLITS, data_dir)
    small = small_split_warning([r.label for r in splits["valid"]], "validation")
    if small:
        warnings.warn(small, stacklevel=2)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "history.csv").unlink(missing_ok=True)
    keras.utils.set_random_seed(config.seed)
    report = DecodeReport()
    spec = config.spec
    train_ds = make_dataset(
        splits["train"],
        spec,
        batch_size=config.batch_size,
        shuffle=True,
        augment=config.augment,
        seed=config.seed,
        report=report,
        face_crop=config.face_crop,
    )
    valid_ds = make_dataset(
        splits["valid"], spec, batch_size=config.batch_size, report=report, face_crop=config.face_crop
    )
    weights = class_weights(splits["train"])
    model = build_model(
        config.arch, config.input_size, dropout=config.dropout, weights=config.weights, seed=config.seed
    )
    all_callbacks = [EpochLog(out_dir / "history.csv"), *callbacks]
    for callback in all_callbacks:
        if isinstance(callback, PhaseAware):
            callback.total_epochs = config.epochs + config.fine_tune_epochs

    def run_phase(phase: str, path: Path, learning_rate: float, epochs: int, initial_epoch: int):
        for callback in all_callbacks:
            if isinstance(callback, PhaseAware):
                callback.phase = phase
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.BinaryCrossentropy(),
            metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
        )
        checkpoint = keras.callbacks.ModelCheckpoint(path, monitor=MONITOR, mode="max", save_best_only=True)
        stopper = keras.callbacks.EarlyStopping(MONITOR, mode="max", patience=config.patience)
        with warnings.catch_warnings():  # the first epoch of a filtered dataset ends without a known length
            warnings.filterwarnings("ignore", message="Your input ran out of data")
            history = model.fit(
                train_ds,
                validation_data=valid_ds,
                epochs=initial_epoch + epochs,
                initial_epoch=initial_epoch,
                class_weight=weights,
                callbacks=[checkpoint, stopper, *all_callbacks],
                verbose=verbose,
                shuffle=False,
            )
        if not path.exists():  # validation AUC never became a number: keep the last weights
            model.save(path)
        rows = [
            {
                "phase": phase,
                "epoch": initial_epoch + i + 1,
                **{k: float(v[i]) for k, v in history.history.items()},
            }
            for i in range(len(history.epoch))
        ]
        return rows, _best(checkpoint.best)

    _freeze_backbone(model)
    head_rows, head_best = run_phase("head", out_dir / CKPT_HEAD, config.learning_rate, config.epochs, 0)
    rows, best_phase, best_auc = head_rows, "head", head_best
    if config.fine_tune_epochs:
        model.load_weights(out_dir / CKPT_HEAD)
        _unfreeze_top(model, config.fine_tune_fraction)
        ft_rows, ft_best = run_phase(
            "fine_tune",
            out_dir / CKPT_FT,
            config.fine_tune_learning_rate,
            config.fine_tune_epochs,
            len(head_rows),
        )
        rows += ft_rows
        if ft_best >= head_best:
            best_phase, best_auc = "fine_tune", ft_best
    else:
        shutil.copyfile(out_dir / CKPT_HEAD, out_dir / CKPT_FT)
    shutil.copyfile(out_dir / (CKPT_HEAD if best_phase == "head" else CKPT_FT), out_dir / BEST_MODEL)
    report.write_csv(out_dir / "skipped.csv")  # so a failing evaluation still says which files were bad
    best = keras.models.load_model(out_dir / BEST_MODEL, compile=False)
    evaluation = evaluate_model(
        out_dir / BEST_MODEL,
        data_dir,
        spec=spec,
        target_fpr=config.target_fpr,
        model=best,
        batch_size=max(config.batch_size, 64),
        face_crop=config.face_crop,
    )
    write_run_file(evaluation, out_dir / METRICS_FILE)
    skipped = sorted(set(report.skipped) | set(evaluation.skipped))
    report_all = DecodeReport()
    for path, message in skipped:
        report_all.add(path, message)
    report_all.write_csv(out_dir / "skipped.csv")
    seconds = time.perf_counter() - started
    result = TrainResult(
        out_dir, out_dir / BEST_MODEL, best_phase, best_auc, rows, evaluation, skipped, seconds
    )
    write_run_file(train_record(result, config, data_dir, splits), out_dir / TRAIN_CONFIG_FILE)
    return result


def train_record(result: TrainResult, config: TrainConfig, data_dir: str | Path, splits: dict) -> TrainRecord:
    """The run's `train_config.json`: what the exporter puts on the card, plus details for people."""
    data_dir = Path(data_dir)
    counts = {
        split: {name: sum(r.label == label for r in members) for label, name in enumerate(CLASS_FOLDERS)}
        for split, members in splits.items()
    }
    return TrainRecord(
        arch=config.arch,
        input_size=config.input_size,
        greyscale=config.greyscale,
        value_range=config.spec.value_range,
        cam_layer=CAM_LAYER,
        face_crop=config.face_crop or FaceCrop(),
        threshold=result.evaluation.threshold,
        threshold_rule=result.evaluation.threshold_rule,
        metrics=result.evaluation.test,
        training_data=config.training_data or describe_data(data_dir, counts),
        dataset_manifest_sha256=manifest_sha256(data_dir),
        data_dir=str(data_dir),
        details={
            "counts": counts,
            "class_weight": class_weights(splits["train"]),
            "best_phase": result.best_phase,
            "best_val_auc": result.best_val_auc,
            "epochs_run": {
                phase: sum(r["phase"] == phase for r in result.history) for phase in ("head", "fine_tune")
            },
            "seconds": round(result.seconds, 1),
            "settings": asdict(config),
            "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
        },
    )


def _best(value) -> float:
    """The best monitored value as a finite float; -inf when it never was one (None, NaN, inf)."""
    value = float("-inf") if value is None else float(value)
    return value if math.isfinite(value) else float("-inf")


def _freeze_backbone(model: keras.Model) -> None:
    for layer in backbone_layers(model):
        layer.trainable = False


def _unfreeze_top(model: keras.Model, fraction: float) -> None:
    layers = backbone_layers(model)
    first = len(layers) - round(len(layers) * fraction)
    for i, layer in enumerate(layers):
        layer.trainable = i >= first and not isinstance(layer, keras.layers.BatchNormalization)
