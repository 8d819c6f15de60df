"""Batch jobs on Dask written as the scan writes: one Parquet part per partition, atomically, resumable.

`map_to_parts` runs `function(partition, *args)` on the workers; each worker turns its result into an Arrow
table (`encode`) and writes it with the scan's `write_part` (temporary name, then rename) as
`part-INDEX-DIGEST.parquet`, DIGEST hashing the partition's keys, so a rerun into the same folder finds a
finished partition by its name and does not submit it again. The client reads each part back (`decode`)
and yields the results in partition order; only a part's name travels back from a worker. A `_job.json`
names the job, and a folder made by another job is refused.

Example:
    >>> chunks = [["a.jpg"], ["b.png", "c.png"]]
    >>> measured = map_to_parts(client, measure_files, chunks, "parts/", job={"job": "eda"},
    ...                         encode=eda.encode, decode=eda.decode)
    >>> [m.values.shape[0] for m in measured]
    [1, 2]
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client

from fakescope.cluster.parts import PART_PREFIX, PART_SUFFIX, write_part
from fakescope.runtime.errors import ReportError

JOB_NAME = "_job.json"


def map_to_parts(
    client: Client,
    function: Callable[..., Any],
    partitions: Iterable[list],
    folder: str | os.PathLike,
    *args,
    job: dict,
    encode: Callable[[Any, list], pa.Table],
    decode: Callable[[pa.Table], Any],
    key: Callable[[Any], str] = str,
    in_flight: int | None = None,
) -> Iterator[Any]:
    """`function(partition, *args)` of each partition, written as a part in `folder`, read back in order.

    Args:
        client: the Dask client.
        function: an importable function (it runs on the workers).
        partitions: lists of inputs, consumed lazily.
        folder: where the parts go (on a file system every worker can write).
        job: what the parts are of (JSON); a folder holding another job's parts is refused.
        encode: `encode(result, partition)` -> the part's table (runs on the workers).
        decode: a part's table -> the result (runs here).
        key: the text of an input that names it in the part's digest. Defaults to `str`.
        in_flight: partitions submitted but not yet read back. Defaults to twice the cluster's threads.

    Raises:
        ReportError: `folder` holds parts of another job.
    """
    folder = Path(folder).absolute()
    _claim(folder, job)
    limit = in_flight or 2 * max(1, sum(client.nthreads().values()))
    pending: deque = deque()
    for index, partition in enumerate(partitions):
        path = folder / part_name(index, [key(item) for item in partition])
        if path.exists():
            pending.append(path)
        else:
            pending.append(client.submit(_write, function, partition, args, encode, str(path), pure=False))
        if len(pending) >= limit:
            yield decode(_read(pending.popleft()))
    while pending:
        yield decode(_read(pending.popleft()))


def part_name(index: int, keys: list[str]) -> str:
    """The part of partition `index`, whose name changes whenever its keys do."""
    digest = hashlib.sha256()
    for text in keys:
        digest.update(text.encode("utf-8", "surrogateescape") + b"\0")
    return f"{PART_PREFIX}{index:06d}-{digest.hexdigest()[:16]}{PART_SUFFIX}"


def _write(function, partition, args, encode, path) -> str:
    write_part(encode(function(partition, *args), partition), path)
    return path


def _read(done) -> pa.Table:
    return pq.read_table(done if isinstance(done, Path) else done.result())


def _claim(folder: Path, job: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / JOB_NAME
    wanted = json.loads(json.dumps(job))
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError):
            found = None
        if found != wanted:
            raise ReportError(f"{folder} holds the parts of another job ({found!r}, not {wanted!r})")
        return
    if any(folder.glob(f"{PART_PREFIX}*{PART_SUFFIX}")):
        raise ReportError(f"{folder} holds parts but no {JOB_NAME}: not a fakescope job folder")
    temporary = folder / f".{JOB_NAME}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(wanted, indent=2) + "\n")
    os.replace(temporary, path)
