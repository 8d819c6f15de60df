"""The README's first command, in a browser: `fakescope dashboard` with no arguments serves the bundled model
and its samples; a sample, an uploaded group photo (each face with its own verdict) and the page's numbers
match the runtime's."""

from __future__ import annotations

import time

import numpy as np
import pytest
from browser_support import CHROMIUM, DashboardServer, detector_page, record_timings, upload
from image_factory import encode

from fakescope.runtime import Detector, list_models, models_dir

sync_api = pytest.importorskip("playwright.sync_api")
skdata = pytest.importorskip("skimage.data")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
    pytest.mark.skipif(not list_models(models_dir()), reason="the bundled model is not built: make model"),
]
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = DashboardServer([], tmp_path_factory.mktemp("bundled") / "voila.log")
    yield server
    assert server.stop() == 0
    TIMINGS["server_start_s"] = server.startup_s
    record_timings("bundled_dashboard", TIMINGS)


@pytest.fixture(scope="module")
def browser(server):
    with detector_page(server.url, TIMINGS) as browser:
        yield browser


def test_the_bundled_model_and_a_sample_work_out_of_the_box(browser):
    page = browser.page
    assert Detector().card.name in page.locator(".fs-sidebar").inner_text()
    fake_sample = next(p for p in (models_dir() / "samples").glob("fake_*.png"))
    page.locator(".fs-app select").filter(has_text=fake_sample.name).first.select_option(
        label=fake_sample.name
    )
    started = time.perf_counter()
    page.get_by_role("button", name="Try a sample").click()
    page.locator(".fs-result .fs-verdict").first.wait_for(timeout=30_000)
    TIMINGS["sample_to_verdict_s"] = time.perf_counter() - started
    expected = Detector().predict(fake_sample)
    assert page.locator(".fs-result .fs-label").first.inner_text() == expected.label == "FAKE"


def test_a_group_photo_gets_a_verdict_per_face(browser, tmp_path):
    head = skdata.astronaut()[20:240, 120:330]
    pixels = np.full((420, 720, 3), (90, 104, 120), np.uint8)
    pixels[100:320, 20:230] = head
    pixels[150:370, 480:690] = head[:, ::-1]
    photo = tmp_path / "group.png"
    photo.write_bytes(encode(pixels, "PNG"))
    page = browser.page
    started = upload(browser, [str(photo)])
    page.wait_for_function(
        "document.querySelectorAll('.fs-result').length == 1 && "
        "document.querySelectorAll('.fs-face-gallery .fs-caption').length == 2",
        timeout=30_000,
    )
    TIMINGS["group_photo_to_verdicts_s"] = time.perf_counter() - started
    expected = Detector().predict(photo)
    captions = page.locator(".fs-face-gallery .fs-caption").all_inner_texts()
    for caption, face in zip(captions, expected.faces, strict=True):
        assert f"{face.prob_fake:.3f}" in caption
    browser.screenshot("dashboard")
