"""Run a `Detector` over one split of a labelled dataset folder: one row per image.

Example:
    >>> table = evaluate_folder(Detector("model.onnx"), "data/demo", split="test", progress=print)
    >>> table.columns.tolist()
    ['path', 'split', 'label', 'prob_fake', 'error']
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fakescope.data.layout import SPLITS, discover, text_path
from fakescope.runtime import Detector, Prediction

EVAL_COLUMNS = ("path", "split", "label", "prob_fake", "error")
"""`label`: true class (real 0, fake 1); for rejected files `prob_fake` is NaN and `error` says why."""

SPLIT_CHOICES = (*SPLITS, "all")


def evaluate_folder(
    detector: Detector,
    root: str | Path,
    *,
    split: str = "test",
    limit: int | None = None,
    seed: int = 0,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Score every image of one split of the dataset at `root`.

    Args:
        detector: the model to evaluate.
        root: dataset folder in a layout `fakescope.data.layout.discover` accepts.
        split: "train", "valid", "test" or "all". Defaults to "test".
        limit: score at most this many images, drawn at random (seeded). Defaults to None (all).
        seed: seed of the `limit` draw. Defaults to 0.
        batch_size: images per model run. Defaults to 32.
        progress: called as `progress(done, total)` after each batch. Defaults to None.

    Returns:
        A DataFrame with `EVAL_COLUMNS`, in path order.

    Raises:
        DatasetLayoutError: `root` is not a dataset folder.
        ValueError: bad arguments, or the split holds no images.
    """
    if split not in SPLIT_CHOICES:
        raise ValueError(f"`split` must be one of {', '.join(SPLIT_CHOICES)}. Received: split={split!r}")
    if limit is not None and limit < 1:
        raise ValueError(f"`limit` must be >= 1. Received: limit={limit}")
    records = [r for r in discover(root) if split == "all" or r.split == split]
    if not records:
        raise ValueError(f"no images in the {split!r} split of {root}")
    if limit is not None and limit < len(records):
        records = sorted(random.Random(seed).sample(records, limit), key=lambda r: str(r.path))
    rows = []
    total = len(records)
    for start in range(0, total, batch_size):
        chunk = records[start : start + batch_size]
        results = detector.predict_batch([r.path for r in chunk], batch_size=batch_size, on_error="return")
        for record, result in zip(chunk, results, strict=True):
            ok = isinstance(result, Prediction)
            rows.append(
                (
                    text_path(record.path),
                    record.split,
                    record.label,
                    result.prob_fake if ok else np.nan,
                    "" if ok else result.message,
                )
            )
        if progress is not None:
            progress(start + len(chunk), total)
    return pd.DataFrame(rows, columns=list(EVAL_COLUMNS)).astype({"label": "int64", "prob_fake": "float64"})
