"""EDA on Dask: the dataset's images measured by the workers, a chunk of paths per task.

`fakescope.eda.stats.collect_stats` does everything else as on one machine (discovery, the cache, the table
and report); only `measure_files` runs on the cluster, so the workers must see the dataset at the same paths
(a shared file system). Each task returns a few numbers per image, never the pixels.

Example:
    >>> with dask_client(None, workers=2) as client:
    ...     table = collect_stats("data/demo", measure=dask_measure(client))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from distributed import Client

from fakescope.cluster.batch import map_partitions
from fakescope.eda.worker import Measurements, measure_files


def dask_measure(client: Client) -> Callable[[list[list[str]]], Iterator[Measurements]]:
    """A `measure` for `collect_stats` that runs `measure_files` on the cluster, results in order."""

    def measure(chunks: list[list[str]]) -> Iterator[Measurements]:
        return map_partitions(client, measure_files, chunks)

    return measure
