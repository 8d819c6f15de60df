"""End to end: `fakescope dashboard evaluate` (the model report) in Debian's chromium, offline."""

from __future__ import annotations

import time

import pytest
from browser_support import MODEL_SEED, dashboard_page, record_timings, write_dataset
from onnx_fixtures import write_tiny_model
from support.browser import BROWSER, click_refused, served, type_folder

from fakescope.report import evaluate_folder
from fakescope.runtime import Detector
from fakescope.widgets.folders import REFUSED

pytestmark = BROWSER
FIGURES = [
    "ROC curve",
    "Precision-recall",
    "Confusion matrix",
    "Scores per class",
    "Calibration",
    "Reliability",
    "Risk-coverage",
]
"""The report's figures in page order; the tiny test model's card has no robustness figures."""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    model = write_tiny_model(folder / "tiny.onnx", seed=MODEL_SEED)
    data = write_dataset(folder / "faces", per_class=6)
    with served(["evaluate", "--model", str(model), "--data", str(data)], folder / "voila.log") as server:
        yield model, data, server


def test_model_report_evaluates_and_shows_curves_matrix_and_mistakes(setup):
    model, data, server = setup
    metrics = evaluate_folder(Detector(model), data, split="test").metrics(0.5)
    timings: dict[str, float] = {}
    with dashboard_page(
        server.url, ".fs-app button:has-text('Evaluate'):not([disabled])", timings
    ) as browser:
        page = browser.page
        type_folder(page, "/etc", REFUSED)
        click_refused(page, "Evaluate", REFUSED)
        type_folder(page, data.name, f"{data.name} holds a dataset")
        started = time.perf_counter()
        page.get_by_role("button", name="Evaluate").click()
        # The curves arrive first and the decision figures after them: wait for all seven, never for a
        # count the page only passes through (a poll under load can miss it).
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot').length >= {len(FIGURES)}", timeout=90_000
        )
        page.locator(".fs-thumb").first.wait_for(timeout=30_000)
        timings["evaluate_12_images_s"] = time.perf_counter() - started
        titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
        assert [title.split(" · ")[0] for title in titles] == FIGURES
        assert f"ROC curve · AUC {metrics.roc_auc:.3f}" in titles
        assert "Confusion matrix · threshold 0.500" in titles
        tiles = page.locator(".fs-tiles").inner_text()
        assert f"{metrics.accuracy:.3f}" in tiles
        mistakes = metrics.confusion["fp"] + metrics.confusion["fn"]
        assert page.locator(".fs-thumb").count() == min(mistakes, 8)
        assert page.locator(".fs-row img").first.evaluate("el => el.naturalWidth") > 0
        assert browser.dialogs == [] and browser.blocked == []
        assert str(data.parent) not in page.locator(".fs-app").inner_text()
        browser.screenshot("evaluate")
    record_timings("model_report", timings)
