"""End to end: `fakescope dashboard evaluate` (the model report) in Debian's chromium, offline."""

from __future__ import annotations

import os
import time

import pytest
from browser_support import CHROMIUM, MODEL_SEED, BrowserPage, DashboardServer, record_timings, write_dataset
from onnx_fixtures import write_tiny_model

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
sync_api = pytest.importorskip("playwright.sync_api")

from fakescope.report import evaluate_folder  # noqa: E402
from fakescope.runtime import Detector  # noqa: E402
from fakescope.widgets.folders import REFUSED  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate")
    model = write_tiny_model(folder / "tiny.onnx", seed=MODEL_SEED)
    data = write_dataset(folder / "faces", per_class=6)
    server = DashboardServer(["evaluate", "--model", str(model), "--data", str(data)], folder / "voila.log")
    yield model, data, server
    assert server.stop() == 0


def test_model_report_evaluates_and_shows_curves_matrix_and_mistakes(setup):
    model, data, server = setup
    metrics = evaluate_folder(Detector(model), data, split="test").metrics(0.5)
    with sync_api.sync_playwright() as playwright:
        browser = BrowserPage(playwright)
        try:
            ready = browser.open(server.url, ".fs-app button:has-text('Evaluate'):not([disabled])")
            page = browser.page
            field = page.locator(".fs-app input[list]")
            field.fill("/etc")
            field.press("Enter")
            page.get_by_text(REFUSED).first.wait_for(timeout=30_000)
            page.get_by_role("button", name="Evaluate").click()
            page.wait_for_timeout(1000)
            assert page.locator(".fs-error").filter(has_text=REFUSED).count() == 1
            assert page.locator(".js-plotly-plot").count() == 0
            field.fill(data.name)
            field.press("Enter")
            page.get_by_text(f"{data.name} holds a dataset").wait_for(timeout=30_000)
            started = time.perf_counter()
            page.get_by_role("button", name="Evaluate").click()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length == 5", timeout=60_000)
            page.locator(".fs-thumb").first.wait_for(timeout=30_000)
            elapsed = time.perf_counter() - started
            titles = page.locator(".js-plotly-plot .gtitle").all_text_contents()
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
        finally:
            browser.close()
    record_timings("model_report", {"page_ready_s": ready, "evaluate_12_images_s": elapsed})
