"""Evaluation on Dask: the one scoring path (`score_records`) run by the workers, a partition per task.

`fakescope.train.evaluate.evaluate_model` does everything else as on one machine (splits, threshold, metrics,
trust figures); a `DaskScorer` replaces only the scoring, with each worker's own Detector (`DetectorPlugin`)
reading the images itself. Each task writes its partition's `Scores` (probabilities, rejections, evidence
and reasons) as one Parquet part through the scan's machinery (a `PartsJob`: atomic, named by the
records with their files' sizes and mtimes, bound to the model's sha256), and the parts read back are
joined in order (`Scores.concat`), so the metrics are those of a local evaluation and a rerun into the same
folder scores only the partitions it has no part for. One job serves both splits: `complete()` after the
evaluation removes the parts of partitions no longer scored and writes `_done.json`. The workers must see the
dataset at the same paths (a shared file system).

Example:
    >>> with dask_client(None, workers=2) as client, DaskScorer(client, "m.onnx", "m_dask_parts") as scorer:
    ...     evaluation = evaluate_model("m.onnx", "data/demo", scorer=scorer)
    ...     scorer.complete()
    JobRecord(fakescope-evaluate/1: 2 partitions (80 rows), 0 reused, 2 computed, 0 stale parts removed)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from itertools import islice
from pathlib import Path

import numpy as np
import pyarrow as pa
from distributed import Client

from fakescope.cluster.job_parts import PartsJob
from fakescope.cluster.parts import original_text, utf8_text
from fakescope.cluster.plugin import DetectorPlugin, worker_detector
from fakescope.data.layout import ImageRecord
from fakescope.report.scoring import Rejection, Scores, score_records
from fakescope.runtime.checks import Evidence
from fakescope.runtime.detector import Detector

FLOATS = ("logit", "ood_score", "ood_threshold", "alpha")


def score_partition(records: list[ImageRecord], batch_size: int) -> Scores:
    """The Dask task: score one partition of records with this worker's Detector."""
    return score_records(worker_detector(), records, batch_size=batch_size)


class DaskScorer(PartsJob):
    """A drop-in for `score_records` that scores on the cluster, `partition_size` records per part in
    `parts_dir`; registers `model`'s plugin on the workers. Called with the client's `Detector` (for its
    checks only) and the records; it takes no other option of `score_records` (a `degrade` it cannot apply
    is refused, not ignored).

    Raises:
        ReportError: `parts_dir` holds another job's parts (another model's), or another run is writing it.
    """

    def __init__(
        self,
        client: Client,
        model: str | os.PathLike,
        parts_dir: str | os.PathLike,
        partition_size: int = 512,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        if partition_size < 1:
            raise ValueError(f"`partition_size` must be >= 1. Received: partition_size={partition_size}")
        plugin = DetectorPlugin.from_file(model)
        job = {"job": "fakescope-evaluate/1", "model_sha256": plugin.sha256}
        super().__init__(client, parts_dir, job, progress=progress)
        self.partition_size = partition_size
        try:
            client.register_plugin(plugin)
        except BaseException:
            self.close()
            raise

    def __call__(self, _detector: Detector, records: Sequence[ImageRecord], batch_size: int = 32) -> Scores:
        iterator = iter(records)
        partitions = iter(lambda: list(islice(iterator, self.partition_size)), [])
        parts = self.map(
            score_partition, partitions, batch_size, encode=encode, decode=decode, key=record_key
        )
        return Scores.concat(list(parts))


def record_key(record: ImageRecord) -> str:
    """A record with its file's size and mtime, so a part is scored again when one of its files changes."""
    try:
        stat = os.stat(record.path)
        found = f"{stat.st_size}\0{stat.st_mtime_ns}"
    except OSError:
        found = ""
    return f"{os.fsdecode(record.path)}\0{record.label}\0{record.split}\0{found}"


def encode(scores: Scores, _records: list[ImageRecord] | None = None) -> pa.Table:
    """A partition's `Scores` as a table: its scored records, then its rejected ones (`rejected` their
    reason), with the evidence and reasons of the scored ones."""
    records = [*scores.records, *(rejection.record for rejection in scores.rejected)]
    scored = len(scores.records)
    blank = [None] * (len(records) - scored)
    columns = {
        "path": pa.array([utf8_text(os.fsdecode(r.path)) for r in records], pa.string()),
        "label": pa.array([r.label for r in records], pa.int64()),
        "split": pa.array([r.split for r in records], pa.string()),
        "prob_fake": pa.array([*scores.prob_fake.tolist(), *blank], pa.float64()),
        "rejected": pa.array([None] * scored + [r.reason for r in scores.rejected], pa.string()),
    }
    if len(scores.evidence) == scored and len(scores.reasons) == scored:
        evidence = list(scores.evidence)
        columns["face_front_end"] = pa.array([e.face_front_end for e in evidence] + blank, pa.bool_())
        for name in FLOATS:
            columns[name] = pa.array([getattr(e, name) for e in evidence] + blank, pa.float64())
        sets = [None if e.prediction_set is None else list(e.prediction_set) for e in evidence]
        columns["prediction_set"] = pa.array(sets + blank, pa.list_(pa.string()))
        columns["tta_probs"] = pa.array([list(e.tta_probs) for e in evidence] + blank, pa.list_(pa.float64()))
        columns["reasons"] = pa.array([list(r) for r in scores.reasons] + blank, pa.list_(pa.string()))
    return pa.table(columns)


def decode(table: pa.Table) -> Scores:
    """The `Scores` a part holds."""
    data = table.to_pydict()
    records = [
        ImageRecord(Path(original_text(path)), label, split)
        for path, label, split in zip(data["path"], data["label"], data["split"], strict=True)
    ]
    scored = [i for i, reason in enumerate(data["rejected"]) if reason is None]
    rejected = tuple(
        Rejection(records[i], reason) for i, reason in enumerate(data["rejected"]) if reason is not None
    )
    evidence, reasons = (), ()
    if "reasons" in data:
        evidence = tuple(
            Evidence(
                face_front_end=data["face_front_end"][i],
                **{name: data[name][i] for name in FLOATS},
                prediction_set=None
                if data["prediction_set"][i] is None
                else tuple(data["prediction_set"][i]),
                tta_probs=tuple(data["tta_probs"][i]),
            )
            for i in scored
        )
        reasons = tuple(tuple(data["reasons"][i]) for i in scored)
    prob = np.array([data["prob_fake"][i] for i in scored], dtype=np.float64)
    return Scores(tuple(records[i] for i in scored), prob, rejected, evidence, reasons)
