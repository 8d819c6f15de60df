"""Several exported models (FP32, FP16, INT8) side by side on the same pictures: P(fake) and Grad-CAM.

Example:
    >>> comparison = compare_models({"a": detector, "b": detector}, ["face.jpg", "photo.jpg"])
    >>> comparison.table().columns.tolist()
    ['image', 'prob_fake a', 'prob_fake b']
    >>> comparison.grid().shape          # one row a picture: the view, then each model's overlay
    (64, 96, 3)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakescope.data.layout import TRAINING_LIMITS
from fakescope.runtime.detector import Detector
from fakescope.runtime.images import ImageLimits
from fakescope.runtime.results import Prediction

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ModelComparison:
    """Each model's prediction on each picture: `predictions[name][i]` is model `name` on `paths[i]`."""

    paths: tuple[Path, ...]
    predictions: Mapping[str, tuple[Prediction, ...]]

    def table(self) -> pd.DataFrame:
        """One row a picture: its name and each model's P(fake)."""
        import pandas as pd

        columns = {
            f"prob_fake {name}": [p.prob_fake for p in preds] for name, preds in self.predictions.items()
        }
        return pd.DataFrame({"image": [p.name for p in self.paths], **columns})

    def grid(self, alpha: float = 0.45) -> np.ndarray:
        """uint8 rows of [what the models saw, each model's Grad-CAM overlay], one row a picture."""
        first = next(iter(self.predictions.values()))
        rows = [
            np.concatenate(
                [first[i].view, *(preds[i].overlay(alpha) for preds in self.predictions.values())], 1
            )
            for i in range(len(self.paths))
        ]
        return np.concatenate(rows, axis=0)


def compare_models(
    models: Mapping[str, Detector],
    paths: Sequence[str | os.PathLike],
    limits: ImageLimits | None = TRAINING_LIMITS,
) -> ModelComparison:
    """Run every model on every picture (decoded with `limits`: the dataset limits by default).

    Raises:
        InvalidImageError: a picture cannot be analysed.
        ValueError: no model.
    """
    if not models:
        raise ValueError("`models` must name at least one detector")
    predictions = {
        name: tuple((d if limits is None else d.with_limits(limits)).predict_batch(list(paths)))
        for name, d in models.items()
    }
    return ModelComparison(tuple(Path(p) for p in paths), predictions)
