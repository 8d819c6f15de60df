"""Partitions: a pure function from a list of keys to a table of report rows, and its atomic Parquet file.

A partition is named `part-INDEX-DIGEST.parquet`, DIGEST hashing its keys, so a rerun recognises a finished
partition by its name alone and a partition whose files changed is scanned anew. A part is written under a
temporary name and renamed, so a worker killed mid-write leaves no part, only a `.tmp` file that the next
write replaces. Rows come from the runtime's `scan_rows`, exactly as the thread engine builds them; Parquet
keeps numbers typed (empty cells are nulls) and the CSV report's text cells (the provenance's summary; the
thread engine's JSONL keeps the full record) as UTF-8, losslessly (`utf8_text`: a path's non-UTF-8 byte is
written `\\xNN`; `fakescope report --csv` writes it back as the byte, as the thread engine's CSV holds it).

Example:
    >>> table = scan_partition(detector, [Entry("/photos/a.jpg")], source)
    >>> table.num_rows, table.column_names[:3]
    (1, ['path', 'verdict', 'reasons'])
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fakescope.cluster.plugin import worker_detector
from fakescope.cluster.sources import Entry, Source, read_source
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.report_file import REPORT_COLUMNS, text_cell
from fakescope.runtime.scan_rows import Decoded, analyse, decode
from fakescope.video.sampler import DEFAULT_FRAMES
from fakescope.video.scan import VideoJudge

NUMERIC = {"prob_fake": pa.float64(), "threshold": pa.float64(), "width": pa.int64(), "height": pa.int64()}
SCHEMA = pa.schema([(column, NUMERIC.get(column, pa.string())) for column in REPORT_COLUMNS])
PART_PREFIX = "part-"
PART_SUFFIX = ".parquet"


def part_name(index: int, entries: list[Entry]) -> str:
    """The file name of partition `index`, which changes whenever its keys do."""
    return digest_name(index, (text for entry in entries for text in (entry.key, entry.error, entry.kind)))


def digest_name(index: int, texts: Iterable[str]) -> str:
    """`part-INDEX-DIGEST.parquet`, DIGEST hashing `texts` (a partition's keys, in order)."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")
    return f"{PART_PREFIX}{index:06d}-{digest.hexdigest()[:16]}{PART_SUFFIX}"


def scan_partition(
    detector: Detector,
    entries: list[Entry],
    source: Source,
    batch_size: int = 32,
    frames: int = DEFAULT_FRAMES,
) -> pa.Table:
    """The report rows of `entries` as an Arrow table (one row per entry, in order).

    Images are judged a batch at a time; a video entry gets the row the thread engine's `VideoJudge` gives.
    """
    rows: list[dict] = []
    videos = VideoJudge(detector, frames=frames)
    for start in range(0, len(entries), batch_size):
        chunk = entries[start : start + batch_size]
        images = iter(analyse(detector, [_decoded(detector, e, source) for e in chunk if e.kind != "video"]))
        rows.extend(videos.row(Path(e.key)) if e.kind == "video" else next(images) for e in chunk)
    return rows_to_table(rows)


def rows_to_table(rows: list[dict]) -> pa.Table:
    """Report rows (as `scan_rows.analyse` builds them) as an Arrow table of `SCHEMA`."""
    columns = {column: [_cell(row[column], column) for row in rows] for column in REPORT_COLUMNS}
    return pa.table(columns, schema=SCHEMA)


def write_json(path: Path, data: object) -> None:
    """Write `data` as JSON to `path` atomically (a temporary name, then renamed): a manifest or a record."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def remove_torn_parts(folder: Path) -> None:
    """Remove the temporaries of `write_part` that workers killed while writing left in `folder`."""
    for torn in folder.glob(f".{PART_PREFIX}*.tmp"):
        torn.unlink(missing_ok=True)


def write_part(table: pa.Table, path: str | os.PathLike) -> None:
    """Write `table` to `path` atomically: a unique temporary name, flushed, then renamed."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        pq.write_table(table, temporary)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def run_partition(
    entries: list[Entry], source: Source, path: str, batch_size: int = 32, frames: int = DEFAULT_FRAMES
) -> dict:
    """The Dask task: scan one partition with this worker's Detector and write its part; small counts back."""
    table = scan_partition(worker_detector(), entries, source, batch_size, frames)
    write_part(table, path)
    errors = sum(1 for error in table.column("error").to_pylist() if error)
    return {"part": Path(path).name, "rows": table.num_rows, "errors": errors}


def partition_rows(
    entries: list[Entry], source: Source, batch_size: int = 32, frames: int = DEFAULT_FRAMES
) -> pa.Table:
    """A Dask task: the rows of `entries` by this worker's Detector, returned instead of written."""
    return scan_partition(worker_detector(), entries, source, batch_size, frames)


def _decoded(detector: Detector, entry: Entry, source: Source) -> Decoded:
    if entry.error:
        return entry.key, None, entry.error
    try:
        data = read_source(entry.key, source.protocol, source.storage_options, detector.limits)
    except InvalidImageError as err:
        return entry.key, None, str(err)
    return decode(detector, data, key=entry.key)


def _cell(value, column: str):
    if column in NUMERIC:
        return None if value == "" or value is None else value
    return utf8_text(str(text_cell(value)))


def utf8_text(text: str) -> str:
    r"""`text` as valid UTF-8, losslessly: in a cell holding a backslash or a byte that is not UTF-8 (a file
    name read with surrogateescape), backslashes are doubled and such bytes written `\xNN`; `original_text`
    undoes it. Any other cell is left as it is.

    Example:
        >>> utf8_text("/photos/caf\udce9.png"), utf8_text("/photos/caf\\xe9.png")
        ('/photos/caf\\xe9.png', '/photos/caf\\\\xe9.png')
    """
    if "\\" not in text:
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            pass
    data = text.replace("\\", "\\\\").encode("utf-8", "surrogateescape")
    return data.decode("utf-8", "backslashreplace")


def original_text(text: str) -> str:
    r"""The text `utf8_text` was given (non-UTF-8 bytes as surrogateescape, as `os.fsdecode` gives them).

    Example:
        >>> original_text("/photos/caf\\xe9.png") == "/photos/caf\udce9.png"
        True
    """
    return _ESCAPED.sub(_unescape, text) if "\\" in text else text


_ESCAPED = re.compile(r"\\(\\|x[0-9a-f]{2})")


def _unescape(match: re.Match) -> str:
    code = match[1]
    return "\\" if code == "\\" else bytes([int(code[1:], 16)]).decode("utf-8", "surrogateescape")
