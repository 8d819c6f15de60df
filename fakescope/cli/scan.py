"""`fakescope scan DIR`: every image file under DIR gets exactly one report row, result or error.

Example:
    $ fakescope scan photos/ --recursive --out report.csv --resume
"""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from fakescope.cli.common import c2pa_trust_option, load_detector, model_option
from fakescope.runtime.errors import ReportError
from fakescope.runtime.scan import REPORT_SUFFIXES, scan_folder
from fakescope.video.scan import VideoJudge


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@model_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default="scan-report.csv",
    show_default=True,
    help="Report file: .csv or .jsonl.",
)
@click.option("--recursive", "-r", is_flag=True, help="Descend into sub-folders.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="Decoding threads.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="onnxruntime intra-op threads; the decoding workers already keep the cores busy.",
)
@click.option("--resume", is_flag=True, help="Keep the report and skip paths it already holds.")
@c2pa_trust_option
@click.option("--frames", type=click.IntRange(min=1), default=32, show_default=True, help="Per video.")
def scan(folder, model, out, recursive, batch_size, workers, threads, resume, c2pa_trust, frames) -> None:
    """Scan a folder of images and videos into a CSV or JSONL report (one row per file).

    Exit 0 once every image file has its row (rejected files are rows with an error), 1 if the scan could not
    run or finish (an unusable model, a report that cannot be written or resumed, or that another scan is
    writing), 2 if some folder could not be listed (each has an error row saying why).
    """
    if Path(out).suffix.lower() not in REPORT_SUFFIXES:
        raise click.BadParameter("must end in .csv or .jsonl", param_hint="--out")
    detector = load_detector(model, threads, c2pa=True, c2pa_trust=c2pa_trust)
    bar = tqdm(unit="img", desc="scan", disable=None, dynamic_ncols=True)
    try:
        summary = scan_folder(
            detector,
            folder,
            out,
            recursive=recursive,
            batch_size=batch_size,
            workers=workers,
            resume=resume,
            progress=bar.update,
            on_start=lambda total: setattr(bar, "total", total),
            judges=[VideoJudge(detector, frames=frames)],
        )
    except ReportError as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:
        raise click.ClickException(f"cannot write the report {out}: {err.strerror or err}") from None
    finally:
        bar.close()
    click.echo(
        f"{summary.analysed} analysed, {summary.rejected} rejected, {summary.resumed} already in the report, "
        f"{summary.skipped_non_images} non-image files left out -> {summary.report}",
        err=True,
    )
    if summary.unreadable_folders:
        click.echo(f"{summary.unreadable_folders} folder(s) could not be listed: see their rows", err=True)
        raise SystemExit(2)
