"""`scan_dask`: the scan as Dask tasks, one partition of files per task, one Parquet part per partition.

The client only lists: it streams the source's keys into partitions, skips the parts a resumed report already
has, and keeps a bounded number of partitions in flight (twice the cluster's threads), so ten million keys
never sit in one list: a local folder's keys stream from `os.scandir` as they are read, an fsspec source's
one prefix at a time (fsspec lists a prefix whole). Workers read the files, run their own Detector
(`DetectorPlugin`) and write each part atomically. A worker killed mid-partition costs only that partition:
Dask runs it again elsewhere. A partition whose workers die every
time (Dask gives up after `distributed.scheduler.allowed-failures`) runs again at the end, one file per task
and alone, so only a file that kills workers itself gets an error row. A killed client loses nothing
written: `resume=True` skips every finished part. The report folder is locked against a second scan while
one writes it.

Example:
    >>> summary = scan_dask("models/fakescope-demo.onnx", "s3://bucket/photos", "report/", workers=4)
    >>> summary
    DaskScanSummary(1000000 rows in 1000 parts (0 resumed), 12 rejected, 0 folders unreadable -> report)
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

import pyarrow as pa
from distributed import KilledWorker, as_completed

from fakescope.cluster.client import dask_client
from fakescope.cluster.manifest import MANIFEST_NAME, Manifest
from fakescope.cluster.parts import (
    PART_PREFIX,
    PART_SUFFIX,
    part_name,
    partition_rows,
    remove_torn_parts,
    rows_to_table,
    run_partition,
    write_part,
)
from fakescope.cluster.plugin import DetectorPlugin
from fakescope.cluster.sources import Entry, Source
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import ReportError
from fakescope.runtime.report_lock import lock_folder
from fakescope.runtime.scan_rows import error_row
from fakescope.video.sampler import DEFAULT_FRAMES
from fakescope.video.scan import VideoJudge

DIED = "a Dask worker died each time it analysed this file"


@dataclass(frozen=True)
class DaskScanSummary:
    """What one Dask scan run did: rows and rejections written now, and parts kept from an earlier run."""

    rows: int
    rejected: int
    parts: int
    resumed_parts: int
    report: Path
    unreadable_folders: int = 0

    def __repr__(self) -> str:
        return (
            f"DaskScanSummary({self.rows} rows in {self.parts} parts ({self.resumed_parts} resumed), "
            f"{self.rejected} rejected, {self.unreadable_folders} folders unreadable -> {self.report})"
        )


def scan_dask(
    model: str | os.PathLike | None,
    source: str | os.PathLike,
    report_dir: str | os.PathLike,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    recursive: bool = False,
    partition_size: int = 1000,
    batch_size: int = 32,
    resume: bool = False,
    threshold: float | None = None,
    alpha: float | None = None,
    tta: bool = False,
    storage_options: dict | None = None,
    c2pa: bool = False,
    c2pa_trust: str | None = None,
    videos: bool = False,
    frames: int = DEFAULT_FRAMES,
    processes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> DaskScanSummary:
    """Scan every image file under `source` on a Dask cluster into a folder of Parquet parts.

    Args:
        model: ONNX model path. Defaults to the bundled model.
        source: a local folder or an fsspec URL (`file://`, `memory://`, `s3://`, ...).
        report_dir: the report folder (on a file system every worker can write).
        scheduler: address of a running scheduler (`tcp://HOST:PORT`). Defaults to None: a `LocalCluster`.
        workers: worker processes of the `LocalCluster` (one thread each). Defaults to 2.
        recursive: descend into sub-folders. Defaults to False.
        partition_size: files per partition (per task, per Parquet part). Defaults to 1000.
        batch_size: images per model run on a worker. Defaults to 32.
        resume: keep the parts of an earlier run of the same scan. Defaults to False (start over).
        threshold: decision threshold overriding the card's. Defaults to the card's.
        alpha: conformal error level overriding the card's (`Detector(alpha=...)`). Defaults to the card's.
        tta: judge test-time augmented copies too (`Detector(tta=True)`). Defaults to False.
        storage_options: options for the source's fsspec back-end (credentials, endpoint, ...).
        c2pa: validate C2PA manifests on the workers when the provenance extra is installed (as
            `Detector(c2pa=...)`, which `fakescope scan` turns on). Defaults to False.
        c2pa_trust: PEM text of the C2PA signers to trust. Defaults to None.
        videos: also scan the video files of a local source, one row each, as the thread engine's
            `VideoJudge` (which `fakescope scan` uses) does. Defaults to False (images only).
        frames: moments sampled per video. Defaults to 32.
        processes: LocalCluster workers as processes (True) or threads of this process. Defaults to True.
        progress: called with the number of rows of each part as it is written.

    Raises:
        ModelError: the model cannot be used (checked here before any worker starts).
        ReportError: the folder is being written by another scan, is not a report folder, or (with
            `resume`) holds a report made by another model, source, partitioning or judging options.
    """
    if partition_size < 1 or batch_size < 1 or workers < 1:
        raise ValueError(
            "`partition_size`, `batch_size` and `workers` must be >= 1. "
            f"Received: {partition_size}, {batch_size}, {workers}"
        )
    judging = {"threshold": threshold, "alpha": alpha, "tta": tta}
    checked = Detector(model, threads=1, **judging)
    plugin = DetectorPlugin.from_file(checked.model_path, judging=judging, c2pa=c2pa, c2pa_trust=c2pa_trust)
    src = Source.parse(source, storage_options)
    folder = Path(report_dir).absolute()
    manifest = Manifest(plugin.sha256, src.url, recursive, partition_size, judging={**judging, "c2pa": c2pa})
    with _locked(folder):
        finished = _prepare(folder, manifest, resume)
        with dask_client(scheduler, workers, processes) as client:
            client.register_plugin(plugin)
            entries = src.entries(recursive)
            if videos and src.local:
                found = VideoJudge(checked, frames=frames).files(Path(src.root), recursive)
                entries = chain(entries, (Entry(str(path), kind="video") for path in found))
            plan, counts = _run(
                client,
                src,
                folder,
                _partitions(entries, partition_size),
                finished,
                (batch_size, frames),
                checked.threshold,
                progress,
            )
        for stale in _part_files(folder) - set(plan):
            (folder / stale).unlink()
        remove_torn_parts(folder)
        manifest.completed(plan, counts).write(folder)
    return DaskScanSummary(
        counts["rows"], counts["rejected"], len(plan), counts["resumed"], folder, counts["unlisted"]
    )


def _partitions(entries: Iterable[Entry], size: int) -> Iterator[list[Entry]]:
    iterator = iter(entries)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _run(client, src, folder, partitions, finished, options, threshold, progress):
    plan: list[str] = []
    counts = {"rows": 0, "rejected": 0, "resumed": 0, "unlisted": 0}
    in_flight = 2 * max(1, sum(client.nthreads().values()))
    pending = as_completed(loop=client.loop)
    tag = hashlib.sha256(str(folder).encode()).hexdigest()[:8]
    entries_of = {}

    suspects: list[tuple[str, list[Entry]]] = []

    def count(done: dict) -> None:
        counts["rows"] += done["rows"]
        counts["rejected"] += done["errors"]
        if progress:
            progress(done["rows"])

    def collect(until: int) -> None:
        while pending.count() > until:
            future = next(pending)
            entries = entries_of.pop(future.key)
            try:
                count(future.result())
            except (
                KilledWorker
            ):  # its workers kept dying: this partition, or one queued beside it, kills them
                suspects.append((future.key, entries))

    for index, entries in enumerate(partitions):
        name = part_name(index, entries)
        plan.append(name)
        counts["unlisted"] += sum(1 for entry in entries if entry.error)
        if name in finished:
            counts["resumed"] += 1
            continue
        key = f"fakescope-scan-{tag}/{name}"
        entries_of[key] = entries
        pending.add(client.submit(run_partition, entries, src, str(folder / name), *options, key=key))
        collect(in_flight)
    collect(0)
    for key, entries in suspects:
        count(_one_by_one(client, key, entries, src, folder / key.split("/", 1)[1], options, threshold))
    return plan, counts


def _one_by_one(client, key, entries, src, path, options, threshold) -> dict:
    """A partition Dask gave up on, its files run one at a time with nothing else on the cluster, so only a
    file that itself kills every worker it reaches gets an error row; then its part, written here."""
    tables = []
    for number, entry in enumerate(entries):
        future = client.submit(partition_rows, [entry], src, *options, key=f"{key}/file-{number}", pure=False)
        try:
            tables.append(future.result())
        except KilledWorker:
            tables.append(rows_to_table([error_row(entry.key, threshold, f"{_name(entry.key)}: {DIED}")]))
    table = pa.concat_tables(tables)
    write_part(table, path)
    return {"rows": table.num_rows, "errors": sum(1 for error in table.column("error").to_pylist() if error)}


def _name(key: str) -> str:
    return posixpath.basename(key.rstrip("/")) or key


def _prepare(folder: Path, manifest: Manifest, resume: bool) -> set[str]:
    """The finished parts to keep; a fresh start empties an earlier report of ours, never anything else."""
    parts = _part_files(folder)
    has_manifest = (folder / MANIFEST_NAME).exists()
    if has_manifest:
        found = Manifest.read(folder)
        if resume:
            manifest.check_resumable(found, folder)
    else:
        others = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
        if others:
            raise ReportError(f"{folder} is not empty and not a fakescope report folder (no {MANIFEST_NAME})")
    if not resume:
        for part in parts:
            (folder / part).unlink()
        parts = set()
    manifest.write(folder)
    return parts


def _part_files(folder: Path) -> set[str]:
    return {p.name for p in folder.glob(f"{PART_PREFIX}*{PART_SUFFIX}")}


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    fd = lock_folder(folder)
    try:
        yield
    finally:
        os.close(fd)
