"""Score an exported ONNX model (FP32, FP16 or INT8) on a dataset split with the edge runtime.

The images go through `Detector` by `fakescope.report.score_records`, i.e. exactly the deployed
preprocessing and graph, with the dataset's image limits; the metrics are `BinaryMetrics` at the card's
threshold, so they have the same keys as the `test` entry of the run's metrics.json.

Example:
    >>> metrics = evaluate_onnx(model, dataset)
    >>> metrics["split"], metrics["n"], metrics["unreadable"]
    ('test', 12, 0)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fakescope.data.layout import discover
from fakescope.export.errors import ExportError
from fakescope.report.scoring import score_records
from fakescope.runtime import Detector


def evaluate_onnx(
    model_path: str | os.PathLike, data_dir: str | os.PathLike, split: str = "test", batch_size: int = 64
) -> dict[str, Any]:
    """Metrics of `model_path` on the `split` of `data_dir`, at the threshold of the model's card.

    Args:
        model_path: a sealed fakescope ONNX model (loaded once).
        data_dir: a dataset in a layout `fakescope.data.layout.discover` accepts.
        split: which split to score. Defaults to "test".
        batch_size: images per session run. Defaults to 64.

    Returns:
        {"model", "split", "unreadable"} and `BinaryMetrics.as_dict()` (the ranking metrics are None when
        the split holds a single class).

    Raises:
        ExportError: the split is empty or none of its images is readable.
        ModelError: the model cannot be used.
    """
    records = [r for r in discover(data_dir) if r.split == split]
    if not records:
        raise ExportError(f"{data_dir} has no images in the {split!r} split")
    detector = Detector(model_path)
    scores = score_records(detector, records, batch_size=batch_size)
    if not scores.records:
        raise ExportError(f"none of the {len(records)} {split} images of {data_dir} could be read")
    metrics = scores.metrics(detector.threshold).as_dict()
    return {"model": Path(model_path).name, "split": split, "unreadable": len(scores.rejected), **metrics}
