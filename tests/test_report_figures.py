"""fakescope.report.figures: each figure shows the numbers it was given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fakescope.data.layout import ImageRecord
from fakescope.report import Scores, compute_curves
from fakescope.report.figures import (
    calibration_figure,
    confusion_figure,
    pr_figure,
    roc_figure,
    score_histogram,
)


def _scores(labels, probs) -> Scores:
    records = tuple(ImageRecord(Path(f"{i}.png"), y, "test") for i, y in enumerate(labels))
    return Scores(records, np.asarray(probs, dtype=np.float64))


@pytest.fixture(scope="module")
def scores() -> Scores:
    return _scores([0, 0, 0, 1, 1, 1, 1], [0.1, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95])


def test_roc_and_pr_plot_the_computed_curves_and_name_their_summary(scores):
    curves, metrics = compute_curves(scores), scores.metrics(0.5)
    roc = roc_figure(curves, metrics)
    np.testing.assert_allclose(roc.data[-1].x, curves.fpr)
    np.testing.assert_allclose(roc.data[-1].y, curves.tpr)
    assert f"{metrics.roc_auc:.3f}" in roc.layout.title.text
    pr = pr_figure(curves, metrics)
    np.testing.assert_allclose(pr.data[-1].x, curves.recall)
    assert f"{metrics.average_precision:.3f}" in pr.layout.title.text
    assert pr.data[0].y[0] == pytest.approx(4 / 7)  # no-skill line at the share of fakes


def test_confusion_figure_shows_counts_and_row_shares(scores):
    fig = confusion_figure(scores.metrics(0.5))  # real: 2 right, 1 flagged; fake: 1 missed, 3 caught
    assert [list(row) for row in fig.data[0].text] == [["2<br>67%", "1<br>33%"], ["1<br>25%", "3<br>75%"]]
    assert "0.50" in fig.layout.title.text


def test_histogram_marks_the_threshold_and_splits_scores_by_class(scores):
    fig = score_histogram(scores, 0.62)
    assert [len(trace.x) for trace in fig.data] == [3, 4]
    assert fig.layout.shapes[0].x0 == pytest.approx(0.62)


def test_figures_of_a_single_class_say_what_is_missing():
    scores = _scores([1, 1], [0.2, 0.9])
    curves = compute_curves(scores)
    assert "both real and fake" in roc_figure(curves, scores.metrics(0.5)).layout.annotations[0].text
    assert calibration_figure(curves).data[-1].x is not None
