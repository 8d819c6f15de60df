"""End to end: `fakescope dashboard explore` (the dataset explorer) in Debian's chromium, offline: it reads
only the folder it was started with, checks a typed folder at once, and shows every figure of it."""

from __future__ import annotations

import time

import pytest
from browser_support import dashboard_page, record_timings, write_dataset
from support.browser import BROWSER, click_refused, served, type_folder

from fakescope.eda import figures, stats
from fakescope.widgets.folders import REFUSED

pytestmark = BROWSER


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    data = write_dataset(folder / "faces", per_class=4)
    with served(["explore", "--data", str(data)], folder / "voila.log") as server:
        yield data, server


def test_explorer_measures_the_folder_and_shows_every_figure_and_the_summary(setup):
    data, server = setup
    table = stats.collect_stats(data, workers=1)
    expected = [fig.layout.title.text for fig in figures.all_figures(table).values()]
    timings: dict[str, float] = {}
    ready = ".fs-app button:has-text('Analyse dataset'):not([disabled])"
    with dashboard_page(server.url, ready, timings) as browser:
        page = browser.page
        field = page.locator(".fs-app input[list]")
        offered = field.evaluate("el => Array.from(el.list.options, option => option.value)")
        assert offered[0] == data.name and f"{data.name}/train" in offered
        for typed in ("/root", "~", str(data.parent), f"{data.name}/../.."):
            type_folder(page, typed, REFUSED)
        click_refused(page, "Analyse dataset", REFUSED)
        type_folder(page, f"{data.name}/train/real", "is not a dataset folder")
        assert "fakescope data demo DIR" in page.locator(".fs-app").inner_text()
        type_folder(page, data.name, f"{data.name} holds a dataset")
        # a name the system refuses: said in the page, not raised
        type_folder(page, f"{data.name}/{'a' * 300}", "is not a folder")
        assert page.get_by_text(f"{data.name} holds a dataset").count() == 0
        type_folder(page, data.name, f"{data.name} holds a dataset")
        started = time.perf_counter()
        page.get_by_role("button", name="Analyse dataset").click()
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot').length == {len(expected)}", timeout=90_000
        )
        timings["analyse_24_images_s"] = time.perf_counter() - started
        shown = page.locator(".js-plotly-plot .gtitle").all_text_contents()
        assert set(shown) == set(expected)  # a plot may hold two titles for a moment while it lays out
        assert page.locator(".fs-summary li").count() == len(figures.summary(table))
        assert f"{len(table)} / {len(table)} images" in page.locator(".fs-app").inner_text()
        assert browser.dialogs == [] and browser.blocked == []
        assert str(data.parent) not in page.locator(".fs-app").inner_text()
        browser.screenshot("explore")
    record_timings("dataset_explorer", timings)
