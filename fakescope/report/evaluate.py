"""Score one split of a labelled dataset folder with a `Detector`, with the dataset's image limits.

Example:
    >>> scores = evaluate_folder(Detector(model), dataset, split="test")
    >>> scores.table().columns.tolist()
    ['path', 'split', 'label', 'prob_fake', 'error']
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from fakescope.data.layout import SPLITS, TRAINING_LIMITS, discover
from fakescope.report.scoring import Scores, score_records
from fakescope.runtime.detector import Detector
from fakescope.runtime.images import ImageLimits

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
    limits: ImageLimits | None = TRAINING_LIMITS,
) -> Scores:
    """Score every image of one split of the dataset at `root`.

    Args:
        detector: the model to evaluate.
        root: dataset folder in a layout `fakescope.data.layout.discover` accepts.
        split: "train", "valid", "test" or "all". Defaults to "test".
        limit: score at most this many images, drawn at random (seeded). Defaults to None (all).
        seed: seed of the `limit` draw. Defaults to 0.
        batch_size: images per model run. Defaults to 32.
        progress: called as `progress(done, total)` after each batch. Defaults to None.
        limits: image limits. Defaults to the dataset limits, whatever the detector's own are.

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
    return score_records(detector, records, limits=limits, batch_size=batch_size, progress=progress)
