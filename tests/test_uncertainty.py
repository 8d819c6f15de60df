"""The statistics behind honest numbers, each against an independent computation (scikit-learn, scipy,
brute-force loops) on synthetic scores built here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from fakescope.runtime.calibrated import calibrated_prob
from fakescope.runtime.conformal import class_thresholds, conformal_quantile, prediction_set
from fakescope.uncertainty import (
    bootstrap_intervals,
    fit_temperature,
    log_loss_of_logits,
    reliability,
    risk_coverage,
    selective,
)
from fakescope.uncertainty.conformal import calibration_scores, coverage


def miscalibrated(n: int, seed: int, overconfidence: float = 3.0):
    """Labels drawn from sigmoid(z), and a model reporting overconfidence * z."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, n)
    labels = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return labels, overconfidence * z


def test_temperature_lowers_held_out_log_loss_of_overconfident_scores():
    labels, logits = miscalibrated(2000, seed=1)
    held_labels, held_logits = miscalibrated(2000, seed=2)
    t = fit_temperature(labels, logits)
    assert t == pytest.approx(3.0, rel=0.15)
    assert (
        log_loss_of_logits(held_labels, held_logits, t) < log_loss_of_logits(held_labels, held_logits) - 0.05
    )


def test_temperature_equals_a_one_weight_logistic_regression():
    labels, logits = miscalibrated(1500, seed=3)
    weight = LogisticRegression(fit_intercept=False, C=1e10, tol=1e-10, max_iter=1000)
    weight.fit(logits[:, None], labels)
    assert fit_temperature(labels, logits) == pytest.approx(1 / weight.coef_[0, 0], rel=1e-3)


def test_calibrated_prob_is_the_sigmoid_of_the_scaled_logit_without_overflow():
    logits = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    expected = 1 / (1 + np.exp(-np.clip(logits / 2.0, -700, 700)))
    np.testing.assert_allclose(calibrated_prob(logits, 2.0), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="temperature"):
        calibrated_prob(logits, 0.0)


def test_ece_and_reliability_match_scikit_learns_calibration_curve():
    rng = np.random.default_rng(4)
    prob = rng.beta(0.7, 0.7, 3000)
    labels = (rng.random(3000) < prob**1.5).astype(int)
    table = reliability(labels, prob, bins=10)
    frac, mean = calibration_curve(labels, prob, n_bins=10, strategy="uniform")
    counts, _ = np.histogram(prob, bins=np.linspace(0, 1, 11))
    assert list(table.counts) == list(counts)
    np.testing.assert_allclose([f for f in table.frac_fake if f is not None], frac, rtol=1e-12)
    np.testing.assert_allclose([m for m in table.mean_prob if m is not None], mean, rtol=1e-12)
    expected = np.sum(counts[counts > 0] / len(prob) * np.abs(frac - mean))
    assert table.ece == pytest.approx(expected, rel=1e-12) and table.ece > 0.05


def test_conformal_quantile_is_the_finite_sample_corrected_order_statistic():
    scores = np.random.default_rng(5).random(37)
    for alpha in (0.05, 0.1, 0.3):
        rank = math.ceil(38 * (1 - alpha))  # the smallest score whose empirical CDF reaches rank / 37
        assert conformal_quantile(scores, alpha) == np.quantile(
            scores, (rank - 0.5) / 37, method="inverted_cdf"
        )
    assert conformal_quantile(scores[:10], 0.05) == math.inf  # 10 scores cannot promise 95%


def synthetic_scores(rng, n_real: int, n_fake: int):
    """P(fake) of an imperfect detector: reals ~ Beta(2, 5), fakes ~ Beta(5, 2)."""
    labels = np.r_[np.zeros(n_real, int), np.ones(n_fake, int)]
    return labels, np.r_[rng.beta(2, 5, n_real), rng.beta(5, 2, n_fake)]


@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_class_conditional_conformal_covers_each_class_at_1_minus_alpha_over_many_seeds(alpha):
    covered = {"REAL": [], "FAKE": []}
    for seed in range(200):
        rng = np.random.default_rng(seed)
        scores = calibration_scores(*synthetic_scores(rng, 60, 90))
        test_labels, test_prob = synthetic_scores(rng, 400, 400)
        for name, share in coverage(test_labels, test_prob, scores, alpha).items():
            covered[name].append(share)
    for name, n in (("REAL", 60), ("FAKE", 90)):
        mean = np.mean(covered[name])
        # Guaranteed >= 1 - alpha, and by exchangeability <= 1 - alpha + 1 / (n + 1); 3 standard errors slack.
        slack = 3 * np.std(covered[name]) / np.sqrt(len(covered[name]))
        assert 1 - alpha - slack <= mean <= 1 - alpha + 1 / (n + 1) + slack, (name, mean)


def test_prediction_sets_hold_both_labels_neither_or_one():
    thresholds = {"REAL": 0.4, "FAKE": 0.3}
    assert prediction_set(0.9, thresholds) == ("FAKE",)
    assert prediction_set(0.1, thresholds) == ("REAL",)
    assert prediction_set(0.5, thresholds) == ()
    assert prediction_set(0.65, {"REAL": 0.7, "FAKE": 0.7}) == ("REAL", "FAKE")
    scores = {"REAL": [0.1, 0.2, 0.3], "FAKE": [0.05]}
    assert class_thresholds(scores, 0.4) == {"REAL": 0.3, "FAKE": math.inf}


def test_bootstrap_points_are_scikit_learns_metrics():
    rng = np.random.default_rng(6)
    labels, prob = synthetic_scores(rng, 15, 75)
    found = bootstrap_intervals(labels, prob, threshold=0.5, resamples=200)
    assert found["roc_auc"].value == pytest.approx(roc_auc_score(labels, prob), abs=1e-12)
    assert found["average_precision"].value == pytest.approx(average_precision_score(labels, prob), abs=1e-12)
    assert found["tpr"].value == pytest.approx(np.mean(prob[labels == 1] >= 0.5))
    assert found["fpr"].value == pytest.approx(np.mean(prob[labels == 0] >= 0.5))
    assert found["accuracy"].value == pytest.approx(np.mean((prob >= 0.5) == labels))
    for interval in found.metrics.values():
        assert interval.low <= interval.value <= interval.high
    assert found.text("roc_auc").endswith("15 real / 75 fake")
    again = bootstrap_intervals(labels, prob, threshold=0.5, resamples=200)
    assert again == found  # seeded


def test_bootstrap_intervals_are_the_quantiles_of_scikit_learns_metric_on_each_resample():
    rng = np.random.default_rng(8)
    labels, prob = synthetic_scores(rng, 12, 30)
    prob = np.round(prob, 1)  # ties, which average precision steps over as one
    found = bootstrap_intervals(labels, prob, resamples=300, seed=4, level=0.9)
    draw = np.random.default_rng(4)  # the stratified draw the docstring describes, real images first
    real, fake = prob[labels == 0], prob[labels == 1]
    rows = np.concatenate(
        [
            real[draw.integers(0, len(real), (300, len(real)))],
            fake[draw.integers(0, len(fake), (300, len(fake)))],
        ],
        axis=1,
    )
    truth = np.r_[np.zeros(len(real)), np.ones(len(fake))]
    for name, metric in (("average_precision", average_precision_score), ("roc_auc", roc_auc_score)):
        values = [metric(truth, row) for row in rows]
        low, high = np.quantile(values, [0.05, 0.95])
        assert (found[name].low, found[name].high) == pytest.approx((low, high), abs=1e-12), name


def test_bootstrap_intervals_cover_a_known_auc_at_about_the_nominal_rate():
    shift = 1.2
    true_auc = norm.cdf(shift / np.sqrt(2))  # binormal, unit variances
    hits = []
    for seed in range(200):
        rng = np.random.default_rng(1000 + seed)
        labels = np.r_[np.zeros(60, int), np.ones(60, int)]
        scores = np.r_[rng.normal(0, 1, 60), rng.normal(shift, 1, 60)]
        interval = bootstrap_intervals(labels, scores, resamples=400, seed=seed, metrics=("roc_auc",))
        hits.append(interval["roc_auc"].low <= true_auc <= interval["roc_auc"].high)
    assert 0.89 <= np.mean(hits) <= 0.99


def test_selective_prediction_against_direct_computation():
    rng = np.random.default_rng(7)
    labels, prob = synthetic_scores(rng, 50, 70)
    answered = np.abs(prob - 0.5) > 0.2
    found = selective(labels, prob, answered, threshold=0.5)
    assert found.coverage == pytest.approx(answered.mean()) and found.n_answered == answered.sum()
    assert found.accuracy == pytest.approx(np.mean((prob[answered] >= 0.5) == labels[answered]))
    assert found.roc_auc == pytest.approx(roc_auc_score(labels[answered], prob[answered]))
    curve = risk_coverage(labels, prob, threshold=0.5)
    confidence = np.maximum(prob, 1 - prob)
    order = sorted(range(len(prob)), key=lambda i: -confidence[i])
    risks = [np.mean([(prob[i] >= 0.5) != labels[i] for i in order[:k]]) for k in range(1, len(prob) + 1)]
    np.testing.assert_allclose(curve.risk, risks)
    assert curve.coverage[-1] == 1.0 and curve.area == pytest.approx(np.mean(risks))
    assert curve.risk[-1] == pytest.approx(1 - np.mean((prob >= 0.5) == labels))


def test_robustness_figures_equal_a_direct_rescoring_of_independently_degraded_images(tmp_path):
    from io import BytesIO

    from onnx_fixtures import write_tiny_model
    from PIL import Image
    from support.export_runs import write_dataset

    from fakescope.data.layout import TRAINING_LIMITS, discover
    from fakescope.runtime import Detector, load_image
    from fakescope.runtime.degrade import DEGRADATIONS
    from fakescope.uncertainty.robustness import robustness

    records = discover(write_dataset(tmp_path / "data", per_class=8, side=48, seed=5))
    detector = Detector(write_tiny_model(tmp_path / "m.onnx"))

    def jpeg50(image: Image.Image) -> Image.Image:
        buffer = BytesIO()
        image.save(buffer, "JPEG", quality=50)
        return Image.open(BytesIO(buffer.getvalue())).convert("RGB")

    def half(image: Image.Image) -> Image.Image:
        return image.resize(
            (image.width // 2, image.height // 2), Image.Resampling.BILINEAR, reducing_gap=None
        )

    found = robustness(detector, records, degradations=("jpeg50", "half"))
    labels = [r.label for r in records]
    pictures = [Image.fromarray(load_image(r.path, TRAINING_LIMITS).pixels) for r in records]
    scorer = detector.with_limits(TRAINING_LIMITS)  # the half-size copies are 24 px
    clean = [scorer.predict(np.asarray(p)) for p in pictures]
    assert found["clean"]["roc_auc"] == pytest.approx(roc_auc_score(labels, [p.prob_fake for p in clean]))
    for name, degrade in (("jpeg50", jpeg50), ("half", half)):
        copies = [np.asarray(degrade(p)) for p in pictures]
        for picture, copy in zip(pictures, copies, strict=True):
            np.testing.assert_array_equal(DEGRADATIONS[name](np.asarray(picture)), copy)
        judged = [scorer.predict(copy) for copy in copies]
        assert found[name]["n"] == len(records)
        assert found[name]["roc_auc"] == pytest.approx(roc_auc_score(labels, [p.prob_fake for p in judged]))
        flipped = np.mean([a.verdict != b.verdict for a, b in zip(clean, judged, strict=True)])
        assert found[name]["flipped"] == pytest.approx(flipped)
