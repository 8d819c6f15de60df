"""A scan report held open under an exclusive lock: what it already holds, and appends of whole batches.

Resuming never modifies a file before proving it is one of fakescope's reports: a CSV must start with the
exact header (a UTF-8 byte order mark allowed) and every record must have one cell per column; a JSONL report
must hold one JSON object with the report's keys per line. Only then is a torn last record (a killed run's
partial write, at most one record's worth of cells) cut off. Anything else is refused, the file left byte for
byte as it was. Checking is one linear pass over the file, read in chunks: a report of any size is resumed
in memory for its paths, never for its whole text.

Example:
    >>> with ReportFile("report.csv", resume=True) as report:     # a new report: nothing reported yet
    ...     len(report.reported)
    0
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from fakescope.runtime.cells import spreadsheet_safe
from fakescope.runtime.errors import ReportError
from fakescope.runtime.report_lock import hold_exclusive
from fakescope.runtime.results import provenance_text

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
    "provenance",
    "error",
)
REPORT_SUFFIXES = (".csv", ".jsonl")
MAX_CELL_CHARS = 65536
"""The longest cell a report of ours holds (a path is at most 4096 bytes; quoting or escaping grows it)."""

_BOM = b"\xef\xbb\xbf"
_CSV_HEADER = ",".join(REPORT_COLUMNS).encode()
_JSONL_START = b'{"path": '
_ENCODING = {"encoding": "utf-8", "errors": "surrogateescape"}
_CHUNK = 1 << 20
_MAX_TORN_BYTES = len(REPORT_COLUMNS) * (4 * MAX_CELL_CHARS + 3)
"""The most bytes a torn last record can hold: every cell at its longest, four bytes a character."""
_MAX_JSONL_LINE = 1 << 24
"""The longest JSONL row read back (16 MiB: far beyond any row, so a foreign file is never read whole)."""


class ReportFile:
    """`path` opened for appending and locked against other scans; `reported` holds the paths already in it.

    Args:
        path: a .csv or .jsonl report (created when missing).
        resume: keep what the file holds (after proving it is a report); otherwise it is emptied.

    Raises:
        ReportError: another scan holds the report, or `resume` found a file that is not a fakescope report
            of this format (it is left unchanged).
        OSError: the file cannot be opened or written.
    """

    def __init__(self, path: str | os.PathLike, resume: bool) -> None:
        self.path = Path(path)
        self.jsonl = self.path.suffix.lower() == ".jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            if not stat.S_ISREG(os.fstat(self._fd).st_mode):
                raise ReportError(f"{self.path} is not a regular file")
            hold_exclusive(self._fd, self.path)
            self.reported = self._take_over() if resume else set()
            if not resume or os.fstat(self._fd).st_size == 0:
                os.ftruncate(self._fd, 0)
                if not self.jsonl:
                    self._append(_csv_text([REPORT_COLUMNS]))
        except BaseException:
            os.close(self._fd)
            raise

    def __enter__(self) -> ReportFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReportFile({str(self.path)!r}, {len(self.reported)} paths reported)"

    def write(self, rows: list[dict]) -> None:
        """Append whole rows with one write, then flush them to disk (CSV cells are spreadsheet-safe; a
        record such as the provenance is its full JSON in JSONL and its summary text in CSV)."""
        if self.jsonl:
            self._append("".join(json.dumps(row) + "\n" for row in rows))
        else:
            self._append(
                _csv_text([[spreadsheet_safe(text_cell(row[c])) for c in REPORT_COLUMNS] for row in rows])
            )

    def close(self) -> None:
        """Release the lock and the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _append(self, text: str) -> None:
        data = memoryview(text.encode(**_ENCODING))
        while data:
            data = data[os.write(self._fd, data) :]
        os.fsync(self._fd)

    def _take_over(self) -> set[str]:
        size = os.fstat(self._fd).st_size
        check = _jsonl_report if self.jsonl else _csv_report
        try:
            complete, paths = check(self._fd, size, self.path)
        except OSError as err:
            raise ReportError(f"cannot read the report {self.path}: {err.strerror or err}") from None
        if complete < size:
            os.ftruncate(self._fd, complete)
        return paths


def read_reported_paths(report: str | os.PathLike) -> set[str]:
    """Paths already in a report (none when it does not exist); a torn last record is then cut off the file.

    Raises:
        ReportError: the file is locked by a running scan, cannot be read, or is not a fakescope report of the
            format its suffix names (it is left as it was).
    """
    if not Path(report).exists():
        return set()
    try:
        with ReportFile(report, resume=True) as opened:
            return opened.reported
    except OSError as err:
        raise ReportError(f"cannot read the report {report}: {err.strerror or err}") from None


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


class _Span(io.RawIOBase):
    """Bytes `start` to `end` of an open file, read with `pread` (the descriptor's offset is left alone)."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self.fd, self.position, self.end = fd, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = os.pread(self.fd, min(len(buffer), self.end - self.position), self.position)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _reader(fd: int, start: int, end: int) -> io.BufferedReader:
    return io.BufferedReader(_Span(fd, start, end), _CHUNK)


def _not_ours(path: Path, why: str) -> ReportError:
    return ReportError(f"cannot resume: {path} is not a fakescope scan report ({why}); left unchanged")


def _csv_report(fd: int, size: int, path: Path) -> tuple[int, set[str]]:
    """(bytes to keep, reported paths) of a CSV report, or ReportError for anything not proven ours."""
    head = os.pread(fd, len(_BOM) + len(_CSV_HEADER) + 2, 0)
    start = len(_BOM) if head.startswith(_BOM) else 0
    body = head[start:]
    if _CSV_HEADER.startswith(body) or (_CSV_HEADER + b"\r").startswith(body):
        return 0, set()  # empty, or a header torn while it was written: rewritten whole
    if not (body.startswith(_CSV_HEADER + b"\r\n") or body.startswith(_CSV_HEADER + b"\n")):
        raise _not_ours(path, "its header differs")
    first = start + body.index(b"\n") + 1
    complete = _complete_csv_length(fd, first, size)
    paths = {row[0] for row in _csv_records(_reader(fd, first, complete), path)}
    if size - complete > _MAX_TORN_BYTES:
        raise _not_ours(path, "its last record is not a torn row")
    tail = list(_csv_records(_reader(fd, complete, size), path, torn=True))
    if len(tail) > 1 or (tail and len(tail[0]) > len(REPORT_COLUMNS)):
        raise _not_ours(path, "its last record is not a torn row")
    return complete, paths


def _complete_csv_length(fd: int, start: int, size: int) -> int:
    """Bytes up to the last newline outside quotes: one pass in chunks, counting quotes between newlines."""
    complete, quotes, offset = start, 0, start
    while offset < size and (chunk := os.pread(fd, min(_CHUNK, size - offset), offset)):
        position = 0
        while (newline := chunk.find(b"\n", position)) >= 0:
            quotes += chunk.count(b'"', position, newline)
            position = newline + 1
            if quotes % 2 == 0:
                complete = offset + position
        quotes += chunk.count(b'"', position)
        offset += len(chunk)
    return complete


def _csv_records(raw: io.BufferedReader, path: Path, torn: bool = False) -> Iterator[list[str]]:
    text = io.TextIOWrapper(raw, newline="", **_ENCODING)
    try:
        for number, record in enumerate(csv.reader(text), 2):
            if max(map(len, record), default=0) > MAX_CELL_CHARS:
                raise _not_ours(path, "a cell is longer than any report cell")
            if not torn and len(record) != len(REPORT_COLUMNS):
                raise _not_ours(path, f"record {number} has {len(record)} cells, not {len(REPORT_COLUMNS)}")
            yield record
    except csv.Error as err:
        raise _not_ours(path, f"unreadable CSV: {err}") from None


def _jsonl_report(fd: int, size: int, path: Path) -> tuple[int, set[str]]:
    """(bytes to keep, reported paths) of a JSONL report, or ReportError for anything not proven ours."""
    paths, complete = set(), 0
    reader = _reader(fd, 0, size)
    for number, line in enumerate(iter(lambda: reader.readline(_MAX_JSONL_LINE + 1), b""), 1):
        if not line.endswith(b"\n"):
            if len(line) > _MAX_JSONL_LINE:
                raise _not_ours(path, f"line {number} is longer than any report row")
            if not line.startswith(_JSONL_START[: len(line)]) or len(line) > _MAX_TORN_BYTES:
                raise _not_ours(path, "its last line is not a torn row")
            break
        complete += len(line)
        if line == b"\n":
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict) or tuple(row) != REPORT_COLUMNS or not isinstance(row["path"], str):
            raise _not_ours(path, f"line {number}")
        paths.add(row["path"])
    return complete, paths


def text_cell(value: object) -> object:
    """A row's value as the CSV holds it (a record such as the provenance becomes its summary text)."""
    return provenance_text(value) if isinstance(value, dict) else value
