"""fakescope.report.figures: each figure shows the numbers it was given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakescope.report import compute_curves, metrics_at
from fakescope.report.figures import (
    calibration_figure,
    confusion_figure,
    pr_figure,
    roc_figure,
    score_histogram,
)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    labels = np.array([0, 0, 0, 1, 1, 1, 1])
    probs = np.array([0.1, 0.3, 0.8, 0.4, 0.7, 0.9, 0.95])
    return pd.DataFrame(
        {"path": list("abcdefg"), "split": "test", "label": labels, "prob_fake": probs, "error": ""}
    )


def test_roc_and_pr_plot_the_computed_curves_and_name_their_summary(table):
    curves = compute_curves(table)
    roc = roc_figure(curves)
    np.testing.assert_allclose(roc.data[-1].x, curves.fpr)
    np.testing.assert_allclose(roc.data[-1].y, curves.tpr)
    assert f"{curves.roc_auc:.3f}" in roc.layout.title.text
    pr = pr_figure(curves)
    np.testing.assert_allclose(pr.data[-1].x, curves.recall)
    assert pr.data[0].y[0] == pytest.approx(4 / 7)  # no-skill line at the share of fakes


def test_confusion_figure_shows_counts_and_row_shares(table):
    metrics = metrics_at(table, 0.5)  # real: 2 right, 1 flagged; fake: 1 missed, 3 caught
    fig = confusion_figure(metrics)
    assert [list(row) for row in fig.data[0].text] == [["2<br>67%", "1<br>33%"], ["1<br>25%", "3<br>75%"]]
    assert "0.50" in fig.layout.title.text


def test_histogram_marks_the_threshold_and_splits_scores_by_class(table):
    fig = score_histogram(table, 0.62)
    assert [len(trace.x) for trace in fig.data] == [3, 4]
    assert fig.layout.shapes[0].x0 == pytest.approx(0.62)


def test_figures_of_a_single_class_say_what_is_missing():
    t = pd.DataFrame(
        {"path": ["a", "b"], "split": "test", "label": [1, 1], "prob_fake": [0.2, 0.9], "error": ""}
    )
    curves = compute_curves(t)
    assert "both real and fake" in roc_figure(curves).layout.annotations[0].text
    assert calibration_figure(curves).data[-1].x is not None
