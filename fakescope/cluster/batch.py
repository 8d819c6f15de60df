"""Run a function over partitions on Dask, a bounded number at a time, results back in partition order.

The same streaming the scan uses, for jobs whose per-partition result is small (EDA measurements, evaluation
scores): partitions are submitted as the input streams in, at most `in_flight` wait at once, and results are
yielded in order as soon as each is ready.

Example:
    >>> list(map_partitions(client, len, [["a"], ["b", "c"]]))
    [1, 2]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from distributed import Client


def map_partitions(
    client: Client, function: Callable[..., Any], partitions: Iterable, *args, in_flight: int | None = None
) -> Iterator[Any]:
    """`function(partition, *args)` of each partition, run on the cluster, yielded in order.

    Args:
        client: the Dask client.
        function: an importable function (it runs on the workers).
        partitions: the inputs, consumed lazily.
        in_flight: partitions submitted but not yet yielded. Defaults to twice the cluster's threads.
    """
    limit = in_flight or 2 * max(1, sum(client.nthreads().values()))
    pending: deque = deque()
    for partition in partitions:
        pending.append(client.submit(function, partition, *args, pure=False))
        if len(pending) >= limit:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
