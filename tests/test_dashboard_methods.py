"""The CAM method picker on the detector dashboard, in Debian's chromium: picking a method shows its map and
the line in words the runtime computes for it."""

from __future__ import annotations

import pytest
from browser_support import CHROMIUM, DashboardServer, detector_page

from fakescope.runtime import Detector, list_models, models_dir
from fakescope.runtime.explain import explain_view

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
    pytest.mark.skipif(not list_models(models_dir()), reason="the bundled model is not built: make model"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    server = DashboardServer([], tmp_path_factory.mktemp("methods") / "voila.log")
    try:
        with detector_page(server.url, {}) as browser:
            yield browser
    finally:
        assert server.stop() == 0


def test_picking_a_method_shows_its_map_and_faithfulness_in_words(browser):
    page = browser.page
    sample = next((models_dir() / "samples").glob("real_*.png"))
    page.locator(".fs-app select").filter(has_text=sample.name).first.select_option(label=sample.name)
    page.get_by_role("button", name="Try a sample").click()
    picker = page.locator(".fs-method-picker").first
    picker.locator(".fs-faithfulness").wait_for(timeout=60_000)
    detector = Detector()
    view = detector.predict(sample).view
    for method, title in (("gradcam", "Grad-CAM"), ("realcam", "evidence for REAL")):
        expected = explain_view(detector, view, [method]).faithfulness[method].sentence()
        if method != "gradcam":
            picker.locator("select").select_option(label=title)
        page.wait_for_function(
            "([sel, text]) => document.querySelector(sel)?.innerText.trim() === text",
            arg=[".fs-method-picker .fs-faithfulness", expected],
            timeout=30_000,
        )
    options = picker.locator("select option").all_inner_texts()
    assert len(options) == len(detector.cam_methods) and "Score-CAM" in options
    assert "P(real)" in picker.locator(".fs-faithfulness").inner_text()
