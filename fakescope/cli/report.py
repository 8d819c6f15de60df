"""`fakescope report REPORT_DIR`: the summary of a Dask scan report, and optionally one CSV of its rows.

Example:
    $ fakescope report report/ --csv report.csv
    1000 files: 700 REAL, 280 FAKE, 8 UNSURE, 12 errors (complete)
"""

from __future__ import annotations

import click

from fakescope.extras import require_extra


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), default=None, help="Write every row here.")
def report(folder, csv_out) -> None:
    """Summarise a report folder written by `fakescope scan --engine dask` (files, verdicts, errors)."""
    with require_extra("cluster"):
        from fakescope.cluster import summarize, write_csv
    from fakescope.runtime.errors import ReportError

    try:
        summary = summarize(folder)
        if csv_out:
            write_csv(folder, csv_out)
    except ReportError as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:
        raise click.ClickException(f"cannot write {csv_out}: {err.strerror or err}") from None
    counts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(summary.verdicts.items()))
    state = "complete" if summary.complete else "incomplete: resume the scan with --resume"
    click.echo(f"{summary.files} files: {counts or 'no verdicts'}, {summary.errors} errors ({state})")
    if csv_out:
        click.echo(f"{summary.files} rows -> {csv_out}", err=True)
