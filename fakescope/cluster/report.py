"""Reading a Dask report folder: its rows as a pandas DataFrame or one CSV, and a short summary.

Only the parts the manifest lists are read once the scan is complete, so every file appears exactly once; an
incomplete report (a scan still running, or killed) is read from the parts written so far and says so.

Example:
    >>> summary = summarize(read_report("report/"))
    >>> summary
    ReportSummary(1000 files: 700 REAL, 280 FAKE, 8 UNSURE, 12 errors)
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fakescope.cluster.manifest import Manifest
from fakescope.cluster.parts import PART_PREFIX, PART_SUFFIX, SCHEMA, original_text
from fakescope.runtime.cells import spreadsheet_safe
from fakescope.runtime.errors import ReportError


@dataclass(frozen=True)
class ReportSummary:
    """Files in a report, how many got each verdict, how many are errors, and whether the scan completed."""

    files: int
    verdicts: dict
    errors: int
    complete: bool

    def __repr__(self) -> str:
        counts = ", ".join(f"{count} {verdict}" for verdict, count in sorted(self.verdicts.items()))
        state = "" if self.complete else ", incomplete"
        return f"ReportSummary({self.files} files: {counts or 'no verdicts'}, {self.errors} errors{state})"


def report_table(folder: str | os.PathLike) -> tuple[pa.Table, Manifest]:
    """All rows of a report folder as one Arrow table, with the folder's manifest.

    Raises:
        ReportError: the folder is not a fakescope report folder, or one of its parts is missing or damaged.
    """
    folder = Path(folder)
    manifest = Manifest.read(folder)
    names = (
        manifest.parts
        if manifest.complete
        else sorted(p.name for p in folder.glob(f"{PART_PREFIX}*{PART_SUFFIX}"))
    )
    tables = [_read_part(folder / name) for name in names]
    return (pa.concat_tables(tables) if tables else SCHEMA.empty_table()), manifest


def _read_part(path: Path) -> pa.Table:
    where = f"{path.parent}: part {path.name}"
    try:
        return pq.read_table(path, schema=SCHEMA)
    except FileNotFoundError:
        raise ReportError(f"{where} is missing: resume the scan with --resume to write it again") from None
    except (OSError, pa.ArrowException) as err:
        raise ReportError(
            f"{where} is damaged ({type(err).__name__}): delete it and resume the scan with --resume"
        ) from None


def read_report(folder: str | os.PathLike):
    """The report's rows as a pandas DataFrame (nullable dtypes: empty cells are <NA>). Text is UTF-8: a cell
    holding a file name's non-UTF-8 byte or a backslash is escaped (`fakescope.cluster.parts.original_text`
    gives the name back as `os.fsdecode` does).

    Raises:
        ReportError: the folder is not a fakescope report folder.
    """
    import pandas as pd

    table, _ = report_table(folder)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def summarize(folder: str | os.PathLike) -> ReportSummary:
    """Counts of a report folder: files, verdicts, errors."""
    table, manifest = report_table(folder)
    errors = [bool(error) for error in table.column("error").to_pylist()]
    verdict_column = "verdict" if "verdict" in table.column_names else "label"
    verdicts = Counter(
        v for v, failed in zip(table.column(verdict_column).to_pylist(), errors, strict=True) if not failed
    )
    return ReportSummary(table.num_rows, dict(verdicts), sum(errors), manifest.complete)


def write_csv(folder: str | os.PathLike, out: str | os.PathLike) -> int:
    """Write the report as one CSV, in the thread engine's format (spreadsheet-safe cells, a file name's
    non-UTF-8 bytes as they were); returns rows."""
    table, _ = report_table(folder)
    with open(out, "w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=10_000):
            for row in batch.to_pylist():
                writer.writerow([_csv_cell(value) for value in row.values()])
    return table.num_rows


def _csv_cell(value):
    if value is None:
        return ""
    return spreadsheet_safe(original_text(value)) if isinstance(value, str) else value
