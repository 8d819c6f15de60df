"""`fakescope scan SOURCE`: every image file under SOURCE gets exactly one report row, result or error.

Example:
    $ fakescope scan photos/ --recursive --out report.csv --resume
    $ fakescope scan s3://bucket/photos -r --engine dask --scheduler tcp://10.0.0.5:8786 --out report/
"""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from fakescope.cli.common import (
    alpha_option,
    c2pa_checker,
    c2pa_trust_option,
    load_detector,
    model_option,
    tta_option,
)
from fakescope.extras import require_extra
from fakescope.runtime.errors import FakescopeError, ReportError
from fakescope.runtime.scan import REPORT_SUFFIXES, scan_folder
from fakescope.video.scan import VideoJudge


@click.command()
@click.argument("source")
@model_option
@click.option(
    "--out",
    default=None,
    help="Report: a .csv or .jsonl file (thread engine; default scan-report.csv), a folder (dask engine).",
)
@click.option("--recursive", "-r", is_flag=True, help="Descend into sub-folders.")
@click.option("--engine", type=click.Choice(["thread", "dask"]), default="thread", show_default=True)
@click.option(
    "--scheduler", default=None, help="Dask scheduler address (tcp://HOST:PORT); else a local cluster."
)
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Decoding threads (thread engine) or local worker processes (dask engine without --scheduler).",
)
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Files per Dask task and Parquet part.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="onnxruntime intra-op threads; the decoding workers already keep the cores busy.",
)
@click.option("--resume", is_flag=True, help="Keep the report and skip what it already holds.")
@c2pa_trust_option
@click.option("--frames", type=click.IntRange(min=1), default=32, show_default=True, help="Per video.")
@alpha_option
@tta_option
def scan(
    source, model, out, recursive, engine, scheduler, batch_size, workers, partition_size, threads, resume,
    c2pa_trust, frames, alpha, tta,
) -> None:  # fmt: skip
    """Scan a folder of images and videos into a report, one row per file (with --engine dask: on a Dask
    cluster, from a folder or an fsspec URL such as s3://bucket/photos, into a folder of Parquet parts).

    Exit 0 once every image file has its row (rejected files are rows with an error), 1 if the scan could not
    run or finish (an unusable model, a report that cannot be written or resumed, or that another scan is
    writing), 2 if some folder could not be listed (each has an error row saying why).
    """
    if engine == "dask":
        c2pa_checker(c2pa_trust)  # refuses an unreadable PEM, or one without the provenance extra, right here
        anchors = Path(c2pa_trust).read_text(encoding="ascii") if c2pa_trust else None
        options = {"scheduler": scheduler, "workers": workers, "recursive": recursive, "resume": resume}
        options |= {"partition_size": partition_size, "batch_size": batch_size, "frames": frames}
        options |= {"alpha": alpha, "tta": tta}
        _scan_dask(source, model, out, c2pa=True, c2pa_trust=anchors, videos=True, **options)
        return
    if scheduler:
        raise click.BadParameter("needs --engine dask", param_hint="--scheduler")
    out = out or "scan-report.csv"
    if Path(out).suffix.lower() not in REPORT_SUFFIXES:
        raise click.BadParameter("must end in .csv or .jsonl", param_hint="--out")
    if not Path(source).is_dir():
        raise click.ClickException(f"{source} is not a folder (URLs need --engine dask)")
    detector = load_detector(model, threads, c2pa=True, c2pa_trust=c2pa_trust, alpha=alpha, tta=tta)
    bar = tqdm(unit="img", desc="scan", disable=None, dynamic_ncols=True)
    try:
        summary = scan_folder(
            detector,
            source,
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


def _scan_dask(source: str, model: str | None, out: str | None, **options) -> None:
    with require_extra("cluster"):
        from fakescope.cluster import scan_dask
    if not out:
        raise click.BadParameter("give the report folder for --engine dask", param_hint="--out")
    bar = tqdm(unit="img", desc="scan", disable=None, dynamic_ncols=True)
    try:
        summary = scan_dask(model, source, out, progress=bar.update, **options)
    except (FakescopeError, NotADirectoryError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:
        raise click.ClickException(f"cannot write the report {out}: {err.strerror or err}") from None
    finally:
        bar.close()
    click.echo(repr(summary), err=True)
    if summary.unreadable_folders:
        click.echo(f"{summary.unreadable_folders} folder(s) could not be listed: see their rows", err=True)
        raise SystemExit(2)
