"""Scan a folder of images into a report that survives being killed: one row per image file, errors included.

Decoding runs on a thread pool (Pillow releases the GIL) while the main thread runs the model on full batches.
Each batch of rows is appended with one write, flushed and fsync'ed; `resume=True` drops a torn last record
and skips every path already reported, so a killed scan continues where it stopped. Paths are reported
absolute, so a resumed scan matches them however the folder was named; file names that are not UTF-8 are
written back as the bytes they were (surrogateescape); JSONL rows are ASCII JSON, CSV is RFC 4180 (CRLF).

Example:
    >>> summary = scan_folder(Detector(), "photos/", "report.csv", recursive=True)
    >>> summary.analysed, summary.rejected
    (998, 2)
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError, ReportError
from fakescope.runtime.framing import Framed
from fakescope.runtime.images import SUPPORTED_EXTENSIONS
from fakescope.runtime.results import faces_text, reasons_text

REPORT_COLUMNS = (
    "path",
    "verdict",
    "reasons",
    "label",
    "prob_fake",
    "threshold",
    "width",
    "height",
    "format",
    "faces",
    "error",
)
REPORT_SUFFIXES = (".csv", ".jsonl")
_TEXT = {"encoding": "utf-8", "errors": "surrogateescape", "newline": ""}


@dataclass(frozen=True)
class ScanSummary:
    """What one scan run did (rows already in a resumed report are counted in `resumed`)."""

    analysed: int
    rejected: int
    resumed: int
    skipped_non_images: int
    report: Path


def find_image_files(folder: str | os.PathLike, recursive: bool = False) -> tuple[list[Path], int]:
    """Files with an image extension under `folder` (absolute, sorted), and the count of other files left out.

    A broken link with an image name is listed too, so its report row says why it could not be read.
    """
    folder = Path(folder).absolute()
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    candidates = folder.rglob("*") if recursive else folder.glob("*")
    images, others = [], 0
    for path in candidates:
        if path.is_dir():
            continue
        if path.suffix.lower() in SUPPORTED_EXTENSIONS:
            images.append(path)
        else:
            others += 1
    return sorted(images), others


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

    Raises:
        ReportError: `resume` was asked for a file that is not a fakescope report of this format.
    """
    report = Path(report)
    if report.suffix.lower() not in REPORT_SUFFIXES:
        raise ValueError(f"report must end in .csv or .jsonl. Received: {report.name}")
    if batch_size < 1 or workers < 1:
        raise ValueError(f"`batch_size` and `workers` must be >= 1. Received: {batch_size}, {workers}")
    paths, others = find_image_files(folder, recursive)
    done = read_reported_paths(report) if resume else set()
    todo = [p for p in paths if str(p) not in done]
    if on_start:
        on_start(len(todo))
    writer = _ReportWriter(report, append=resume and _has_records(report))
    analysed = rejected = 0
    # One extra thread writes and fsyncs each batch, so the disk's latency overlaps decoding and inference.
    with ThreadPoolExecutor(max_workers=workers) as pool, ThreadPoolExecutor(max_workers=1) as disk:
        pending_write: Future[None] | None = None
        for batch in _decoded_batches(pool, detector, todo, batch_size):
            rows = _analyse(detector, batch)
            if pending_write is not None:
                pending_write.result()
            pending_write = disk.submit(writer.write, rows)
            rejected += sum(1 for row in rows if row["error"])
            analysed += sum(1 for row in rows if not row["error"])
            if progress:
                progress(len(rows))
        if pending_write is not None:
            pending_write.result()
    return ScanSummary(analysed, rejected, len(paths) - len(todo), others, report)


def read_reported_paths(report: Path) -> set[str]:
    """Paths already in a report; a torn last record from a killed run is then cut off the file.

    Raises:
        ReportError: the file cannot be read, or is not a fakescope report of the format its suffix names (it
            is left as it was).
    """
    report = Path(report)
    if not report.exists():
        return set()
    jsonl = report.suffix.lower() == ".jsonl"
    try:
        data = report.read_bytes()
    except OSError as err:
        raise ReportError(f"cannot read the report {report}: {err.strerror or err}") from None
    complete = _complete_length(data, csv_quotes=not jsonl)
    text = data[:complete].decode("utf-8-sig", "surrogateescape")
    paths = _jsonl_paths(text, report) if jsonl else _csv_paths(text, report)
    if complete < len(data):
        with report.open("r+b") as handle:
            handle.truncate(complete)
    return paths


def _jsonl_paths(text: str, report: Path) -> set[str]:
    paths = set()
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict) or not isinstance(row.get("path"), str):
            raise ReportError(f"cannot resume: {report} is not a fakescope scan report (line {number})")
        paths.add(row["path"])
    return paths


def _csv_paths(text: str, report: Path) -> set[str]:
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if header is None:
        return set()
    if tuple(header) != REPORT_COLUMNS:
        raise ReportError(f"cannot resume: {report} is not a fakescope scan report (its header differs)")
    return {row[0] for row in rows if row}


def _has_records(report: Path) -> bool:
    return report.exists() and report.stat().st_size > 0


def _complete_length(data: bytes, csv_quotes: bool) -> int:
    """Bytes up to the end of the last whole record: a newline that, in CSV, is outside quotes."""
    end = len(data)
    while (cut := data.rfind(b"\n", 0, end)) >= 0:
        if not csv_quotes or data.count(b'"', 0, cut) % 2 == 0:
            return cut + 1
        end = cut
    return 0


_Decoded = tuple[Path, Framed | None, str]


def _decoded_batches(pool: ThreadPoolExecutor, detector: Detector, paths: list[Path], batch_size: int):
    """Batches of decoded images, decoding up to four batches ahead of the model."""
    pending: deque[Future[_Decoded]] = deque()
    queue: Iterator[Path] = iter(paths)
    ahead = batch_size * 4
    for path in queue:
        pending.append(pool.submit(_decode, detector, path))
        if len(pending) >= ahead:
            break
    batch: list[_Decoded] = []
    while pending:
        batch.append(pending.popleft().result())
        next_path = next(queue, None)
        if next_path is not None:
            pending.append(pool.submit(_decode, detector, next_path))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def _decode(detector: Detector, path: Path) -> _Decoded:
    try:
        return path, detector.prepare(path), ""
    except InvalidImageError as err:
        return path, None, str(err)
    except Exception as err:  # never lose a row: anything unexpected is recorded, not raised
        return path, None, f"{path.name}: unexpected error ({type(err).__name__}: {err})"


def _analyse(detector: Detector, batch: list[_Decoded]) -> list[dict]:
    framed = [item for _, item, _ in batch if item is not None]
    verdicts = iter(detector.judge(framed, with_cam=False) if framed else [])
    rows = []
    for path, item, error in batch:
        row = dict.fromkeys(REPORT_COLUMNS, "")
        row.update(path=str(path), threshold=round(detector.threshold, 6), error=error)
        if item is not None:
            result = next(verdicts)
            verdict = {key: value for key, value in result.as_row().items() if key in REPORT_COLUMNS}
            row.update(
                verdict,
                path=str(path),
                width=result.info.width,
                height=result.info.height,
                format=result.info.format,
                faces=faces_text(verdict["faces"]),
                reasons=reasons_text(verdict["reasons"]),
            )
        rows.append(row)
    return rows


class _ReportWriter:
    """Appends whole batches of rows with one write + flush + fsync each."""

    def __init__(self, path: Path, append: bool) -> None:
        self.path = path
        self.jsonl = path.suffix.lower() == ".jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not append:
            header = (
                "" if self.jsonl else self._csv_text([dict(zip(REPORT_COLUMNS, REPORT_COLUMNS, strict=True))])
            )
            self._append(header, mode="w")

    def write(self, rows: list[dict]) -> None:
        text = "".join(json.dumps(row) + "\n" for row in rows) if self.jsonl else self._csv_text(rows)
        self._append(text, mode="a")

    def _csv_text(self, rows: list[dict]) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\r\n")
        writer.writerows(rows)
        return buffer.getvalue()

    def _append(self, text: str, mode: str) -> None:
        with self.path.open(mode, **_TEXT) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
