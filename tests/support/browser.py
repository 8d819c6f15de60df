"""What every browser test module starts with: Playwright (the module is skipped without it, and never
downloads a browser) and the marks that skip it without Debian's chromium or the bundled model.

Example:
    from support.browser import BROWSER, sync_api

    pytestmark = BROWSER
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser_support import CHROMIUM, DashboardServer

from fakescope.runtime import list_models, models_dir

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
sync_api = pytest.importorskip("playwright.sync_api")

BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"),
]
"""`pytestmark` of a module that drives chromium."""

BUNDLED = [
    *BROWSER,
    pytest.mark.skipif(not list_models(models_dir()), reason="the bundled model is not built: make model"),
]
"""`pytestmark` of a module that drives chromium on the bundled model."""


@contextmanager
def served(args: list[str], log: Path) -> Iterator[DashboardServer]:
    """`fakescope dashboard ARGS` on a free port (its log in `log`) until the block ends; it must exit 0."""
    server = DashboardServer(args, log)
    try:
        yield server
    finally:
        code = server.stop()
        assert code == 0, (
            f"the dashboard server exited with {code}: {log.read_text()[-2000:] if log.exists() else ''}"
        )


def type_folder(page, typed: str, expect: str) -> None:
    """Type `typed` into the dashboard's folder field, press Enter and wait for `expect` in the page."""
    field = page.locator(".fs-app input[list]")
    field.fill(typed)
    field.press("Enter")
    page.get_by_text(expect).first.wait_for(timeout=30_000)


def click_refused(page, button: str, refused: str) -> None:
    """Click `button` while the folder field holds a refused folder: one error saying `refused`, no figure."""
    page.get_by_role("button", name=button).click()
    page.wait_for_timeout(1000)
    assert page.locator(".fs-error").filter(has_text=refused).count() == 1
    assert page.locator(".js-plotly-plot").count() == 0
