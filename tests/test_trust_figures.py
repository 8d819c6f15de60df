"""The "how sure" figures: each plots exactly what `fakescope.uncertainty` computed; the model report shows
them for the model it evaluates."""

from __future__ import annotations

import numpy as np
import pytest
from browser_support import MODEL_SEED, write_dataset
from onnx_fixtures import write_tiny_model

from fakescope.report.trust_figures import reliability_figure, risk_coverage_figure, robustness_figure
from fakescope.uncertainty import reliability, risk_coverage, selective
from fakescope.widgets import ModelReport
from fakescope.widgets.plots import PLOTLY_MIME


def synthetic(seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.r_[np.zeros(40, int), np.ones(60, int)]
    return labels, np.r_[rng.beta(2, 5, 40), rng.beta(5, 2, 60)]


def test_reliability_figure_plots_the_non_empty_bins_after_and_before():
    labels, prob = synthetic()
    after, before = reliability(labels, prob), reliability(labels, prob**2)
    fig = reliability_figure(after, before)
    traces = {trace.name: trace for trace in fig.data}
    kept = [i for i, n in enumerate(after.counts) if n]
    assert list(traces["calibrated"].x) == [after.mean_prob[i] for i in kept]
    assert list(traces["calibrated"].y) == [after.frac_fake[i] for i in kept]
    assert (
        f"ECE {after.ece:.3f}" in fig.layout.title.text
        and f"{before.ece:.3f} before" in fig.layout.title.text
    )


def test_risk_coverage_figure_plots_the_curve_and_the_checks_operating_point():
    labels, prob = synthetic(1)
    curve = risk_coverage(labels, prob, 0.5)
    answered = selective(labels, prob, np.abs(prob - 0.5) > 0.2, 0.5)
    fig = risk_coverage_figure(curve, answered)
    assert list(fig.data[0].y) == list(curve.risk) and f"{curve.area:.4f}" in fig.layout.title.text
    assert fig.data[1].x[0] == pytest.approx(answered.coverage)
    assert fig.data[1].y[0] == pytest.approx(1 - answered.accuracy)


def test_robustness_figure_has_one_bar_per_degradation():
    figures = {"clean": {"roc_auc": 0.97, "n": 90}, "jpeg50": {"roc_auc": 0.9, "flipped": 0.1, "n": 90}}
    (bars,) = robustness_figure(figures).data
    assert list(bars.x) == ["clean", "jpeg50"] and list(bars.y) == [0.97, 0.9]
    assert bars.text[1] == "10% flipped"


def test_the_model_report_draws_the_reliability_diagram_and_the_risk_coverage_curve(tmp_path):
    model = write_tiny_model(tmp_path / "tiny.onnx", seed=MODEL_SEED)
    report = ModelReport(model, write_dataset(tmp_path / "faces", per_class=5))
    scores = report.evaluate()
    for out, title in ((report.reliability, "Reliability"), (report.risk_coverage, "Risk-coverage")):
        (output,) = out.outputs
        assert output["data"][PLOTLY_MIME]["layout"]["title"]["text"].startswith(title)
    curve = risk_coverage(scores.labels, scores.prob_fake, report.threshold.value)
    (output,) = report.risk_coverage.outputs
    assert output["data"][PLOTLY_MIME]["data"][0]["y"] == pytest.approx(list(curve.risk))
