"""Reading a Dask report folder: its rows as a pandas or a lazy Dask DataFrame, or one CSV, and a short
summary.

Only the parts the manifest lists are read once the scan is complete, so every file appears exactly once; an
incomplete report (a scan still running, or killed) is read from the parts written so far and says so. The
summary and the CSV read one part at a time, so a report of 100 million rows needs one part's memory.

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
import pyarrow.compute as pc
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


def report_parts(folder: str | os.PathLike) -> tuple[list[Path], Manifest]:
    """The part files holding a report's rows, in order, with the folder's manifest: the manifest's list once
    the scan is complete, else the parts written so far.

    Raises:
        ReportError: the folder is not a fakescope report folder.
    """
    folder = Path(folder)
    manifest = Manifest.read(folder)
    if manifest.complete:
        return [folder / name for name in manifest.parts], manifest
    return sorted(folder.glob(f"{PART_PREFIX}*{PART_SUFFIX}")), manifest


def report_table(folder: str | os.PathLike) -> tuple[pa.Table, Manifest]:
    """All rows of a report folder as one Arrow table, with the folder's manifest (in memory: for a report
    of millions of rows use `read_report_dask`, or `summarize` and `write_csv`, which read a part at a time).

    Raises:
        ReportError: the folder is not a fakescope report folder, or one of its parts is missing or damaged.
    """
    paths, manifest = report_parts(folder)
    tables = [_read_part(path) for path in paths]
    return (pa.concat_tables(tables) if tables else SCHEMA.empty_table()), manifest


def _read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    where = f"{path.parent}: part {path.name}"
    try:
        return pq.read_table(path, schema=SCHEMA, columns=columns)
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


def read_report_dask(folder: str | os.PathLike):
    """The report's rows as a lazy Dask DataFrame, one partition per part (Arrow-backed dtypes, as
    `read_report`): for reports too large for one machine's memory.

    Example:
        >>> frame = read_report_dask("report/")
        >>> frame[frame.verdict == "FAKE"].path.compute()

    Raises:
        ReportError: the folder is not a fakescope report folder, or one of its parts is missing.
    """
    import dask.dataframe as dd
    import pandas as pd

    paths, _ = report_parts(folder)
    if not paths:
        return dd.from_pandas(SCHEMA.empty_table().to_pandas(types_mapper=pd.ArrowDtype), npartitions=1)
    missing = next((path for path in paths if not path.is_file()), None)
    if missing is not None:
        _read_part(missing)  # raises the one-line ReportError
    paths = [str(path) for path in paths]
    return dd.read_parquet(paths, split_row_groups=False, arrow_to_pandas={"types_mapper": pd.ArrowDtype})


def summarize(folder: str | os.PathLike) -> ReportSummary:
    """Counts of a report folder: files, verdicts, errors (read a part, and two columns, at a time)."""
    paths, manifest = report_parts(folder)
    verdicts: Counter = Counter()
    files = errors = 0
    for path in paths:
        part = _read_part(path, ["verdict", "error"])
        failed = pc.fill_null(pc.not_equal(part.column("error"), ""), False)
        shown = pc.value_counts(pc.filter(part.column("verdict"), pc.invert(failed)))
        verdicts.update({item["values"]: item["counts"] for item in shown.to_pylist()})
        files, errors = files + part.num_rows, errors + (pc.sum(failed).as_py() or 0)
    return ReportSummary(files, dict(verdicts), errors, manifest.complete)


def write_csv(folder: str | os.PathLike, out: str | os.PathLike) -> int:
    """Write the report as one CSV, in the thread engine's format (spreadsheet-safe cells, a file name's
    non-UTF-8 bytes as they were), a part at a time; returns rows."""
    paths, _ = report_parts(folder)
    rows = 0
    with open(out, "w", encoding="utf-8", errors="surrogateescape", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(SCHEMA.names)
        for path in paths:
            part = _read_part(path)
            for batch in part.to_batches(max_chunksize=10_000):
                for row in batch.to_pylist():
                    writer.writerow([_csv_cell(value) for value in row.values()])
            rows += part.num_rows
    return rows


def _csv_cell(value):
    if value is None:
        return ""
    return spreadsheet_safe(original_text(value)) if isinstance(value, str) else value
