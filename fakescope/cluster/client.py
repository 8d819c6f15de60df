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

from fakescope.runtime.errors import FakescopeError


class ClusterError(FakescopeError):
    """The Dask scheduler cannot be reached, or a local cluster cannot start."""


@contextmanager
def dask_client(scheduler: str | None, workers: int = 2, processes: bool = True) -> Iterator[Client]:
    """A client of `scheduler` (`tcp://HOST:PORT`), else of a new LocalCluster of `workers` single-thread
    workers (processes, or threads of this process), closed on exit.

    Raises:
        ClusterError: the scheduler does not answer in Dask's connect timeout (`distributed.comm.timeouts.
            connect`, 30 s unless configured, e.g. `DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=5s`), or the
            local cluster cannot start.
    """
    if scheduler:
        try:
            client = Client(scheduler, set_as_default=False)
        except (OSError, ValueError, TypeError) as err:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {_short(err)}") from None
        with client:
            yield client
        return
    # Everything binds to this machine only; the diagnostics server takes a free port instead of :8787.
    where = {"host": "127.0.0.1"} if processes else {}
    try:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            **where,
        )
    except (OSError, RuntimeError) as err:
        raise ClusterError(f"cannot start a local Dask cluster: {_short(err)}") from None
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client


def _short(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."
