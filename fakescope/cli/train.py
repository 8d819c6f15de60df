"""`fakescope train` and `fakescope evaluate`: thin wrappers over `fakescope.train`.

TensorFlow is imported inside the commands, so the rest of the CLI starts fast.

Example:
    $ fakescope train data/demo --arch small_cnn --input-size 32 --greyscale --epochs 60 --out runs/demo
    $ fakescope evaluate runs/demo/best_model.keras data/demo
"""

from __future__ import annotations

import sys
import zipfile
from contextlib import ExitStack
from pathlib import Path

import click
from tqdm import tqdm

from fakescope.extras import require_extra
from fakescope.runtime.errors import FakescopeError

AUGMENTATIONS = ("flip", "crop", "colour", "jpeg", "blur", "resize")


def _augment_names(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in value.split(",") if n.strip())
    if names in ((), ("none",)):
        return ()
    unknown = sorted(set(names) - set(AUGMENTATIONS))
    if unknown:
        raise click.BadParameter(
            f"unknown {', '.join(unknown)}; choose from {', '.join(AUGMENTATIONS)} or none"
        )
    return names


def _fail(err: Exception) -> click.ClickException:
    text = " ".join(str(err).split()) or type(err).__name__
    return click.ClickException(text)


@click.command()
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Run folder (e.g. runs/NAME) for checkpoints, history.csv, metrics.json, train_config.json.",
)
@click.option(
    "--arch",
    default="small_cnn",
    show_default=True,
    type=click.Choice(["small_cnn", "mobilenet_v2", "efficientnet_b0"]),
)
@click.option(
    "--input-size",
    default=160,
    show_default=True,
    type=click.IntRange(min=32),
    help="Square input side in pixels.",
)
@click.option(
    "--greyscale/--rgb", default=False, show_default=True, help="Train on luma replicated to 3 channels."
)
@click.option(
    "--epochs", default=10, show_default=True, type=click.IntRange(min=1), help="Head-phase epochs."
)
@click.option(
    "--fine-tune-epochs",
    default=None,
    type=click.IntRange(min=0),
    help="Fine-tune-phase epochs (0 skips it).  [default: same as --epochs]",
)
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=1e-3, show_default=True, help="Head-phase learning rate.")
@click.option("--fine-tune-lr", default=1e-4, show_default=True, help="Fine-tune-phase learning rate.")
@click.option("--dropout", default=0.2, show_default=True, type=click.FloatRange(0.0, 1.0, max_open=True))
@click.option(
    "--weights",
    default="none",
    show_default=True,
    type=click.Choice(["none", "imagenet"]),
    help="Backbone initialisation (imagenet falls back to random when it cannot be loaded).",
)
@click.option(
    "--patience",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Early-stopping patience (epochs without a better validation AUC), per phase.",
)
@click.option(
    "--augment",
    default=",".join(AUGMENTATIONS),
    show_default=True,
    callback=_augment_names,
    help="Comma-separated augmentations, or none.",
)
@click.option("--seed", default=1337, show_default=True, help="Seed of weights, shuffling and augmentation.")
@click.option(
    "--target-fpr",
    type=click.FloatRange(0.0, 1.0),
    help="Pick the threshold for this validation false-positive rate (default: max balanced accuracy).",
)
@click.option("--training-data", default="", help="Training-data description for the model card.")
@click.option(
    "--face-crop",
    "face_crop_margin",
    type=click.FloatRange(0.0, 2.0),
    default=None,
    help="Crop every image to its largest face with this margin first (the runtime's face front-end); "
    "for photos that are not face crops. The exported model card makes the runtime do the same.",
)
def train(
    data_dir: Path,
    out_dir: Path,
    arch: str,
    input_size: int,
    greyscale: bool,
    epochs: int,
    fine_tune_epochs: int | None,
    batch_size: int,
    lr: float,
    fine_tune_lr: float,
    dropout: float,
    weights: str,
    patience: int,
    augment: tuple[str, ...],
    seed: int,
    target_fpr: float | None,
    training_data: str,
    face_crop_margin: float | None,
) -> None:
    """Train a detector on DATA_DIR (140k layout or real/ + fake/) and evaluate it on the test split."""
    with require_extra("train"):
        from fakescope.train.augment import Augment
        from fakescope.train.run_config import TrainConfig
        from fakescope.train.training import train as run_training
    try:
        config = TrainConfig(
            arch=arch,
            input_size=input_size,
            greyscale=greyscale,
            epochs=epochs,
            fine_tune_epochs=epochs if fine_tune_epochs is None else fine_tune_epochs,
            batch_size=batch_size,
            learning_rate=lr,
            fine_tune_learning_rate=fine_tune_lr,
            dropout=dropout,
            weights=None if weights == "none" else weights,
            patience=patience,
            seed=seed,
            augment=Augment.only(*augment) if augment else None,
            target_fpr=target_fpr,
            training_data=training_data,
            face_crop_margin=face_crop_margin,
        )
        result = run_training(data_dir, out_dir, config, verbose=1 if sys.stdout.isatty() else 2)
    except (ValueError, OSError, zipfile.BadZipFile, FakescopeError) as err:
        raise _fail(err) from None
    test = result.evaluation.test
    click.echo(f"best: {result.best_phase} phase, validation AUC {result.best_val_auc:.4f}")
    click.echo(
        f"test split ({test.n_real} real, {test.n_fake} fake): ROC AUC {_num(test.roc_auc)}, "
        f"AP {_num(test.average_precision)}, accuracy {test.accuracy:.4f}, EER {_num(test.eer)}"
    )
    click.echo(f"threshold {result.evaluation.threshold:.4f} ({result.evaluation.threshold_rule})")
    if result.skipped:
        click.echo(f"skipped {len(result.skipped)} unreadable file(s); see {out_dir / 'skipped.csv'}")
    click.echo(f"{out_dir}: best_model.keras, metrics.json, train_config.json ({result.seconds:.0f} s)")


@click.command()
@click.argument("model", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="metrics JSON.  [default: MODEL.metrics.json beside MODEL, so the run's metrics.json is kept]",
)
@click.option(
    "--greyscale/--rgb",
    default=None,
    help="For a .keras model without train_config.json beside it.  [default: RGB]",
)
@click.option(
    "--target-fpr",
    type=click.FloatRange(0.0, 1.0),
    help="Pick the threshold for this validation false-positive rate (default: max balanced accuracy).",
)
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--robustness",
    is_flag=True,
    help="ONNX models: re-score the test split after JPEG 50/75, blur, half size and a PNG round trip.",
)
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option(
    "--scheduler", default=None, help="Dask scheduler address (tcp://HOST:PORT); else a local cluster."
)
@click.option(
    "--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Local Dask workers."
)
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    default=512,
    show_default=True,
    help="Images per Dask task and Parquet part (--engine dask).",
)
@click.option(
    "--faithfulness",
    is_flag=True,
    help="Also average each CAM method's ROAD and deletion/insertion over the test split (.onnx models).",
)
@click.option(
    "--faithfulness-images",
    type=click.IntRange(min=1),
    default=None,
    help="Test images explained for --faithfulness at most.  [default: all]",
)
def evaluate(
    model: Path,
    data_dir: Path,
    out: Path | None,
    greyscale: bool | None,
    target_fpr: float | None,
    batch_size: int,
    robustness: bool,
    engine: str,
    scheduler: str | None,
    workers: int,
    partition_size: int,
    faithfulness: bool,
    faithfulness_images: int | None,
) -> None:
    """Score MODEL (.keras or .onnx) on DATA_DIR: threshold on the valid split, metrics on the test split.

    With --engine dask (.onnx models) the images are scored by Dask workers, which must see DATA_DIR at the
    same path and write one Parquet part per partition beside OUT (OUT_STEM_dask_parts/; a rerun scores only
    partitions without one; a complete run removes the parts of partitions it no longer has and records
    itself in _done.json); the metrics are those of a local evaluation.

    A DATA_DIR of real/ and fake/ video folders is scored per clip (ONNX models): video-level ROC AUC.
    """
    if faithfulness and model.suffix.lower() != ".onnx":
        raise click.ClickException(
            "--faithfulness needs an exported .onnx model (the CAMs live in its graph)"
        )
    from fakescope.video.evaluate import is_video_dataset

    if is_video_dataset(data_dir):
        from fakescope.cli.evaluate_video import evaluate_video_folder

        evaluate_video_folder(model, data_dir, out)
        return
    with require_extra("train"):
        from fakescope.runs import write_run_file
        from fakescope.train.evaluate import evaluate_model
    if out is None:  # never the run's metrics.json, which the export reads into the card
        out = model.with_name(f"{model.stem}.metrics.json")
    if engine == "dask" and model.suffix.lower() != ".onnx":
        raise click.BadParameter("scores exported .onnx models only", param_hint="--engine dask")
    if scheduler and engine != "dask":
        raise click.BadParameter("needs --engine dask", param_hint="--scheduler")
    record = None
    try:
        with ExitStack() as stack:
            options = {}  # the Dask scorer, a job folder beside `out` (a PartsJob: completed once scored)
            if engine == "dask":
                with require_extra("cluster"):
                    from fakescope.cluster.client import dask_client
                    from fakescope.cluster.evaluate import DaskScorer
                client = stack.enter_context(dask_client(scheduler, workers))
                bar = stack.enter_context(tqdm(unit="img", desc="scoring", disable=None, dynamic_ncols=True))
                parts = out.with_name(f"{out.stem}_dask_parts")
                scorer = DaskScorer(client, model, parts, partition_size, progress=bar.update)
                options["scorer"] = stack.enter_context(scorer)
            evaluation = evaluate_model(
                model,
                data_dir,
                greyscale=greyscale,
                target_fpr=target_fpr,
                batch_size=batch_size,
                robustness=robustness,
                **options,
            )
            if "scorer" in options:
                record = options["scorer"].complete()
        write_run_file(evaluation, out)
    except (ValueError, OSError, zipfile.BadZipFile, FakescopeError) as err:
        raise _fail(err) from None
    if record is not None:
        click.echo(f"dask: {record.summary}")
    test = evaluation.test
    click.echo(
        f"test split ({test.n_real} real, {test.n_fake} fake): ROC AUC {_num(test.roc_auc)}, "
        f"AP {_num(test.average_precision)}, accuracy {test.accuracy:.4f}, EER {_num(test.eer)}, "
        f"log loss {test.log_loss:.4f}"
    )
    c = test.confusion
    click.echo(
        f"at threshold {evaluation.threshold:.4f}: TN {c['tn']} FP {c['fp']} FN {c['fn']} TP {c['tp']}"
    )
    for line in trust_text(evaluation.trust):
        click.echo(line)
    if evaluation.skipped:
        click.echo(f"skipped {len(evaluation.skipped)} unreadable file(s) (listed in {out})")
    if faithfulness:
        _faithfulness(model, data_dir, out, faithfulness_images)
    click.echo(f"wrote {out}")


def trust_text(trust: dict) -> list[str]:
    """The evaluation's honest numbers as lines: intervals, ECE, selective prediction, robustness."""
    from fakescope.runtime.card_trust import interval_lines

    lines = interval_lines(trust.get("intervals", {}))
    calibration = trust.get("calibration", {})
    if "ece" in calibration:
        if "ece_before" in calibration:
            before, after = calibration["ece_before"], calibration["ece"]
            text = f"{before:.4f} before temperature scaling, {after:.4f} after"
        else:
            text = f"{calibration['ece']:.4f}"
        lines.append(f"ECE {text}")
    chosen = trust.get("selective")
    if chosen:
        accuracy = _num(chosen["accuracy"])
        area = trust.get("risk_coverage", {}).get("area")
        lines.append(
            f"answered {chosen['n_answered']} of {chosen['n']} ({chosen['coverage']:.1%}): "
            f"accuracy {accuracy}, ROC AUC {_num(chosen['roc_auc'])}; risk-coverage area {_num(area)}"
        )
    for name, figures in trust.get("robustness", {}).items():
        flipped = f", {figures['flipped']:.1%} verdicts flipped" if "flipped" in figures else ""
        lines.append(f"robustness {name}: ROC AUC {_num(figures['roc_auc'])}{flipped}")
    return lines


def _faithfulness(model: Path, data_dir: Path, out: Path, max_images: int | None) -> None:
    """Print the methods ranked by ROAD on the test split and add them to the metrics JSON."""
    import json

    from fakescope.data.layout import discover
    from fakescope.report.faithfulness import dataset_faithfulness
    from fakescope.runtime import Detector

    try:
        summary = dataset_faithfulness(Detector(model), discover(data_dir), max_images=max_images)
        saved = json.loads(out.read_text())
        saved["faithfulness"] = {"split": "test", "methods": [m.as_dict() for m in summary]}
        out.write_text(json.dumps(saved, indent=2))
    except (ValueError, OSError, FakescopeError) as err:
        raise _fail(err) from None
    click.echo(f"faithfulness on the test split ({summary[0].n} images), most faithful first by ROAD:")
    click.echo("  method        ROAD combined  MoRF   LeRF   deletion AUC  insertion AUC")
    for m in summary:
        click.echo(
            f"  {m.method:<12}  {m.road_combined:+.3f}         {m.road_morf:.3f}  {m.road_lerf:.3f}  "
            f"{m.deletion_auc:.3f}         {m.insertion_auc:.3f}"
        )


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
