"""Metrics and threshold choice, checked against brute-force references computed here."""

from __future__ import annotations

import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from sklearn import metrics as sk

from fakescope.report.metrics import binary_metrics, choose_threshold, equal_error_rate


def _pairwise_auc(y, p):
    """P(score of a fake > score of a real) + half the ties: the definition of ROC AUC."""
    fakes, reals = p[y == 1], p[y == 0]
    wins = sum((f > r) + 0.5 * (f == r) for f, r in itertools.product(fakes, reals))
    return wins / (len(fakes) * len(reals))


def _scores(seed=0, n=80):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    return y, np.round(p, 2)  # rounding creates ties


def test_auc_matches_the_pairwise_definition_with_ties():
    y, p = _scores()
    assert binary_metrics(y, p).roc_auc == pytest.approx(_pairwise_auc(y, p), abs=1e-12)


def test_confusion_accuracy_and_log_loss_match_hand_counts():
    y = np.array([0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.7, 0.2, 0.9, 0.5])
    m = binary_metrics(y, p, threshold=0.5)
    assert m.confusion == {"tn": 2, "fp": 1, "fn": 1, "tp": 3}
    assert m.accuracy == pytest.approx(5 / 7)
    assert m.balanced_accuracy == pytest.approx((2 / 3 + 3 / 4) / 2)
    expected_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert m.log_loss == pytest.approx(expected_loss)
    assert (m.n, m.n_real, m.n_fake, m.tpr, m.fpr) == (7, 3, 4, 0.75, pytest.approx(1 / 3))


def test_separable_scores_give_perfect_auc_and_zero_eer():
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    m = binary_metrics(y, p)
    assert (m.roc_auc, m.average_precision, m.eer) == (1.0, 1.0, 0.0)


def test_eer_of_a_known_crossing():
    # with cuts at each score, FPR and FNR meet at 1/4 (one of four reals above, one of four fakes below)
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.4, 0.8, 0.85, 0.9])
    assert equal_error_rate(y, p) == pytest.approx(0.25)


def test_threshold_maximises_balanced_accuracy_over_every_cut():
    y, p = _scores(seed=3)
    threshold = choose_threshold(y, p)
    best = max(binary_metrics(y, p, t).balanced_accuracy for t in np.unique(p))
    assert binary_metrics(y, p, threshold).balanced_accuracy == pytest.approx(best)
    assert threshold not in set(p)  # halfway between scores, not on one


@pytest.mark.parametrize("target", [0.0, 0.05, 0.2, 1.0])
def test_threshold_for_a_target_fpr_is_the_most_sensitive_cut_within_it(target):
    y, p = _scores(seed=5)
    threshold = choose_threshold(y, p, target_fpr=target)
    chosen = binary_metrics(y, p, threshold)
    assert chosen.fpr <= target + 1e-12
    allowed = [binary_metrics(y, p, t) for t in [*np.unique(p), 1.01]]
    best_tpr = max(m.tpr for m in allowed if m.fpr <= target + 1e-12)
    assert chosen.tpr == pytest.approx(best_tpr)


def test_threshold_stays_inside_the_open_interval_for_saturated_scores():
    y = np.array([0, 0, 1, 1])
    assert 0 < choose_threshold(y, np.array([0.0, 0.0, 1.0, 1.0])) < 1
    assert 0 < choose_threshold(y, np.array([1.0, 1.0, 1.0, 1.0]), target_fpr=0.0) < 1


def test_one_class_refuses_a_threshold_and_reports_undefined_scores():
    with pytest.raises(ValueError, match="both real and fake"):
        choose_threshold([1, 1, 1], [0.2, 0.5, 0.9])
    m = binary_metrics([1, 1, 1], [0.2, 0.5, 0.9])
    assert m.roc_auc is None and m.eer is None and m.fpr is None
    assert json.loads(json.dumps(m.as_dict()))["roc_auc"] is None


@pytest.mark.parametrize(
    "labels, prob",
    [([0, 1], [0.5]), ([], []), ([0, 2], [0.1, 0.2]), ([0, 1], [0.1, 1.5]), ([0, 1], [0.1, math.nan])],
)
def test_bad_inputs_raise_value_error(labels, prob):
    with pytest.raises(ValueError):
        binary_metrics(labels, prob)


def test_the_evaluation_path_imports_no_tensorflow_and_no_pandas_until_it_computes():
    code = (
        "import sys, fakescope.report as r; heavy = ('tensorflow', 'keras', 'pandas', 'plotly'); "
        "print(sorted(m for m in heavy if m in sys.modules)); r.binary_metrics([0, 1], [0.2, 0.7]); "
        "print(sorted(m for m in heavy[:2] if m in sys.modules))"  # scikit-learn itself imports pandas
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]"]


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.61])
def test_every_field_agrees_with_scikit_learn(threshold):
    y, p = _scores(seed=11)
    m = binary_metrics(y, p, threshold)
    predicted = (p >= threshold).astype(int)
    (tn, fp), (fn, tp) = sk.confusion_matrix(y, predicted, labels=[0, 1])
    assert m.confusion == {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
    np.testing.assert_array_equal(m.matrix, sk.confusion_matrix(y, predicted, labels=[0, 1]))
    assert m.accuracy == pytest.approx(sk.accuracy_score(y, predicted))
    assert m.balanced_accuracy == pytest.approx(sk.balanced_accuracy_score(y, predicted))
    assert m.precision == pytest.approx(sk.precision_score(y, predicted))
    assert m.tpr == pytest.approx(sk.recall_score(y, predicted))
    assert m.fpr == pytest.approx(1 - sk.recall_score(y, predicted, pos_label=0))
    assert m.roc_auc == pytest.approx(sk.roc_auc_score(y, p))
    assert m.average_precision == pytest.approx(sk.average_precision_score(y, p))
    assert m.log_loss == pytest.approx(sk.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7)))


def test_metrics_at_another_threshold_reuse_the_rankings_and_redo_the_decisions(monkeypatch):
    y, p = _scores(seed=2)
    first = binary_metrics(y, p, 0.5)
    calls = []
    real = sk.roc_auc_score
    monkeypatch.setattr(sk, "roc_auc_score", lambda *a, **k: calls.append(1) or real(*a, **k))
    moved = first.at(y, p, 0.3)
    assert calls == []
    assert moved == binary_metrics(y, p, 0.3)
    assert len(calls) == 1  # only the fresh computation ran it
    with pytest.raises(ValueError, match="of 80 scores"):
        first.at(y[:10], p[:10], 0.3)
