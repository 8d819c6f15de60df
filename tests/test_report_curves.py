"""fakescope.report.curves against hand-counted references (pairwise AUC, counted confusion matrices)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fakescope.report import compute_curves, confident_mistakes, metrics_at, scored


def _table(labels, probs, errors=None) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame(
        {
            "path": [f"img{i}.png" for i in range(n)],
            "split": "test",
            "label": np.asarray(labels, dtype=np.int64),
            "prob_fake": np.asarray(probs, dtype=np.float64),
            "error": errors or [""] * n,
        }
    )


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300)
    probs = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.001, 0.999)
    return _table(labels, probs)


def _pairwise_auc(labels: np.ndarray, probs: np.ndarray) -> float:
    pos, neg = probs[labels == 1], probs[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_the_pairwise_ranking_probability(table):
    curves = compute_curves(table)
    assert curves.roc_auc == pytest.approx(_pairwise_auc(table.label.to_numpy(), table.prob_fake.to_numpy()))
    assert curves.fpr[0] == 0 and curves.tpr[-1] == 1 and np.all(np.diff(curves.fpr) >= 0)


def test_calibration_bins_hold_the_mean_prediction_and_observed_share(table):
    curves = compute_curves(table, n_bins=5)
    bins = np.minimum((table.prob_fake * 5).astype(int), 4)
    expected = table.groupby(bins).agg(pred=("prob_fake", "mean"), true=("label", "mean"))
    np.testing.assert_allclose(curves.calibration_pred, expected["pred"].to_numpy())
    np.testing.assert_allclose(curves.calibration_true, expected["true"].to_numpy())


def test_confusion_matrix_counts_decisions_at_the_threshold(table):
    y, p = table.label.to_numpy(), table.prob_fake.to_numpy()
    for threshold in (0.3, 0.5, 0.71):
        m = metrics_at(table, threshold)
        fake = p >= threshold
        expected = [
            [np.sum((y == 0) & ~fake), np.sum((y == 0) & fake)],
            [np.sum((y == 1) & ~fake), np.sum((y == 1) & fake)],
        ]
        np.testing.assert_array_equal(m.confusion, expected)
        assert m.accuracy == pytest.approx(np.mean(fake == (y == 1)))
        assert m.recall == pytest.approx(np.sum((y == 1) & fake) / np.sum(y == 1))
        assert m.false_positive_rate == pytest.approx(np.sum((y == 0) & fake) / np.sum(y == 0))
        assert m.balanced_accuracy == pytest.approx((m.recall + 1 - m.false_positive_rate) / 2)


def test_single_class_leaves_ranking_curves_empty_and_rates_undefined():
    t = _table([0, 0, 0], [0.2, 0.6, 0.9])
    curves = compute_curves(t)
    assert curves.roc_auc is None and curves.average_precision is None and curves.fpr.size == 0
    m = metrics_at(t, 0.5)
    assert m.recall is None and m.balanced_accuracy is None and m.false_positive_rate == pytest.approx(2 / 3)


def test_rejected_rows_are_left_out_and_counted():
    t = _table([0, 1, 1], [0.1, np.nan, 0.8], errors=["", "bad.png: damaged", ""])
    assert len(scored(t)) == 2
    assert compute_curves(t).n_errors == 1
    assert metrics_at(t, 0.5).confusion.sum() == 2


def test_no_scored_row_is_refused():
    with pytest.raises(ValueError, match="no scored image"):
        compute_curves(_table([1], [np.nan], errors=["x"]))


def test_threshold_outside_the_open_unit_interval_is_refused(table):
    with pytest.raises(ValueError, match="threshold"):
        metrics_at(table, 1.0)


def test_confident_mistakes_are_the_wrong_answers_sorted_by_the_probability_given_to_them():
    t = _table([0, 0, 1, 1, 0, 1], [0.95, 0.4, 0.03, 0.6, 0.7, 0.45])
    mistakes = confident_mistakes(t, 0.5, k=3)
    assert mistakes["path"].tolist() == ["img2.png", "img0.png", "img4.png"]
    np.testing.assert_allclose(mistakes["confidence"], [0.97, 0.95, 0.7])
    assert mistakes["predicted"].tolist() == [0, 1, 1]
