"""fakescope.report curves and mistakes against hand-counted references (pairwise AUC, counted matrices)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fakescope.data.layout import ImageRecord
from fakescope.report import Rejection, Scores, compute_curves, confident_mistakes


def _scores(labels, probs, rejected_labels=()) -> Scores:
    records = tuple(ImageRecord(Path(f"img{i}.png"), int(y), "test") for i, y in enumerate(labels))
    rejected = tuple(
        Rejection(ImageRecord(Path(f"bad{i}.png"), int(y), "test"), f"bad{i}.png: damaged")
        for i, y in enumerate(rejected_labels)
    )
    return Scores(records, np.asarray(probs, dtype=np.float64), rejected)


@pytest.fixture(scope="module")
def scores() -> Scores:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300)
    return _scores(labels, np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0.001, 0.999))


def _pairwise_auc(labels: np.ndarray, probs: np.ndarray) -> float:
    pos, neg = probs[labels == 1], probs[labels == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_roc_auc_matches_the_pairwise_ranking_probability_and_the_curve(scores):
    auc = scores.metrics(0.5).roc_auc
    assert auc == pytest.approx(_pairwise_auc(scores.labels, scores.prob_fake))
    curves = compute_curves(scores)
    assert curves.fpr[0] == 0 and curves.tpr[-1] == 1 and np.all(np.diff(curves.fpr) >= 0)
    assert np.trapezoid(curves.tpr, curves.fpr) == pytest.approx(auc)


def test_calibration_bins_hold_the_mean_prediction_and_observed_share(scores):
    curves = compute_curves(scores, n_bins=5)
    bins = np.minimum((scores.prob_fake * 5).astype(int), 4)
    present = np.unique(bins)
    np.testing.assert_allclose(curves.calibration_pred, [scores.prob_fake[bins == b].mean() for b in present])
    np.testing.assert_allclose(curves.calibration_true, [scores.labels[bins == b].mean() for b in present])


def test_confusion_matrix_counts_decisions_at_the_threshold(scores):
    y, p = scores.labels, scores.prob_fake
    for threshold in (0.3, 0.5, 0.71):
        m = scores.metrics(threshold)
        fake = p >= threshold
        expected = [
            [np.sum((y == 0) & ~fake), np.sum((y == 0) & fake)],
            [np.sum((y == 1) & ~fake), np.sum((y == 1) & fake)],
        ]
        np.testing.assert_array_equal(m.matrix, expected)
        assert m.accuracy == pytest.approx(np.mean(fake == (y == 1)))
        assert m.tpr == pytest.approx(np.sum((y == 1) & fake) / np.sum(y == 1))
        assert m.fpr == pytest.approx(np.sum((y == 0) & fake) / np.sum(y == 0))
        assert m.balanced_accuracy == pytest.approx((m.tpr + 1 - m.fpr) / 2)


def test_single_class_leaves_ranking_curves_empty_and_rates_undefined():
    s = _scores([0, 0, 0], [0.2, 0.6, 0.9])
    assert compute_curves(s).fpr.size == 0
    m = s.metrics(0.5)
    assert m.roc_auc is None and m.average_precision is None
    assert m.tpr is None and m.balanced_accuracy is None and m.fpr == pytest.approx(2 / 3)


def test_rejected_records_are_left_out_of_the_numbers_and_kept_in_the_table():
    s = _scores([0, 1], [0.1, 0.8], rejected_labels=[1])
    assert s.metrics(0.5).matrix.sum() == 2 and len(s.rejected) == 1
    table = s.table()
    assert table["path"].tolist() == ["bad0.png", "img0.png", "img1.png"]
    assert np.isnan(table["prob_fake"].iloc[0]) and table["error"].iloc[0] == "bad0.png: damaged"
    assert repr(s) == "Scores(2 scored: 1 real, 1 fake; 1 rejected)"


def test_parts_concatenate_into_the_scores_of_the_whole():
    whole = Scores.concat([_scores([0, 1], [0.2, 0.7]), _scores([1], [0.9], rejected_labels=[0])])
    assert whole.labels.tolist() == [0, 1, 1] and whole.prob_fake.tolist() == [0.2, 0.7, 0.9]
    assert len(whole.rejected) == 1 and not whole.prob_fake.flags.writeable


def test_nothing_scored_is_refused():
    with pytest.raises(ValueError, match="no scored image"):
        compute_curves(_scores([], [], rejected_labels=[1]))


def test_threshold_outside_the_open_unit_interval_is_refused(scores):
    with pytest.raises(ValueError, match="threshold"):
        scores.metrics(1.0)


def test_confident_mistakes_are_the_wrong_answers_sorted_by_the_probability_given_to_them():
    s = _scores([0, 0, 1, 1, 0, 1], [0.95, 0.4, 0.03, 0.6, 0.7, 0.45])
    mistakes = confident_mistakes(s, 0.5, k=3)
    assert mistakes["path"].tolist() == ["img2.png", "img0.png", "img4.png"]
    assert mistakes.index.tolist() == [2, 0, 4]
    np.testing.assert_allclose(mistakes["confidence"], [0.97, 0.95, 0.7])
    assert mistakes["predicted"].tolist() == [0, 1, 1]
