"""Walk a real-vs-fake dataset and measure every image: one small row per image, streamed over processes.

Discovery is `fakescope.data.layout.discover` (the same as training) and decoding is
`fakescope.runtime.load_image` (full resolution, no JPEG draft). Worker processes take chunks of paths and
return a few numbers per image, so memory stays flat whatever the dataset size, apart from the table itself
(under 1 kB a row). Column meanings: `fakescope.eda.table`.

Example:
    >>> table = collect_stats("data/140k", sample=2000, cache="eda-cache.parquet")
    >>> table.groupby("label").sharpness.median()
"""

from __future__ import annotations

import multiprocessing
import os
import random
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fakescope.data.layout import discover, text_path
from fakescope.eda.measures import SPECTRUM_BINS
from fakescope.eda.table import COLUMNS, SPECTRUM_COLUMNS, conform, read_table, table_path, write_table
from fakescope.eda.worker import FIELDS, Measurements, measure_files
from fakescope.runtime.spec import CLASS_FOLDERS

POOL_THRESHOLD = 512
"""Fewer images than this are measured in this process: starting worker processes would cost more."""

CHUNK = 64
"""Images per task sent to a worker (and per progress update)."""

SAMPLE_SEED = 0


def collect_stats(
    root: str | Path,
    *,
    sample: int | None = None,
    workers: int | None = None,
    cache: str | Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    measure: Callable[[list[list[str]]], Iterator[Measurements]] | None = None,
    chunk_size: int = CHUNK,
) -> pd.DataFrame:
    """Measure every image of the dataset at `root` (see `fakescope.eda.table` for the columns).

    Args:
        root: dataset folder, 140k layout or flat real/ + fake/.
        sample: measure only this many images, drawn at random (seeded, so reruns hit the cache).
            Defaults to None (all).
        workers: worker processes. Defaults to None (one per CPU); jobs under `POOL_THRESHOLD` images run in
            this process.
        cache: Parquet (or .csv) file of earlier rows, keyed by (path, file size, mtime); only new or changed
            files are measured and the file is updated. Rows with errors are always retried.
            Defaults to None (no cache).
        progress: called as `progress(done, total)` while images are measured (cached ones count as done).
        measure: measures chunks of paths, yielding one `Measurements` per chunk in order (e.g.
            `fakescope.cluster.eda.DaskMeasure(client, parts_dir)` on a Dask cluster). Defaults to None:
            `workers` local processes.
        chunk_size: images per chunk (per task, per progress update; per Parquet part on Dask).
            Defaults to `CHUNK` (64).

    Returns:
        One row per image, in discovery order; unreadable images have NaN measures and a one-line `error`.

    Raises:
        DatasetLayoutError: `root` is not a dataset folder.
    """
    if sample is not None and sample < 1:
        raise ValueError(f"`sample` must be >= 1. Received: sample={sample}")
    if workers is not None and workers < 1:
        raise ValueError(f"`workers` must be >= 1. Received: workers={workers}")
    if chunk_size < 1:
        raise ValueError(f"`chunk_size` must be >= 1. Received: chunk_size={chunk_size}")
    records = discover(root)
    if sample is not None and sample < len(records):
        keep = sorted(random.Random(SAMPLE_SEED).sample(range(len(records)), sample))
        records = [records[i] for i in keep]
    paths = [os.path.abspath(record.path) for record in records]
    sizes, mtimes = _stat_all(paths)
    rows = _Rows(len(paths))
    cache_file = table_path(cache) if cache is not None else None
    old = _read_cache(cache_file)
    done = rows.fill_from(old, paths, sizes, mtimes) if old is not None else np.zeros(len(paths), bool)
    todo = np.flatnonzero(~done)
    total, finished = len(paths), len(paths) - len(todo)
    if progress:
        progress(finished, total)
    chunks = [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]
    path_chunks = [[paths[i] for i in c] for c in chunks]
    measured_chunks = measure(path_chunks) if measure is not None else _measure_all(path_chunks, workers)
    for indices, measured in zip(chunks, measured_chunks, strict=True):
        rows.put(indices, measured)
        finished += len(indices)
        if progress:
            progress(finished, total)
    table = rows.frame(records, paths, sizes, mtimes)
    if cache_file is not None:
        _write_cache(table, old, cache_file)
    return table


class _Rows:
    """Column arrays filled a chunk at a time (no per-row pandas work)."""

    def __init__(self, n: int) -> None:
        self.values = np.full((n, len(FIELDS)), np.nan)
        self.spectra = np.full((n, SPECTRUM_BINS), np.nan, dtype=np.float32)
        self.text = {name: np.full(n, "", dtype=object) for name in ("format", "mode", "error")}

    def put(self, indices: np.ndarray, measured: Measurements) -> None:
        self.values[indices] = measured.values
        self.spectra[indices] = measured.spectra
        self.text["format"][indices] = measured.formats
        self.text["mode"][indices] = measured.modes
        self.text["error"][indices] = measured.errors

    def fill_from(
        self, old: pd.DataFrame, paths: list[str], sizes: np.ndarray, mtimes: np.ndarray
    ) -> np.ndarray:
        """Copy rows of `old` whose (path, size, mtime) match; returns which rows were filled."""
        old = old[old["error"] == ""].drop_duplicates(["path", "file_size", "mtime_ns"], keep="last")
        keys = pd.MultiIndex.from_arrays(
            [
                old["path"],
                old["file_size"].fillna(-2).astype("int64"),
                old["mtime_ns"].fillna(-2).astype("int64"),
            ]
        )
        position = keys.get_indexer(pd.MultiIndex.from_arrays([paths, sizes, mtimes]))
        hit = (position >= 0) & (sizes >= 0)
        source = position[hit]
        self.values[hit] = old[list(FIELDS)].to_numpy(dtype=np.float64)[source]
        self.spectra[hit] = old[list(SPECTRUM_COLUMNS)].to_numpy(dtype=np.float32)[source]
        for name, column in self.text.items():
            column[hit] = old[name].to_numpy(dtype=object)[source]
        return hit

    def frame(
        self, records: Sequence, paths: list[str], sizes: np.ndarray, mtimes: np.ndarray
    ) -> pd.DataFrame:
        data: dict[str, object] = {
            "split": [record.split for record in records],
            "label": [CLASS_FOLDERS[record.label] for record in records],
            "path": [text_path(path) for path in paths],
            "file_size": pd.arrays.IntegerArray(sizes, sizes < 0),
            "mtime_ns": pd.arrays.IntegerArray(mtimes, mtimes < 0),
            **self.text,
        }
        data.update({name: self.values[:, i] for i, name in enumerate(FIELDS)})
        data.update({name: self.spectra[:, i] for i, name in enumerate(SPECTRUM_COLUMNS)})
        return conform(pd.DataFrame({name: data[name] for name in COLUMNS}))


def _measure_all(chunks: list[list[str]], workers: int | None) -> Iterator[Measurements]:
    """`measure_files` of each chunk, in order; over a process pool when there is enough work."""
    workers = min(workers or os.cpu_count() or 1, len(chunks))
    if workers <= 1 or sum(map(len, chunks)) < POOL_THRESHOLD:
        yield from map(measure_files, chunks)
        return
    # spawn, not fork: safe beside the threads of Jupyter, Voila or TensorFlow.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(measure_files, chunks)


def _stat_all(paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """File sizes and mtimes (ns), -1 where the file cannot be stat'ed."""
    sizes = np.full(len(paths), -1, dtype=np.int64)
    mtimes = np.full(len(paths), -1, dtype=np.int64)
    for i, path in enumerate(paths):
        try:
            stat = os.stat(path)
        except OSError:
            continue
        sizes[i], mtimes[i] = stat.st_size, stat.st_mtime_ns
    return sizes, mtimes


def _read_cache(path: Path | None) -> pd.DataFrame | None:
    if path is None or not path.is_file():
        return None
    try:
        return read_table(path)
    except Exception as err:  # a damaged cache only costs a recomputation
        warnings.warn(f"ignoring the unreadable EDA cache {path} ({err}); measuring everything", stacklevel=3)
        return None


def _write_cache(table: pd.DataFrame, old: pd.DataFrame | None, path: Path) -> None:
    """Save `table` plus the old rows of files this run did not look at (other samples, other roots)."""
    if old is not None:
        seen = set(table["path"])
        table = pd.concat([table, old[~old["path"].isin(seen) & (old["error"] == "")]], ignore_index=True)
    write_table(table, path)
