"""`fakescope evaluate MODEL.onnx VIDEOS/`: video-level metrics when DATA_DIR holds real/ and fake/ clips.

Example:
    $ fakescope evaluate models/m.onnx videos/
    videos (12 real, 12 fake): ROC AUC 0.9722, AP 0.9801, accuracy 0.9167 at threshold 0.5000
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from fakescope.cli.common import load_detector


def evaluate_video_folder(model: Path, data_dir: Path, out: Path | None) -> None:
    """Judge every clip under DATA_DIR with MODEL and print and write the clip-level metrics."""
    if model.suffix.lower() != ".onnx":
        raise click.ClickException(f"{model}: video evaluation needs an exported .onnx model")
    from fakescope.video.evaluate import evaluate_videos

    detector = load_detector(str(model))
    out = out or model.with_name(f"{model.stem}.video-metrics.json")
    try:
        evaluation = evaluate_videos(detector, data_dir)
    except (ValueError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    for level, metrics in (("videos", evaluation.videos), ("frames", evaluation.frames)):
        if metrics is None:
            continue
        auc = "n/a" if metrics.roc_auc is None else f"{metrics.roc_auc:.4f}"
        ap = "n/a" if metrics.average_precision is None else f"{metrics.average_precision:.4f}"
        click.echo(
            f"{level} ({metrics.n_real} real, {metrics.n_fake} fake): ROC AUC {auc}, AP {ap}, "
            f"accuracy {metrics.accuracy:.4f} at threshold {metrics.threshold:.4f}"
        )
    for _path, error in evaluation.rejected:
        click.echo(f"rejected: {error}", err=True)
    try:
        out.write_text(json.dumps(evaluation.as_dict(), indent=2))
    except OSError as err:
        raise click.ClickException(f"cannot write {out}: {err.strerror or err}") from None
    click.echo(f"wrote {out}")
