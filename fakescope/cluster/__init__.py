"""Scale-out on Dask (the `cluster` extra): scan folders or object stores of millions of files on a cluster.

The runtime never imports this package; it imports the runtime. See `docs/cluster.md`.

Example:
    >>> from fakescope.cluster import scan_dask, summarize
    >>> scan_dask(None, "memory://photos", "report/", workers=2, processes=False)
    DaskScanSummary(25 rows in 1 parts (0 resumed), 2 rejected, 0 folders unreadable -> /work/report)
    >>> summarize("report/")
    ReportSummary(25 files: 12 FAKE, 11 REAL, 2 errors)
"""

from fakescope.cluster.engine import DaskScanSummary, scan_dask
from fakescope.cluster.plugin import DetectorPlugin, worker_detector
from fakescope.cluster.report import (
    ReportSummary,
    read_report,
    read_report_dask,
    report_parts,
    report_table,
    summarize,
    write_csv,
)
from fakescope.cluster.sources import Entry, Source

__all__ = [
    "DaskScanSummary",
    "DetectorPlugin",
    "Entry",
    "ReportSummary",
    "Source",
    "read_report",
    "read_report_dask",
    "report_parts",
    "report_table",
    "scan_dask",
    "summarize",
    "worker_detector",
    "write_csv",
]
