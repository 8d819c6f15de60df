"""Evaluate a detector on a labelled folder and describe how good it is (tables, curves, plotly figures).

The `ModelReport` widget renders what this package computes; it computes nothing itself.

Example:
    >>> from fakescope.report import compute_curves, evaluate_folder
    >>> table = evaluate_folder(Detector(), "data/demo", split="test")
    >>> round(compute_curves(table).roc_auc, 3)
    0.981
"""

from fakescope.report.curves import (
    Curves,
    ThresholdMetrics,
    compute_curves,
    confident_mistakes,
    metrics_at,
    scored,
)
from fakescope.report.evaluate import EVAL_COLUMNS, SPLIT_CHOICES, evaluate_folder

__all__ = [
    "EVAL_COLUMNS",
    "SPLIT_CHOICES",
    "Curves",
    "ThresholdMetrics",
    "compute_curves",
    "confident_mistakes",
    "evaluate_folder",
    "metrics_at",
    "scored",
]
