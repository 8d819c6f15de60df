"""Batch jobs on Dask written as the scan writes: one Parquet part per partition, atomically, resumable.

A `PartsJob` claims a folder (its `_job.json` names the job; a folder made by another job is refused) and
locks it against a second run while it is open. `map` runs `function(partition, *args)` on the workers; each
worker turns its result into an Arrow table (`encode`) and writes it with the scan's `write_part`
(temporary name, then rename) as `part-INDEX-DIGEST.parquet`, DIGEST hashing the partition's keys, so a
rerun into the same folder finds a finished partition by its name and does not submit it again. The client
reads each part back (`decode`) and yields the results in partition order; only a part's name travels back
from a worker. Once every partition of the run has been read back, `complete` removes the parts that are no
longer part of the partitioning (their files changed, or the dataset grew or shrank) and writes `_done.json`
(a `JobRecord`); a run that fails or is killed before then deletes nothing.

Example:
    >>> with PartsJob(client, "parts/", {"job": "eda"}) as job:
    ...     measured = list(job.map(measure_files, [["a.jpg"], ["b.png", "c.png"]],
    ...                             encode=eda.encode, decode=eda.decode))
    ...     job.complete()
    JobRecord(eda: 2 partitions (3 rows), 0 reused, 2 computed, 0 stale parts removed)
"""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from fakescope.cluster.parts import (
    PART_PREFIX,
    PART_SUFFIX,
    digest_name,
    remove_torn_parts,
    write_json,
    write_part,
)
from fakescope.runtime.errors import ReportError
from fakescope.runtime.report_lock import lock_folder

JOB_NAME = "_job.json"
DONE_NAME = "_done.json"
PART = re.compile(rf"{re.escape(PART_PREFIX)}\d{{6,}}-[0-9a-f]{{16}}{re.escape(PART_SUFFIX)}")


@dataclass(frozen=True)
class JobRecord:
    """`_done.json`: the last complete run of a job; `parts` are the folder's current parts, in order."""

    job: dict
    partitions: int
    rows: int
    reused: int
    computed: int
    stale_removed: int
    finished_at: str
    parts: tuple[str, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return f"JobRecord({self.job.get('job', '?')}: {self.summary})"

    @property
    def summary(self) -> str:
        """One line: `12 partitions (5,000 rows), 9 reused, 3 computed, 2 stale parts removed`."""
        return (
            f"{self.partitions} partitions ({self.rows:,} rows), {self.reused} reused, {self.computed} "
            f"computed, {self.stale_removed} stale parts removed"
        )

    def write(self, folder: Path) -> None:
        """Write `folder/_done.json` atomically (temporary name, then rename)."""
        write_json(folder / DONE_NAME, asdict(self))

    @classmethod
    def read(cls, folder: str | os.PathLike) -> JobRecord:
        """The record of `folder`'s last complete run.

        Raises:
            ReportError: there is none, or it is not a job record.
        """
        path = Path(folder) / DONE_NAME
        try:
            data = json.loads(path.read_text())
            return cls(**{**data, "parts": tuple(data["parts"])})
        except FileNotFoundError:
            raise ReportError(f"{folder} has no complete run ({DONE_NAME} is missing)") from None
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise ReportError(f"{path} is not a job record ({type(err).__name__})") from None


class PartsJob:
    """A job folder of Parquet parts, claimed and locked until `close` (or the end of a `with` block).

    Args:
        client: the Dask client.
        folder: where the parts go (on a file system every worker can write).
        job: what the parts are of (JSON); a folder holding another job's parts is refused.
        in_flight: partitions submitted but not yet read back. Defaults to twice the cluster's threads.
        progress: called with the rows of each part as it is read back (reused parts too).

    Raises:
        ReportError: `folder` holds parts of another job, or another run of a job is writing it.
    """

    def __init__(
        self,
        client: Client,
        folder: str | os.PathLike,
        job: dict,
        in_flight: int | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.client, self.folder = client, Path(folder).absolute()
        self.job = json.loads(json.dumps(job))
        self.in_flight = in_flight or 2 * max(1, sum(client.nthreads().values()))
        self.progress = progress
        self._plan: list[str] = []
        self._counts = {"rows": 0, "reused": 0, "computed": 0}
        self._unfinished = 0
        self._fd = _claim(self.folder, self.job)

    def __repr__(self) -> str:
        return f"PartsJob({self.job.get('job', '?')}, {len(self._plan)} partitions so far -> {self.folder})"

    def __enter__(self) -> PartsJob:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the folder (a `with` block does it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def map(
        self,
        function: Callable[..., Any],
        partitions: Iterable[list],
        *args,
        encode: Callable[[Any, list], pa.Table],
        decode: Callable[[pa.Table], Any],
        key: Callable[[Any], str] = str,
    ) -> Iterator[Any]:
        """`function(partition, *args)` of each partition, written as a part, read back in order.

        Args:
            function: an importable function (it runs on the workers).
            partitions: lists of inputs, consumed lazily.
            encode: `encode(result, partition)` -> the part's table (runs on the workers).
            decode: a part's table -> the result (runs here).
            key: the text of an input that names it in the part's digest. Defaults to `str`.
        """
        self._unfinished += 1
        return self._map(function, partitions, args, encode, decode, key)

    def complete(self) -> JobRecord:
        """After every `map` was read to its end: remove the parts of no partition of this run (and parts
        torn by killed workers), write `_done.json` and return it.

        Raises:
            ReportError: some `map` was not read to its end (nothing is removed then).
        """
        if self._fd is None or self._unfinished:
            raise ReportError(f"{self.folder}: the run did not read back every partition; nothing removed")
        current, stale = set(self._plan), 0
        for path in self.folder.iterdir():
            if PART.fullmatch(path.name) and path.name not in current:
                path.unlink(missing_ok=True)
                stale += 1
        remove_torn_parts(self.folder)
        finished_at = datetime.now(UTC).isoformat(timespec="seconds")
        record = JobRecord(
            self.job, len(self._plan), **self._counts, stale_removed=stale, finished_at=finished_at,
            parts=tuple(self._plan),
        )  # fmt: skip
        record.write(self.folder)
        return record

    def _map(self, function, partitions, args, encode, decode, key) -> Iterator[Any]:
        pending: deque = deque()
        for index, partition in enumerate(partitions):
            path = self.folder / digest_name(index, map(key, partition))
            self._plan.append(path.name)
            if path.exists():
                self._counts["reused"] += 1
                pending.append(path)
            else:
                self._counts["computed"] += 1
                future = self.client.submit(_write, function, partition, args, encode, str(path), pure=False)
                pending.append(future)
            if len(pending) >= self.in_flight:
                yield decode(self._read(pending.popleft()))
        while pending:
            yield decode(self._read(pending.popleft()))
        self._unfinished -= 1

    def _read(self, done) -> pa.Table:
        table = pq.read_table(done if isinstance(done, Path) else done.result())
        self._counts["rows"] += table.num_rows
        if self.progress:
            self.progress(table.num_rows)
        return table


def _write(function, partition, args, encode, path) -> str:
    write_part(encode(function(partition, *args), partition), path)
    return path


def _claim(folder: Path, job: dict) -> int:
    """Lock `folder` for this run (the open descriptor holds the lock) and make sure it is `job`'s."""
    try:
        fd = lock_folder(folder)
    except ReportError:
        raise ReportError(
            f"{folder} is being written by another {job.get('job', 'job')} run: wait for it to end or "
            "choose another folder"
        ) from None
    try:
        _check_job(folder, job)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _check_job(folder: Path, job: dict) -> None:
    path = folder / JOB_NAME
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError):
            found = None
        if found != job:
            raise ReportError(f"{folder} holds the parts of another job ({found!r}, not {job!r})")
        return
    if any(PART.fullmatch(p.name) for p in folder.iterdir()):
        raise ReportError(f"{folder} holds parts but no {JOB_NAME}: not a fakescope job folder")
    write_json(path, job)
