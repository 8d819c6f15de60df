"""`fakescope predict PATH...`: one verdict per input (image or video), never a traceback for bad input.

Example:
    $ fakescope predict face.jpg clip.mp4 --format json --cam-dir cams/ --frames 16
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import click
import numpy as np
from PIL import Image

from fakescope.cli.common import (
    alpha_option,
    c2pa_trust_option,
    load_detector,
    model_option,
    trust_option,
    tta_option,
)
from fakescope.runtime import Prediction, Rejected
from fakescope.runtime.cells import spreadsheet_safe
from fakescope.runtime.results import faces_text, provenance_text, reasons_text
from fakescope.video import AGGREGATIONS, DEFAULT_AGGREGATION, DEFAULT_FRAMES, VideoPrediction, predict_files

COLUMNS = ("path", "verdict", "reasons", "label", "prob_fake", "threshold", "faces", "provenance", "error")
MAX_STEM = 100
"""CAM file names keep at most this many characters of the input's name (file systems allow 255 bytes)."""


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@model_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option(
    "--cam-dir", type=click.Path(file_okay=False), default=None, help="Write Grad-CAM overlay PNGs here."
)
@click.option("--threads", type=click.IntRange(min=1), default=None, help="onnxruntime intra-op threads.")
@click.option(
    "--frames",
    type=click.IntRange(min=1),
    default=DEFAULT_FRAMES,
    show_default=True,
    help="Videos: moments sampled, evenly spaced in time.",
)
@click.option("--keyframes-only", is_flag=True, help="Videos: sample keyframes only (fast triage).")
@click.option(
    "--aggregation",
    type=click.Choice(sorted(AGGREGATIONS)),
    default=DEFAULT_AGGREGATION,
    show_default=True,
    help="Videos: how a face track's frame scores become its score.",
)
@c2pa_trust_option
@alpha_option
@tta_option
@trust_option
def predict(
    paths: tuple[str, ...],
    model: str | None,
    fmt: str,
    cam_dir: str | None,
    threads: int | None,
    frames: int,
    keyframes_only: bool,
    aggregation: str,
    c2pa_trust: str | None,
    alpha: float | None,
    tta: bool,
    trust: tuple[str, ...],
) -> None:
    """Say REAL, FAKE or UNSURE (with reasons) for each image or video (one row each; JSON adds a video's
    tracks and timeline). The provenance column says what an image's metadata declares (JSON: the full
    record). Exit 0 if all were analysed, 2 if some were rejected."""
    detector = load_detector(
        model, threads, c2pa=True, c2pa_trust=c2pa_trust, trust=trust, alpha=alpha, tta=tta
    )
    options = {"frames": frames, "keyframes_only": keyframes_only, "aggregation": aggregation}
    results = predict_files(detector, list(paths), **options)
    rows = [_row(r, detector.threshold, full=fmt == "json") for r in results]
    _print_rows(rows, fmt)
    for r in results:
        if isinstance(r, Rejected):
            click.echo(f"rejected: {r.message}", err=True)
    if cam_dir:
        _write_cams(results, Path(cam_dir))
    if any(isinstance(r, Rejected) for r in results):
        sys.exit(2)


def _row(result, threshold: float, full: bool) -> dict:
    if isinstance(result, VideoPrediction):
        return result.as_dict() if full else result.as_row()
    return result.as_row() if isinstance(result, Prediction) else result.as_row(threshold)


def _write_cams(results: list, folder: Path) -> None:
    """Overlay PNGs named after their inputs; the verdicts are printed before, so a write error loses none."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for index, result in enumerate(results):
            if isinstance(result, Prediction):
                picture = np.concatenate([result.view, result.overlay()], axis=1)
            elif isinstance(result, VideoPrediction) and result.most_fake is not None:
                picture = np.concatenate([result.most_fake.picture, result.most_fake.overlay()], axis=1)
            else:
                continue
            stem = Path(result.info.name or f"input{index}").stem[:MAX_STEM]
            Image.fromarray(picture).save(folder / f"{index:04d}_{stem}_cam.png")
    except OSError as err:
        raise click.ClickException(f"cannot write CAMs to {folder}: {err.strerror or err}") from None


def _print_rows(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    rows = [
        {
            **row,
            "faces": faces_text(row["faces"]),
            "reasons": reasons_text(row["reasons"]),
            "provenance": provenance_text(row.get("provenance")),
        }
        for row in rows
    ]
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\r\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    else:
        click.echo(_table(rows))


def _table(rows: list[dict]) -> str:
    cells = [[str(row[c]) if row[c] is not None else "" for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)
