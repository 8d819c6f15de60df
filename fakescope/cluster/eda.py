"""EDA on Dask: the dataset's images measured by the workers, a chunk of paths per task, a Parquet part each.

`fakescope.eda.stats.collect_stats` does everything else as on one machine (discovery, the cache, the table
and report); only `measure_files` runs on the cluster, so the workers must see the dataset at the same paths
(a shared file system). Each task writes its chunk's measurements (a few numbers per image, never the
pixels) as one part through the scan's machinery (a `PartsJob`: atomic, named by the chunk's paths and
their size and mtime), and the table is built from the parts, so a rerun into the same folder measures only
the chunks it has no part for; `complete()` then removes the parts of chunks no longer measured.

Example:
    >>> with dask_client(None, workers=2) as client, DaskMeasure(client, "eda/_dask_parts") as measure:
    ...     table = collect_stats("data/demo", measure=measure)
    ...     measure.complete()
    JobRecord(fakescope-eda/1: 2 partitions (120 rows), 0 reused, 2 computed, 0 stale parts removed)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
from distributed import Client

from fakescope.cluster.job_parts import PartsJob
from fakescope.eda.measures import SPECTRUM_BINS
from fakescope.eda.worker import FIELDS, Measurements, measure_files

TEXT = ("format", "mode", "error")
EDA_JOB = {"job": "fakescope-eda/1", "fields": list(FIELDS), "bins": SPECTRUM_BINS}


class DaskMeasure(PartsJob):
    """A `measure` for `collect_stats` that runs `measure_files` on the cluster, one part per chunk in
    `parts_dir`, results in order; a `PartsJob` (claims and locks `parts_dir`; `complete()` after the table).

    Raises:
        ReportError: `parts_dir` holds another job's parts, or another EDA run is writing it.
    """

    def __init__(self, client: Client, parts_dir: str | os.PathLike, in_flight: int | None = None) -> None:
        super().__init__(client, parts_dir, EDA_JOB, in_flight)

    def __call__(self, chunks: list[list[str]]) -> Iterator[Measurements]:
        return self.map(measure_files, chunks, encode=encode, decode=decode, key=file_key)


def file_key(path: str) -> str:
    """A path with its size and mtime, so a part is measured again when one of its files changes."""
    try:
        stat = os.stat(path)
    except OSError:
        return f"{path}\0"
    return f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}"


def encode(measured: Measurements, paths: list[str]) -> pa.Table:
    """A chunk's measurements as a table: its paths, one float64 column per field, the spectrum, the texts."""
    columns = {"path": pa.array([str(p) for p in paths], pa.string())}
    columns.update({name: pa.array(measured.values[:, i], pa.float64()) for i, name in enumerate(FIELDS)})
    flat = pa.array(np.ascontiguousarray(measured.spectra, np.float32).ravel(), pa.float32())
    columns["spectrum"] = pa.FixedSizeListArray.from_arrays(flat, SPECTRUM_BINS)
    for name, values in zip(TEXT, (measured.formats, measured.modes, measured.errors), strict=True):
        columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def decode(table: pa.Table) -> Measurements:
    """The `Measurements` a part holds."""
    values = np.column_stack([table.column(name).to_numpy() for name in FIELDS]).astype(np.float64)
    spectra = table.column("spectrum").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    spectra = spectra.astype(np.float32).reshape(table.num_rows, SPECTRUM_BINS)
    texts = [table.column(name).to_pylist() for name in TEXT]
    return Measurements(values.reshape(table.num_rows, len(FIELDS)), spectra, *texts)
