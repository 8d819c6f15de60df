"""The Dask client every fakescope engine runs on: a running scheduler, or a `LocalCluster` on this machine.

A `LocalCluster` runs with `WORKER_CONFIG`, since Dask's defaults cost a scan a third to a half more CPU per
image: the nanny starts workers with `MALLOC_TRIM_THRESHOLD_=65536`, which turns off glibc's adaptive mmap
threshold, so every decoded image buffer (a few hundred KB) is a fresh `mmap` whose pages the kernel zeroes;
each worker samples its task thread's stack every 10 ms for the dashboard's profile; and every process checks
its event loop 50 times a second and its memory 10 times. With these settings a worker spends about what the
thread engine spends per image, and an idle 2-worker cluster a fifth of the CPU it did. A stock
`LocalCluster` started earlier in the same process leaves `MALLOC_TRIM_THRESHOLD_` in `os.environ` (its
nanny sets it there), and workers started later inherit it. On a cluster of your own, put the same settings
in the workers' Dask configuration (docs/cluster.md).

Example:
    >>> with dask_client(None, workers=2) as client:
    ...     sum(client.nthreads().values())
    2
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

from fakescope.runtime.errors import FakescopeError

WORKER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # glibc's own (adaptive) thresholds
    "distributed.worker.profile.enabled": False,  # no stack sampling every 10 ms
    "distributed.admin.tick.interval": "1s",  # event-loop health checks once a second, not 50 times
    "distributed.worker.memory.monitor-interval": "500ms",  # memory read twice a second, not 10 times
}
"""Dask settings for fakescope's workers, applied to every `LocalCluster` fakescope starts."""


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
        with dask.config.set(WORKER_CONFIG):
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
