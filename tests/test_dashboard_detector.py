"""End to end: `fakescope dashboard` served by Voila, driven in Debian's chromium, with the network cut off.

One server for the module. Uploads go through the real file chooser of ipywidgets 8's FileUpload. The verdicts
in the page are compared with the same model run in this process.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_support import (
    FAKE_LOOK,
    MODEL_SEED,
    REAL_LOOK,
    BrowserPage,
    DashboardServer,
    detector_page,
    encoded,
    face_image,
    record_timings,
    upload,
    write_samples,
)
from onnx_fixtures import write_tiny_model
from support.browser import BROWSER

from fakescope.runtime import Detector

pytestmark = BROWSER

XSS_NAME = "<img src=x onerror=alert(1)>.png"
UPLOAD_MB = 1
"""The server's upload limit: one websocket message then carries about 11.7 MB (see `max_message_bytes`)."""
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    model = write_tiny_model(folder / "tiny.onnx", seed=MODEL_SEED)
    real, fake = write_samples(folder / "samples")
    return {
        "model": model,
        "real": real,
        "fake": fake,
        "samples": folder / "samples",
        "log": folder / "voila.log",
    }


@pytest.fixture(scope="module")
def reference(files) -> Detector:
    return Detector(files["model"])


@pytest.fixture(scope="module")
def server(files):
    server = DashboardServer(
        [
            "--model",
            str(files["model"]),
            "--samples",
            str(files["samples"]),
            "--max-upload-mb",
            str(UPLOAD_MB),
        ],
        files["log"],
    )
    yield server
    kernels = server.children()
    code = server.stop()
    TIMINGS["server_start_s"] = server.startup_s
    record_timings("detector_dashboard", TIMINGS)
    assert code == 0, f"Ctrl-C did not stop the dashboard cleanly (exit {code})"
    assert "stopped" in files["log"].read_text()
    assert kernels, "Voila started no kernel"
    time.sleep(1)
    alive = [pid for pid in kernels if Path(f"/proc/{pid}").exists()]
    assert alive == [], f"kernels left running after Ctrl-C: {alive}"


@pytest.fixture(scope="module")
def browser(server):
    with detector_page(server.url, TIMINGS) as browser:
        yield browser


def card(browser: BrowserPage, name: str):
    return browser.page.locator(".fs-result").filter(has=browser.page.get_by_text(name, exact=True))


def test_page_shows_the_model_card_and_no_source_code(browser):
    page = browser.page
    assert page.locator(".fs-header h1").inner_text().startswith("fakescope")
    assert "tiny-test v0.0.1" in page.locator(".fs-sidebar").inner_text()
    assert page.locator(".jp-Cell-inputWrapper, .jp-InputArea").count() == 0  # sources are stripped
    title = page.locator(".fs-app .widget-upload").get_attribute("title")
    assert title and title != "null"


def test_real_fake_and_corrupt_uploads_show_verdicts_cams_and_the_reason(browser, files, reference, tmp_path):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(encoded(face_image(*REAL_LOOK))[:120])
    started = upload(browser, [files["real"], files["fake"], corrupt])
    page = browser.page
    page.wait_for_selector(".fs-error", timeout=30_000)
    page.wait_for_function("document.querySelectorAll('.fs-result .fs-verdict').length == 2", timeout=30_000)
    TIMINGS["upload_to_verdict_3_files_s"] = time.perf_counter() - started
    for key, label in (("real", "REAL"), ("fake", "FAKE")):
        expected = reference.predict(files[key])
        assert expected.label == label
        shown = card(browser, files[key].name)
        assert shown.locator(".fs-label").inner_text() == label
        assert f"P(fake) {expected.prob_fake:.3f}" in shown.locator(".fs-probs").inner_text().replace(
            "\n", " "
        )
        for picture in (".fs-heatmap", ".fs-overlay"):
            img = shown.locator(f"{picture} img, img{picture}").first
            assert img.evaluate("el => el.complete && el.naturalWidth") > 0
    error = page.locator(".fs-error").inner_text()
    assert error.startswith("Rejected corrupt.png:") and "\n" not in error.strip()
    browser.screenshot("dashboard-test-model")


def test_a_single_upload_is_fast(browser, files):
    started = upload(browser, [files["real"]])
    browser.page.wait_for_function("document.querySelectorAll('.fs-result').length == 1", timeout=30_000)
    card(browser, files["real"].name).locator(".fs-verdict").wait_for(timeout=30_000)
    TIMINGS["upload_to_verdict_1_file_s"] = time.perf_counter() - started


def test_a_script_in_a_file_name_is_shown_as_text_and_never_runs(browser):
    payload = {"name": XSS_NAME, "mimeType": "image/png", "buffer": encoded(face_image(*FAKE_LOOK))}
    upload(browser, [payload])
    shown = card(browser, XSS_NAME)
    shown.wait_for(timeout=30_000)
    assert shown.locator(".fs-card-title").inner_text() == XSS_NAME
    browser.page.wait_for_timeout(500)
    assert browser.dialogs == []
    assert browser.page.locator('img[src="x"]').count() == 0


def test_an_upload_over_the_size_limit_is_refused_with_its_reason(browser):
    big = bytes(UPLOAD_MB * 2**20 + 512 * 1024)
    upload(browser, [{"name": "huge.png", "mimeType": "image/png", "buffer": big}])
    error = browser.page.locator(".fs-error").filter(has_text="huge.png")
    error.wait_for(timeout=60_000)
    assert "over the limit" in error.inner_text()


def test_a_batch_larger_than_one_upload_carries_is_refused_in_the_page_which_keeps_working(browser, files):
    batch = [
        {"name": f"part{i:02d}.png", "mimeType": "image/png", "buffer": bytes(UPLOAD_MB * 2**20)}
        for i in range(12)
    ]
    upload(browser, batch)
    note = browser.page.locator(".fs-upload-refused .fs-error")
    note.wait_for(timeout=30_000)
    text = note.inner_text()
    assert text.startswith("Not sent: these 12 files are 12.0 MB together, more than one upload can carry")
    assert all(f"part{i:02d}.png (1.0 MB)" in text for i in range(12))
    assert "Choose fewer files at a time" in text and "fakescope scan" in text
    upload(browser, [files["real"]])  # the connection survived: the next upload is analysed
    card(browser, files["real"].name).locator(".fs-verdict").wait_for(timeout=30_000)
    assert note.count() == 0


def test_sample_picker_and_history_download(browser, files, reference):
    page = browser.page
    page.locator(".fs-app select").nth(1).select_option(label=files["fake"].name)
    page.get_by_role("button", name="Try a sample").click()
    card(browser, files["fake"].name).locator(".fs-verdict").wait_for(timeout=30_000)
    assert (
        card(browser, files["fake"].name).locator(".fs-label").inner_text()
        == reference.predict(files["fake"]).label
    )
    page.get_by_role("button", name="Prepare CSV").click()
    with page.expect_download() as download:
        page.locator("a.fs-download").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("time,name,verdict,reasons,prob_fake")
    assert "corrupt.png" in text and XSS_NAME in text


def test_a_new_visit_gets_a_fresh_ready_dashboard(browser, server):
    TIMINGS["page_ready_preheated_s"] = browser.open(
        server.url, ".fs-app .jupyter-widgets.widget-upload:not([disabled])"
    )
    assert browser.page.locator(".fs-result").count() == 0


def test_nothing_is_fetched_from_another_machine(browser):
    assert browser.blocked == []  # every request of this module's page went to 127.0.0.1


def test_a_video_upload_shows_its_clip_card_with_timeline_and_scrubber(browser, reference, tmp_path):
    from video_factory import scene, write_video

    clip = write_video(tmp_path / "clip.mp4", [scene((160, 120), [], noise_seed=i) for i in range(6)])
    upload(browser, [clip])
    page = browser.page
    shown = card(browser, "clip.mp4")
    shown.wait_for(timeout=60_000)
    expected = reference.threshold
    text = shown.inner_text()
    assert f"threshold {expected:.3f}" in text and "frames sampled" in text
    plot = shown.locator(".js-plotly-plot").first
    plot.wait_for(timeout=30_000)  # the P(fake) timeline, drawn offline, visible
    assert plot.evaluate("el => el.offsetHeight") > 100
    assert shown.locator(".widget-slider").count() == 1  # the scrubber over the sampled frames
    assert page.locator(".fs-error").count() == 0 or "clip.mp4" not in page.locator(".fs-error").inner_text()


def test_an_upload_of_more_files_than_the_dashboard_takes_is_refused_before_any_is_analysed(browser, files):
    """Tiny files fit one upload by the thousand and each costs its own model runs: past 16, one line."""
    picture = encoded(face_image(*REAL_LOOK, size=40))
    upload(
        browser, [{"name": f"many{i:02d}.png", "mimeType": "image/png", "buffer": picture} for i in range(17)]
    )
    status = browser.page.locator(".fs-error").filter(has_text="Not analysed: 17 files in one upload")
    status.wait_for(timeout=30_000)
    assert "up to 16 at a time" in status.inner_text() and "fakescope scan FOLDER" in status.inner_text()
    assert browser.page.get_by_text("many00.png", exact=True).count() == 0  # no card, no history row
    upload(browser, [files["real"]])  # the next upload is analysed
    card(browser, files["real"].name).locator(".fs-verdict").wait_for(timeout=30_000)
