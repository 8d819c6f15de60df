"""The Dask client every fakescope engine runs on: a running scheduler, or a `LocalCluster` on this machine.

Example:
    >>> with dask_client(None, workers=2) as client:
    ...     sum(client.nthreads().values())
    2
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster


@contextmanager
def dask_client(scheduler: str | None, workers: int = 2, processes: bool = True) -> Iterator[Client]:
    """A client of `scheduler` (`tcp://HOST:PORT`), else of a new LocalCluster of `workers` single-thread
    workers (processes, or threads of this process), closed on exit."""
    if scheduler:
        with Client(scheduler, timeout="30s", set_as_default=False) as client:
            yield client
        return
    # Everything binds to this machine only; the diagnostics server takes a free port instead of :8787.
    where = {"host": "127.0.0.1"} if processes else {}
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
        **where,
    )
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client
