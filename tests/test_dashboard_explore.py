"""End to end: `fakescope dashboard explore` (the dataset explorer) in Debian's chromium, offline: it reads
only the folder it was started with, checks a typed folder at once, and shows every figure of it."""

from __future__ import annotations

import os
import time

import pytest
from browser_support import CHROMIUM, BrowserPage, DashboardServer, record_timings, write_dataset

from fakescope.widgets.folders import REFUSED

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
sync_api = pytest.importorskip("playwright.sync_api")

from fakescope.eda import figures, stats  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    data = write_dataset(folder / "faces", per_class=4)
    server = DashboardServer(["explore", "--data", str(data)], folder / "voila.log")
    yield data, server
    assert server.stop() == 0


def test_explorer_measures_the_folder_and_shows_every_figure_and_the_summary(setup):
    data, server = setup
    table = stats.collect_stats(data, workers=1)
    expected = [fig.layout.title.text for fig in figures.all_figures(table).values()]
    with sync_api.sync_playwright() as playwright:
        browser = BrowserPage(playwright)
        try:
            ready = browser.open(server.url, ".fs-app button:has-text('Analyse dataset'):not([disabled])")
            page = browser.page
            field = page.locator(".fs-app input[list]")
            offered = field.evaluate("el => Array.from(el.list.options, option => option.value)")
            assert offered[0] == data.name and f"{data.name}/train" in offered
            for typed in ("/root", "~", str(data.parent), f"{data.name}/../.."):
                field.fill(typed)
                field.press("Enter")
                page.get_by_text(REFUSED).first.wait_for(timeout=30_000)
            page.get_by_role("button", name="Analyse dataset").click()
            page.wait_for_timeout(1000)
            assert page.locator(".fs-error").filter(has_text=REFUSED).count() == 1
            assert page.locator(".js-plotly-plot").count() == 0
            field.fill(f"{data.name}/train/real")
            field.press("Enter")
            page.get_by_text("is not a dataset folder").wait_for(timeout=30_000)
            assert "fakescope data demo DIR" in page.locator(".fs-app").inner_text()
            field.fill(data.name)
            field.press("Enter")
            page.get_by_text(f"{data.name} holds a dataset").wait_for(timeout=30_000)
            field.fill(f"{data.name}/{'a' * 300}")  # a name the system refuses: said in the page, not raised
            field.press("Enter")
            page.get_by_text("is not a folder").wait_for(timeout=30_000)
            assert page.get_by_text(f"{data.name} holds a dataset").count() == 0
            field.fill(data.name)
            field.press("Enter")
            page.get_by_text(f"{data.name} holds a dataset").wait_for(timeout=30_000)
            started = time.perf_counter()
            page.get_by_role("button", name="Analyse dataset").click()
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot').length == {len(expected)}", timeout=90_000
            )
            elapsed = time.perf_counter() - started
            shown = page.locator(".js-plotly-plot .gtitle").all_text_contents()
            assert set(shown) == set(expected)  # a plot may hold two titles for a moment while it lays out
            assert page.locator(".fs-summary li").count() == len(figures.summary(table))
            assert f"{len(table)} / {len(table)} images" in page.locator(".fs-app").inner_text()
            assert browser.dialogs == [] and browser.blocked == []
            assert str(data.parent) not in page.locator(".fs-app").inner_text()
            browser.screenshot("explore")
        finally:
            browser.close()
    record_timings("dataset_explorer", {"page_ready_s": ready, "analyse_24_images_s": elapsed})
