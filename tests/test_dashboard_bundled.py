"""The README's first command, in a browser: `fakescope dashboard` with no arguments serves the bundled model
and its samples; a sample, an uploaded group photo (each face with its own verdict) and the page's numbers
match the runtime's."""

from __future__ import annotations

import time

import numpy as np
import pytest
from browser_support import DashboardServer, detector_page, record_timings, upload
from image_factory import encode
from support.browser import BUNDLED

from fakescope.runtime import Detector, models_dir

skdata = pytest.importorskip("skimage.data")
pytestmark = BUNDLED
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
    pictures = page.locator(".fs-result .fs-pictures").bounding_box()
    gallery = page.locator(".fs-result .fs-face-gallery").bounding_box()
    assert 0 <= gallery["y"] - (pictures["y"] + pictures["height"]) < 24  # no gap above the face gallery
    expected = Detector().predict(photo)
    captions = page.locator(".fs-face-gallery .fs-caption").all_inner_texts()
    for caption, face in zip(captions, expected.faces, strict=True):
        assert f"{face.prob_fake:.3f}" in caption
    browser.screenshot("dashboard")
    assert browser.blocked == []  # nothing was fetched from another machine


def test_a_picture_without_a_face_gets_the_amber_unsure_card_with_its_reasons(browser, tmp_path):
    picture = tmp_path / "coffee.png"
    picture.write_bytes(encode(skdata.coffee(), "PNG"))
    page = browser.page
    upload(browser, [str(picture)])
    card = page.locator(".fs-result").filter(has_text="coffee.png")
    card.locator(".fs-verdict.fs-unsure").wait_for(timeout=30_000)
    expected = Detector().predict(picture)
    assert expected.verdict == "UNSURE" and "no face found" in expected.reasons
    assert card.locator(".fs-label").inner_text() == "UNSURE"
    assert card.locator(".fs-reasons li").all_inner_texts() == list(expected.reasons)
    # P(fake) and the CAM are still shown: the reasons qualify the score, they do not hide it.
    assert f"{expected.prob_fake:.3f}" in card.locator(".fs-probs").inner_text()
    assert card.locator(".fs-overlay img, img.fs-overlay").count() >= 1
    history = page.locator(".fs-panel").filter(has_text="History")
    assert "UNSURE" in history.inner_text() and "no face found" in history.inner_text()
    history.get_by_role("button", name="Prepare CSV").click()
    href = history.locator("a.fs-download").get_attribute("href")
    assert "UNSURE" in href and "no%20face%20found" in href
    sidebar = page.locator(".fs-sidebar").inner_text()
    assert "Alpha" in sidebar and "TTA" in sidebar and "real /" in sidebar  # the model's intervals
