"""Scan a folder of images into a report that survives being killed: one row per image file, errors included.

Decoding runs on a thread pool (Pillow releases the GIL) while the main thread runs the model on full batches.
The report is locked against a second scan (`ReportFile`); each batch of rows is appended with one write,
flushed and fsync'ed; `resume=True` proves the file is a report, drops a torn last record and skips every path
already reported, so a killed scan continues where it stopped. Paths are reported absolute, so a resumed scan
matches them however the folder was named; file names that are not UTF-8 are written back as the bytes they
were (surrogateescape); JSONL rows are ASCII JSON, CSV is RFC 4180 (CRLF) with spreadsheet-safe cells. A
folder that cannot be listed gets an error row of its own.

Example:
    >>> summary = scan_folder(Detector("model.onnx"), "data/demo", "scan.csv", recursive=True)
    >>> summary.analysed, summary.rejected
    (12, 0)
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fakescope.runtime.detector import Detector
from fakescope.runtime.listing import Listing, find_image_files
from fakescope.runtime.report_file import REPORT_COLUMNS, REPORT_SUFFIXES, ReportFile, read_reported_paths
from fakescope.runtime.scan_rows import Decoded, analyse, decode, error_row

__all__ = [
    "REPORT_COLUMNS",
    "REPORT_SUFFIXES",
    "FileJudge",
    "Listing",
    "ScanSummary",
    "find_image_files",
    "read_reported_paths",
    "scan_folder",
]


@dataclass(frozen=True)
class ScanSummary:
    """What one scan run did (rows already in a resumed report are counted in `resumed`)."""

    analysed: int
    rejected: int
    resumed: int
    skipped_non_images: int
    report: Path
    unreadable_folders: int = 0


class FileJudge(Protocol):
    """Judges files the image pipeline does not read (videos: `fakescope.video.scan.VideoJudge`).

    `files` lists its files under a folder (absolute, sorted); `row` gives one report row per file (the
    `REPORT_COLUMNS`) and never raises: a file it cannot analyse gets its error in the row.
    """

    def files(self, folder: Path, recursive: bool) -> list[Path]: ...

    def row(self, path: Path) -> dict: ...


def scan_folder(
    detector: Detector,
    folder: str | os.PathLike,
    report: str | os.PathLike,
    *,
    recursive: bool = False,
    batch_size: int = 32,
    workers: int = 2,
    resume: bool = False,
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    judges: Sequence[FileJudge] = (),
) -> ScanSummary:
    """Analyse every image file under `folder` and append one row per file to `report` (.csv or .jsonl).

    Args:
        detector: the model to run.
        folder: folder to scan.
        report: output path; its suffix picks the format.
        recursive: descend into sub-folders. Defaults to False.
        batch_size: images per model run. Defaults to 32.
        workers: decoding threads. Defaults to 2.
        resume: keep an existing report and skip the paths it already holds. Defaults to False (overwrite).
        progress: called with the number of rows written after each batch.
        on_start: called once with the number of files still to scan.
        judges: more kinds of files to report, one row each, written as each is judged (so resumable).
            Defaults to none (images only).

    Raises:
        ReportError: another scan is writing `report`, or `resume` was asked for a file that is not a
            fakescope report of this format.
    """
    report = Path(report)
    if report.suffix.lower() not in REPORT_SUFFIXES:
        raise ValueError(f"report must end in .csv or .jsonl. Received: {report.name}")
    if batch_size < 1 or workers < 1:
        raise ValueError(f"`batch_size` and `workers` must be >= 1. Received: {batch_size}, {workers}")
    with ReportFile(report, resume=resume) as writer:
        listing = find_image_files(folder, recursive)
        done = writer.reported
        todo = [p for p in listing.images if str(p) not in done]
        judged = [(j, p) for j in judges for p in j.files(Path(folder).absolute(), recursive)]
        judged_todo = [(j, p) for j, p in judged if str(p) not in done]
        if on_start:
            on_start(len(todo) + len(judged_todo))
        failed = [error_row(str(u.folder), detector.threshold, u.reason) for u in listing.unreadable]
        failed = [row for row in failed if row["path"] not in done]
        if failed:
            writer.write(failed)
        analysed = rejected = 0
        # One extra thread writes and fsyncs each batch: the disk's latency overlaps decoding and inference.
        with ThreadPoolExecutor(max_workers=workers) as pool, ThreadPoolExecutor(max_workers=1) as disk:
            pending_write: Future[None] | None = None
            for batch in _decoded_batches(pool, detector, todo, batch_size):
                rows = analyse(detector, batch)
                if pending_write is not None:
                    pending_write.result()
                pending_write = disk.submit(writer.write, rows)
                rejected += sum(1 for row in rows if row["error"])
                analysed += sum(1 for row in rows if not row["error"])
                if progress:
                    progress(len(rows))
            if pending_write is not None:
                pending_write.result()
        for judge, path in judged_todo:
            row = judge.row(path)
            writer.write([row])
            rejected, analysed = rejected + bool(row["error"]), analysed + (not row["error"])
            if progress:
                progress(1)
    resumed = len(listing.images) + len(judged) - len(todo) - len(judged_todo)
    others = max(0, listing.others - len(judged))
    return ScanSummary(analysed, rejected, resumed, others, report, len(listing.unreadable))


def _decoded_batches(pool: ThreadPoolExecutor, detector: Detector, paths: list[Path], batch_size: int):
    """Batches of decoded images, decoding up to four batches ahead of the model."""
    pending: deque[Future[Decoded]] = deque()
    queue: Iterator[Path] = iter(paths)
    ahead = batch_size * 4
    for path in queue:
        pending.append(pool.submit(decode, detector, path))
        if len(pending) >= ahead:
            break
    batch: list[Decoded] = []
    while pending:
        batch.append(pending.popleft().result())
        next_path = next(queue, None)
        if next_path is not None:
            pending.append(pool.submit(decode, detector, next_path))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch
