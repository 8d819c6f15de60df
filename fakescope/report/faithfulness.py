"""Faithfulness per CAM method averaged over a dataset's split: which map is most true to this model.

Each readable image of the split goes through `Detector.explain` (the dataset limits, as `score_records`
uses, so the demo set's 25 px crops count); every method's ROAD and deletion/insertion figures are averaged
and the methods ranked by ROAD's combined score. Unreadable files are counted, not fatal.

Example:
    >>> from fakescope.data.layout import discover
    >>> records = discover("data/demo")
    >>> summary = dataset_faithfulness(Detector(), records, ["gradcam", "layercam"], max_images=2)
    >>> summary[0]                      # the more faithful of the two on two test images
    MethodFaithfulness(..., n=2, road_combined=...)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fakescope.data.layout import TRAINING_LIMITS, ImageRecord
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.explain.explanation import ROW_FIGURES
from fakescope.runtime.images import ImageLimits


@dataclass(frozen=True)
class MethodFaithfulness:
    """One method's figures averaged over `n` images (`rejected` could not be read)."""

    method: str
    n: int
    road_morf: float
    road_lerf: float
    road_combined: float
    deletion_auc: float
    insertion_auc: float
    rejected: int = 0

    def as_dict(self) -> dict:
        return {"method": self.method, "n": self.n, **{k: round(getattr(self, k), 6) for k in ROW_FIGURES}}

    def __repr__(self) -> str:
        return (
            f"MethodFaithfulness({self.method}, n={self.n}, road_combined={self.road_combined:.3f}, "
            f"deletion_auc={self.deletion_auc:.3f}, insertion_auc={self.insertion_auc:.3f})"
        )


def dataset_faithfulness(
    detector: Detector,
    records: Sequence[ImageRecord],
    methods: Sequence[str] | None = None,
    *,
    split: str | None = "test",
    max_images: int | None = None,
    limits: ImageLimits | None = TRAINING_LIMITS,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[MethodFaithfulness, ...]:
    """Every method's mean faithfulness on `records` (of `split`, at most `max_images`), most faithful first.

    Raises:
        ValueError: no image of the split could be explained, or an unknown or unavailable method.
    """
    chosen = [r for r in records if split is None or r.split == split][:max_images]
    explainer = detector if limits is None else detector.with_limits(limits)
    names = list(methods) if methods is not None else list(detector.cam_methods)
    rows: dict[str, list[list[float]]] = {name: [] for name in names}
    rejected = 0
    for done, record in enumerate(chosen, 1):
        try:
            explanation = explainer.explain(record.path, names)
        except InvalidImageError:
            rejected += 1
            continue
        for name, figures in explanation.faithfulness.items():
            rows[name].append([getattr(figures, k) for k in ROW_FIGURES])
        if progress is not None:
            progress(done, len(chosen))
    if not any(rows.values()):
        raise ValueError(f"none of the {len(chosen)} images of the {split or 'whole'} set could be explained")
    summary = [
        MethodFaithfulness(name, len(values), *np.mean(values, axis=0).tolist(), rejected=rejected)
        for name, values in rows.items()
    ]
    return tuple(sorted(summary, key=lambda m: -m.road_combined))
