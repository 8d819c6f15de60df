"""End to end: the detector dashboard in Debian's chromium shows each result's provenance panel (camera,
declared AI, no provenance data, manifest invalid), with C2PA checked offline by the provenance extra."""

from __future__ import annotations

import io
import os

import pytest
from browser_support import (
    ARTIFACTS,
    MODEL_SEED,
    SCREENSHOTS,
    DashboardServer,
    detector_page,
    upload,
)
from onnx_fixtures import write_tiny_model
from PIL import Image
from provenance_factory import GENERATOR_CHUNKS, exif, jpeg, png_with_text
from support.browser import BROWSER

pytest.importorskip("c2pa")

from c2pa_factory import make_credentials, sign

pytestmark = BROWSER


def _tampered() -> bytes:
    signed = bytearray(sign(jpeg(), make_credentials("Panel"), generator="Adobe Firefly"))
    signed[-200] ^= 0xFF
    return bytes(signed)


def test_each_card_has_its_provenance_panel(tmp_path):
    files = {
        "camera.jpg": (jpeg(exif=exif(make="Canon", model="Canon EOS R5")), "camera"),
        "stable-diffusion.png": (png_with_text(GENERATOR_CHUNKS["AUTOMATIC1111"][0]), "declared AI"),
        "tampered-c2pa.jpg": (_tampered(), "manifest invalid"),
        "stripped.jpg": (jpeg(), "no provenance data"),
    }
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
    model = write_tiny_model(tmp_path / "tiny.onnx", seed=MODEL_SEED)
    server = DashboardServer(["--model", str(model)], tmp_path / "voila.log")
    try:
        with detector_page(server.url, {}) as browser:
            upload(browser, [tmp_path / name for name in files])
            page = browser.page
            page.wait_for_function("document.querySelectorAll('.fs-provenance').length == 4", timeout=60_000)
            shots = []
            for name, (_, state) in files.items():
                card = page.locator(".fs-result").filter(has=page.get_by_text(name, exact=True))
                panel = card.locator(".fs-provenance")
                assert f"provenance · {state}".lower() in panel.inner_text().lower()
                shots.append(Image.open(io.BytesIO(panel.screenshot())).convert("RGB"))
            _save_grid(shots, "provenance")
    finally:
        assert server.stop() == 0


def _save_grid(shots: list[Image.Image], name: str) -> None:
    """The panels two by two on white, to the artifacts, and to docs/screenshots as `BrowserPage.screenshot`
    does (when missing there or when FAKESCOPE_SCREENSHOTS=1)."""
    width, height = max(s.width for s in shots), max(s.height for s in shots)
    grid = Image.new("RGB", (2 * width + 30, 2 * height + 30), "white")
    for index, shot in enumerate(shots):
        grid.paste(shot, (10 + (index % 2) * (width + 10), 10 + (index // 2) * (height + 10)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    grid.save(ARTIFACTS / f"{name}.png", optimize=True)
    docs = SCREENSHOTS / f"{name}.png"
    if os.environ.get("FAKESCOPE_SCREENSHOTS") == "1" or not docs.exists():
        grid.save(docs, optimize=True)
