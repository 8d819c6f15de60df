"""Score labelled records with a `Detector`: the one scoring path of evaluation (numpy only, no TensorFlow).

`fakescope evaluate` (ONNX models), the export's `evaluate_onnx` and card metrics, and the model report all
score through `score_records`, which decodes with the dataset limits (`TRAINING_LIMITS`: the demo set's
25 px crops are data, not bad uploads) unless the caller chooses others.

Example:
    >>> from fakescope.data.layout import discover
    >>> scores = score_records(detector, discover(dataset))
    >>> scores
    Scores(12 scored: 6 real, 6 fake; 0 rejected)
    >>> scores.metrics(0.5).n
    12
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from fakescope.data.layout import SPLITS, TRAINING_LIMITS, ImageRecord, text_path
from fakescope.report.metrics import BinaryMetrics, binary_metrics
from fakescope.runtime.checks import Evidence
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.images import DecodedImage, ImageLimits, load_image
from fakescope.runtime.results import Prediction, check_threshold

if TYPE_CHECKING:
    import pandas as pd

EVAL_COLUMNS = ("path", "split", "label", "prob_fake", "error")
"""Columns of `Scores.table()`. `label`: true class (real 0, fake 1); rejected files: NaN and the reason."""


class Rejection(NamedTuple):
    """A record the detector could not score, and the one-line reason."""

    record: ImageRecord
    reason: str


@dataclass(frozen=True, eq=False)
class Scores:
    """What a detector said about labelled records: P(fake) of each scored one, and the rejected ones.

    `records[i]` was scored `prob_fake[i]` (float64, read-only); `labels` are their true classes. When the
    scores come from `score_records`, `evidence[i]` and `reasons[i]` are what the checks saw and said at the
    detector's threshold (an empty `reasons[i]` is a definite verdict); otherwise both are empty.
    """

    records: tuple[ImageRecord, ...]
    prob_fake: np.ndarray = field(repr=False)
    rejected: tuple[Rejection, ...] = ()
    evidence: tuple[Evidence, ...] = field(default=(), repr=False)
    reasons: tuple[tuple[str, ...], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        prob = np.array(self.prob_fake, dtype=np.float64).reshape(-1)
        if prob.size != len(self.records):
            raise ValueError(f"got {prob.size} probabilities for {len(self.records)} records")
        prob.setflags(write=False)
        object.__setattr__(self, "prob_fake", prob)

    def __repr__(self) -> str:
        real = int(np.sum(self.labels == 0))
        return (
            f"Scores({len(self.records)} scored: {real} real, {len(self.records) - real} fake; "
            f"{len(self.rejected)} rejected)"
        )

    @cached_property
    def labels(self) -> np.ndarray:
        """True classes of the scored records (int, real 0, fake 1)."""
        labels = np.array([r.label for r in self.records], dtype=int)
        labels.setflags(write=False)
        return labels

    def metrics(self, threshold: float) -> BinaryMetrics:
        """The metrics at `threshold`; the threshold-free ones (ROC AUC, ...) are computed once per Scores.

        Raises:
            ValueError: no record was scored, or `threshold` is not in (0, 1).
        """
        check_threshold(threshold)
        return self._first_metrics.at(self.labels, self.prob_fake, threshold)

    def table(self) -> pd.DataFrame:
        """One row per record (scored or rejected) with `EVAL_COLUMNS`, in split then path order.

        The index of a scored row is its position in `records`.
        """
        import pandas as pd

        rows = [(r, p, "") for r, p in zip(self.records, self.prob_fake, strict=True)]
        rows += [(r, np.nan, reason) for r, reason in self.rejected]
        frame = pd.DataFrame(
            [(text_path(r.path), r.split, r.label, p, e) for r, p, e in rows], columns=list(EVAL_COLUMNS)
        ).astype({"label": "int64", "prob_fake": "float64"})
        order = {s: i for i, s in enumerate(SPLITS)}
        keys = [(order.get(r.split, len(order)), str(r.path)) for r, _, _ in rows]
        return frame.iloc[sorted(range(len(rows)), key=keys.__getitem__)]

    @classmethod
    def concat(cls, parts: Sequence[Scores]) -> Scores:
        """The scores of several parts (batches, splits, workers) as one."""
        return cls(
            tuple(r for part in parts for r in part.records),
            np.concatenate([np.zeros(0)] + [part.prob_fake for part in parts]),
            tuple(x for part in parts for x in part.rejected),
            tuple(e for part in parts for e in part.evidence),
            tuple(r for part in parts for r in part.reasons),
        )

    @cached_property
    def _first_metrics(self) -> BinaryMetrics:
        return binary_metrics(self.labels, self.prob_fake, 0.5)


def score_records(
    detector: Detector,
    records: Sequence[ImageRecord],
    *,
    limits: ImageLimits | None = TRAINING_LIMITS,
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
    degrade: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Scores:
    """Run `detector` over labelled `records`, one session run per batch; unreadable files become rejections.

    Args:
        detector: the model to score with (its session is shared, never reloaded).
        records: the labelled images (`fakescope.data.layout.discover`).
        limits: image limits to decode with. Defaults to the dataset limits (`TRAINING_LIMITS`);
            None keeps the detector's own (upload) limits.
        batch_size: images per session run. Defaults to 32.
        progress: called as `progress(done, total)` after each batch. Defaults to None.
        degrade: applied to each decoded image's RGB pixels before it is scored (the robustness figures'
            JPEG, blur and resize: `fakescope.runtime.degrade`). Defaults to None: the files as they are.
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1. Received: batch_size={batch_size}")
    scorer = detector if limits is None else detector.with_limits(limits)
    records = list(records)
    parts = []
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        inputs = [r.path if degrade is None else _degraded(r.path, scorer.limits, degrade) for r in chunk]
        results = scorer.predict_batch(inputs, batch_size=batch_size, on_error="return")
        pairs = list(zip(chunk, results, strict=True))
        scored = [(r, p) for r, p in pairs if isinstance(p, Prediction)]
        parts.append(
            Scores(
                tuple(r for r, _ in scored),
                np.array([p.prob_fake for _, p in scored], dtype=np.float64),
                tuple(Rejection(r, p.message) for r, p in pairs if not isinstance(p, Prediction)),
                tuple(p.evidence for _, p in scored),
                tuple(p.reasons for _, p in scored),
            )
        )
        if progress is not None:
            progress(start + len(chunk), len(records))
    return Scores.concat(parts)


def _degraded(path: Path, limits: ImageLimits, degrade: Callable[[np.ndarray], np.ndarray]):
    """The decoded, degraded image; a file that does not decode stays a path, for `predict_batch` to
    reject in the runtime's own words."""
    try:
        decoded = load_image(path, limits)
    except InvalidImageError:
        return path
    return DecodedImage(degrade(decoded.pixels), decoded.info)
