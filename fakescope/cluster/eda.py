"""EDA on Dask: the dataset's images measured by the workers, a chunk of paths per task, a Parquet part each.

`fakescope.eda.stats.collect_stats` does everything else as on one machine (discovery, the cache, the table
and report); only `measure_files` runs on the cluster, so the workers must see the dataset at the same paths
(a shared file system). Each task writes its chunk's measurements (a few numbers per image, never the
pixels) as one part through the scan's machinery (`map_to_parts`: atomic, named by the chunk's paths and
their size and mtime), and the table is built from the parts, so a rerun into the same folder measures only
the chunks it has no part for.

Example:
    >>> with dask_client(None, workers=2) as client:
    ...     table = collect_stats("data/demo", measure=dask_measure(client, "eda/_dask_parts"))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import numpy as np
import pyarrow as pa
from distributed import Client

from fakescope.cluster.job_parts import map_to_parts
from fakescope.eda.measures import SPECTRUM_BINS
from fakescope.eda.worker import FIELDS, Measurements, measure_files

TEXT = ("format", "mode", "error")


def dask_measure(
    client: Client, parts_dir: str | os.PathLike
) -> Callable[[list[list[str]]], Iterator[Measurements]]:
    """A `measure` for `collect_stats` that runs `measure_files` on the cluster, one part per chunk in
    `parts_dir`, results in order."""

    def measure(chunks: list[list[str]]) -> Iterator[Measurements]:
        job = {"job": "fakescope-eda/1", "fields": list(FIELDS), "bins": SPECTRUM_BINS}
        return map_to_parts(
            client, measure_files, chunks, parts_dir, job=job, encode=encode, decode=decode, key=file_key
        )

    return measure


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
