"""Robustness: the test split re-scored after each degradation (JPEG 50 and 75, blur, half size, a PNG round
trip), with ROC AUC per degradation and the share of verdicts that flip.

Example:
    >>> figures = robustness(Detector(model), records)
    >>> figures["jpeg50"]
    {'roc_auc': 0.962, 'flipped': 0.044, 'n': 90}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fakescope.data.layout import TRAINING_LIMITS, ImageRecord
from fakescope.runtime.degrade import DEGRADATIONS, ROBUSTNESS
from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.images import DecodedImage, load_image
from fakescope.runtime.results import Prediction


def robustness(
    detector: Detector, records: Sequence[ImageRecord], degradations: Sequence[str] = ROBUSTNESS
) -> dict[str, Any]:
    """{"clean": {...}, name: {"roc_auc", "flipped", "n"}, ...} over the readable `records`."""
    from sklearn.metrics import roc_auc_score

    decoded, labels = [], []
    for record in records:
        try:
            decoded.append(load_image(record.path, TRAINING_LIMITS))
            labels.append(record.label)
        except InvalidImageError:
            continue
    y = np.array(labels, int)
    scorer = detector.with_limits(TRAINING_LIMITS)

    def judge(images: list[DecodedImage]) -> list[Prediction]:
        return [p for p in scorer.predict_batch(images) if isinstance(p, Prediction)]

    clean = judge(decoded)
    two = len(np.unique(y)) == 2
    out: dict[str, Any] = {
        "clean": {
            "roc_auc": float(roc_auc_score(y, [p.prob_fake for p in clean])) if two else None,
            "n": len(clean),
        }
    }
    for name in degradations:
        degraded = judge([DecodedImage(DEGRADATIONS[name](d.pixels), d.info) for d in decoded])
        probs = [p.prob_fake for p in degraded]
        out[name] = {
            "roc_auc": float(roc_auc_score(y, probs)) if two else None,
            "flipped": float(np.mean([a.verdict != b.verdict for a, b in zip(clean, degraded, strict=True)])),
            "n": len(degraded),
        }
    return out
