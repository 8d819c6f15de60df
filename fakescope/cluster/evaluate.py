"""Evaluation on Dask: the one scoring path (`score_records`) run by the workers, a partition per task.

`fakescope.train.evaluate.evaluate_model` does everything else as on one machine (splits, threshold, metrics,
trust figures); `dask_scorer` replaces only the scoring, with each worker's own Detector (`DetectorPlugin`)
reading the images itself, and the partitions' `Scores` joined in order (`Scores.concat`), so the metrics are
those of a local evaluation. The workers must see the dataset at the same paths (a shared file system).

Example:
    >>> with dask_client(None, workers=2) as client:
    ...     evaluation = evaluate_model("m.onnx", "data/demo", scorer=dask_scorer(client, "m.onnx"))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from itertools import islice

from distributed import Client

from fakescope.cluster.batch import map_partitions
from fakescope.cluster.plugin import DetectorPlugin, worker_detector
from fakescope.data.layout import ImageRecord
from fakescope.report.scoring import Scores, score_records
from fakescope.runtime.detector import Detector


def score_partition(records: list[ImageRecord], batch_size: int) -> Scores:
    """The Dask task: score one partition of records with this worker's Detector."""
    return score_records(worker_detector(), records, batch_size=batch_size)


def dask_scorer(client: Client, model: str | os.PathLike, partition_size: int = 512) -> Callable[..., Scores]:
    """A drop-in for `score_records` that scores on the cluster; registers `model`'s plugin on the workers.

    The returned function takes the client's `Detector` (for its checks only) and the records.
    """
    if partition_size < 1:
        raise ValueError(f"`partition_size` must be >= 1. Received: partition_size={partition_size}")
    client.register_plugin(DetectorPlugin.from_file(model))

    def score(_detector: Detector, records: Sequence[ImageRecord], batch_size: int = 32, **_) -> Scores:
        iterator = iter(records)
        partitions = iter(lambda: list(islice(iterator, partition_size)), [])
        return Scores.concat(list(map_partitions(client, score_partition, partitions, batch_size)))

    return score
