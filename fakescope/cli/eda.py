"""`fakescope eda DATA_DIR --out DIR`: measure a dataset and write the EDA table and report.

Example:
    $ fakescope eda data/140k --out reports/eda --sample 5000
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import click

from fakescope.extras import require_extra
from fakescope.runtime.errors import ReportError

CACHE_NAME = "eda-cache.parquet"
DASK_PARTS = "_dask_parts"
LOCAL_PARTITION, DASK_PARTITION = 64, 1000


@click.command("eda")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the table, report.html and PNGs.",
)
@click.option("--sample", type=click.IntRange(min=1), help="Measure only N images drawn at random (seeded).")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: one per CPU).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option(
    "--scheduler", default=None, help="Dask scheduler address (tcp://HOST:PORT); else a local cluster."
)
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    default=None,
    help=f"Images per task (per Parquet part with --engine dask).  "
    f"[default: {LOCAL_PARTITION}, {DASK_PARTITION} with --engine dask]",
)
def eda(
    data_dir: Path,
    out_dir: Path,
    sample: int | None,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    partition_size: int | None,
) -> None:
    """Statistics, figures and shortcut warnings for the real/fake dataset in DATA_DIR.

    With --engine dask the images are measured by Dask workers, which must see DATA_DIR at the same path and
    write one Parquet part per chunk under OUT_DIR/_dask_parts (a rerun measures only chunks without one;
    a complete run removes the parts of chunks it no longer has and records itself in _done.json).
    """
    with require_extra("eda"):
        from tqdm import tqdm

        from fakescope.data.layout import DatasetLayoutError
        from fakescope.eda.report import write_report
        from fakescope.eda.stats import collect_stats
    if scheduler and engine != "dask":
        raise click.BadParameter("needs --engine dask", param_hint="--scheduler")
    if partition_size is None:
        partition_size = DASK_PARTITION if engine == "dask" else LOCAL_PARTITION
    record = None
    with ExitStack() as stack:
        measure = None
        if engine == "dask":
            with require_extra("cluster"):
                from fakescope.cluster.client import ClusterError, dask_client
                from fakescope.cluster.eda import DaskMeasure
            try:
                client = stack.enter_context(dask_client(scheduler, workers or 2))
                measure = stack.enter_context(DaskMeasure(client, out_dir / DASK_PARTS))
            except (ClusterError, ReportError) as err:
                raise click.ClickException(str(err)) from None
        bar = stack.enter_context(tqdm(unit="img", desc="measuring", dynamic_ncols=True))
        cached: list[int] = []

        def progress(done: int, total: int) -> None:
            if not cached:
                cached.append(done)  # the first call counts the images found in the cache
            bar.total = total
            bar.update(done - bar.n)

        start = time.perf_counter()
        try:
            table = collect_stats(
                data_dir,
                sample=sample,
                workers=workers,
                cache=out_dir / CACHE_NAME,
                progress=progress,
                measure=measure,
                chunk_size=partition_size,
            )
            if measure is not None:
                record = measure.complete()
        except (DatasetLayoutError, OSError, ReportError) as err:
            raise click.ClickException(str(err)) from None
        seconds = time.perf_counter() - start
    errors = int((table["error"] != "").sum())
    measured = len(table) - (cached[0] if cached else 0)
    click.echo(
        f"{len(table):,} images ({errors:,} unreadable, {len(table) - measured:,} from the cache); "
        f"measured {measured:,} in {seconds:.1f} s ({measured / max(seconds, 1e-9):.0f} images/s)"
    )
    if record is not None:
        click.echo(f"dask: {record.summary}")
    report = write_report(table, out_dir, title=f"fakescope EDA: {data_dir}")
    click.echo(f"table:  {report.table}")
    click.echo(f"report: {report.html}")
    if report.pngs:
        click.echo(f"PNGs:   {len(report.pngs)} in {out_dir}")
    if report.png_note:
        click.echo(f"note:   {report.png_note}")
    for line in report.summary:
        click.echo(f"- {line}")
