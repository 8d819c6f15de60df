"""The CAM method picker on the detector dashboard, in Debian's chromium: picking a method shows its map and
the line in words the runtime computes for it."""

from __future__ import annotations

import pytest
from browser_support import detector_page
from support.browser import BUNDLED, served

from fakescope.runtime import Detector, models_dir
from fakescope.runtime.explain import explain_view

pytestmark = BUNDLED


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with (
        served([], tmp_path_factory.mktemp("methods") / "voila.log") as server,
        detector_page(server.url, {}) as page,
    ):
        yield page


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
