"""Robustness: the test split re-scored after each degradation (JPEG 50 and 75, blur, half size, a PNG round
trip), with ROC AUC per degradation and the share of verdicts that flip. Every pass is the one scoring path
(`score_records`), its `degrade` hook applied to the decoded pixels.

Example:
    >>> figures = robustness(Detector(model), records)
    >>> figures["jpeg50"]
    {'roc_auc': 0.962, 'flipped': 0.044, 'n': 90}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fakescope.data.layout import ImageRecord
from fakescope.report.scoring import Scores, score_records
from fakescope.runtime.checks import UNSURE
from fakescope.runtime.degrade import DEGRADATIONS, ROBUSTNESS
from fakescope.runtime.detector import Detector
from fakescope.runtime.spec import class_name


def robustness(
    detector: Detector, records: Sequence[ImageRecord], degradations: Sequence[str] = ROBUSTNESS
) -> dict[str, Any]:
    """{"clean": {"roc_auc", "n"}, name: {"roc_auc", "flipped", "n"}, ...} over the readable `records`.

    `flipped` is the share of the images scored both clean and degraded whose verdict (at the detector's
    threshold) changed; `roc_auc` is None when the scored images hold one class only.
    """
    clean = score_records(detector, records)
    out: dict[str, Any] = {"clean": {"roc_auc": _roc_auc(clean), "n": len(clean.records)}}
    before = dict(zip(clean.records, _verdicts(clean, detector.threshold), strict=True))
    for name in degradations:
        degraded = score_records(detector, records, degrade=DEGRADATIONS[name])
        after = zip(degraded.records, _verdicts(degraded, detector.threshold), strict=True)
        changed = [before[record] != verdict for record, verdict in after if record in before]
        out[name] = {
            "roc_auc": _roc_auc(degraded),
            "flipped": float(np.mean(changed)) if changed else 0.0,
            "n": len(degraded.records),
        }
    return out


def _verdicts(scores: Scores, threshold: float) -> list[str]:
    """The verdicts the detector gave (its checks' reasons were judged at `threshold`, its own)."""
    reasons = scores.reasons or ((),) * len(scores.records)
    return [
        UNSURE if why else class_name(p, threshold) for p, why in zip(scores.prob_fake, reasons, strict=True)
    ]


def _roc_auc(scores: Scores) -> float | None:
    return scores.metrics(0.5).roc_auc if scores.records else None
