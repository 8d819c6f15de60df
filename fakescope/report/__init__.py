"""The evaluation path: score labelled images with a `Detector`, measure, and describe how good it is.

`score_records` (detector + labelled records → `Scores`: labels, P(fake), rejections) is the one scoring
function; `BinaryMetrics` the one metrics type; `compute_curves`, `confident_mistakes` and
`fakescope.report.figures` describe a `Scores`. Nothing here imports TensorFlow or pandas at import time, so
batch tools build on it. The `ModelReport` widget renders what this package computes; it computes nothing.

Example:
    >>> from fakescope.report import evaluate_folder
    >>> scores = evaluate_folder(Detector(model), dataset, split="test")     # the dataset's image limits
    >>> scores.metrics(0.5).n_real, scores.metrics(0.5).n_fake
    (2, 2)
"""

from fakescope.report.curves import Curves, compute_curves, confident_mistakes
from fakescope.report.evaluate import SPLIT_CHOICES, evaluate_folder
from fakescope.report.metrics import BinaryMetrics, binary_metrics, choose_threshold, equal_error_rate
from fakescope.report.scoring import EVAL_COLUMNS, Rejection, Scores, score_records

__all__ = [
    "EVAL_COLUMNS",
    "SPLIT_CHOICES",
    "BinaryMetrics",
    "Curves",
    "Rejection",
    "Scores",
    "binary_metrics",
    "choose_threshold",
    "compute_curves",
    "confident_mistakes",
    "equal_error_rate",
    "evaluate_folder",
    "score_records",
]
