"""Test helpers shared by the widget, report and browser tests: placeholder face images, small datasets,
and a `fakescope dashboard` server on a free port.

Pictures are drawn with Pillow: a face-like ellipse with eyes and a mouth on a coloured background. With the
tiny test model of seed `MODEL_SEED`, `REAL_LOOK` scores below 0.5 and `FAKE_LOOK` above it.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from support.layout import class_folders

MODEL_SEED = 2
REAL_LOOK = ((20, 40, 200), (120, 80, 60))
"""(background, skin): the tiny model of seed 2 gives P(fake) of about 0.38."""
FAKE_LOOK = ((250, 250, 250), (230, 190, 160))
"""(background, skin): the tiny model of seed 2 gives P(fake) of about 0.84."""

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def face_image(background: tuple[int, int, int], skin: tuple[int, int, int], size: int = 96) -> Image.Image:
    """A placeholder face: a skin-coloured ellipse with two eyes and a smile on a flat background."""
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((size * 0.2, size * 0.1, size * 0.8, size * 0.9), fill=skin)
    for x in (0.38, 0.62):
        draw.ellipse((size * (x - 0.06), size * 0.38, size * (x + 0.06), size * 0.46), fill=(30, 30, 30))
    draw.arc((size * 0.35, size * 0.5, size * 0.65, size * 0.75), 20, 160, fill=(120, 20, 20), width=3)
    return image


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def write_samples(folder: Path) -> tuple[Path, Path]:
    """A real-looking PNG and a fake-looking JPEG in `folder`: (real, fake)."""
    folder.mkdir(parents=True, exist_ok=True)
    real, fake = folder / "real_face.png", folder / "fake_face.jpg"
    face_image(*REAL_LOOK).save(real)
    face_image(*FAKE_LOOK).save(fake, quality=95)
    return real, fake


def write_dataset(root: Path, per_class: int = 6, seed: int = 0) -> Path:
    """A tiny dataset in the 140k layout: ROOT/{train,valid,test}/{real,fake}/*.png with varied faces.

    Real faces have dark blue-ish backgrounds and fake ones light backgrounds, jittered, so the tiny model of
    seed `MODEL_SEED` separates them well but not perfectly.
    """
    rng = np.random.default_rng(seed)
    for folder, label in class_folders(root):
        look = {"real": REAL_LOOK, "fake": FAKE_LOOK}[label]
        for i in range(per_class):
            background = tuple(int(np.clip(c + rng.normal(0, 60), 0, 255)) for c in look[0])
            skin = tuple(int(np.clip(c + rng.normal(0, 40), 0, 255)) for c in look[1])
            size = int(rng.integers(64, 129))
            face_image(background, skin, size=size).save(folder / f"{label}_{i:03d}.png")
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DashboardServer:
    """`fakescope dashboard ARGS --port P` in a subprocess (through the CLI group, as the console script runs
    it); `stop()` sends Ctrl-C (SIGINT) and waits.
    """

    def __init__(self, args: list[str], log: Path, timeout: float = 90.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-c", "from fakescope.cli.main import cli; cli()", "dashboard"]
        with open(log, "wb") as sink:
            self.process = subprocess.Popen(
                [*command, *args, "--port", str(self.port)], stdout=sink, stderr=subprocess.STDOUT, env=env
            )
        started = time.perf_counter()
        while not self._answers():
            if self.process.poll() is not None or time.perf_counter() - started > timeout:
                self.stop()
                raise RuntimeError(f"the dashboard did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        self.startup_s = time.perf_counter() - started

    def _answers(self) -> bool:
        try:
            # a static file: requesting the page itself would take a pre-heated kernel from the pool
            with urllib.request.urlopen(self.url + "voila/static/voila.js", timeout=10) as response:
                return response.status == 200
        except OSError:
            return False

    def children(self) -> list[int]:
        """Process ids whose parent is the server (its kernels)."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C the server; returns its exit status (killed servers return a negative one)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def ticket(server: DashboardServer, host: str | None = None) -> dict:
    """What the door's websocket answers: `{"ticket": ...}` or `{"busy": reason, "retry_s": seconds}`."""
    import websocket

    origin = f"http://127.0.0.1:{server.port}"
    options = {"host": host} if host else {}
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/fakescope/ticket", timeout=30, origin=origin, **options
    )
    try:
        return json.loads(ws.recv())
    finally:
        ws.close()


def open_session(server: DashboardServer) -> tuple[str, str]:
    """Open the dashboard as its page does (ticket, then the page with it): (page HTML, kernel id)."""
    answer = ticket(server)
    assert "ticket" in answer, answer
    request = urllib.request.Request(
        server.url, headers={"Cookie": f"fs-ticket-{server.port}={answer['ticket']}"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        page = response.read().decode("utf-8", errors="replace")
    found = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page)
    assert found, page[-2000:]
    return page, found.group(1)


def kernel_alive(server: DashboardServer, kernel_id: str) -> bool:
    """Whether the server still runs the kernel `kernel_id` (its REST model answers)."""
    try:
        with urllib.request.urlopen(f"{server.url}api/kernels/{kernel_id}", timeout=10) as response:
            return response.status == 200
    except urllib.error.HTTPError as err:
        if err.code == 404:
            return False
        raise


SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
LOCAL_PREFIXES = (
    "http://127.0.0.1",
    "http://localhost",
    "ws://127.0.0.1",
    "ws://localhost",
    "data:",
    "blob:",
)


class BrowserPage:
    """A chromium page (Debian's, headless) that refuses every request not to this machine, so the tests prove
    the dashboards work offline, and records those requests (`blocked`) and the dialogs scripts open (all
    dismissed).
    """

    def __init__(self, playwright, width: int = 1320, height: int = 900) -> None:
        self.browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        self.page = self.browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("dialog", self._dialog)

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_PREFIXES):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, url: str, ready_selector: str, timeout_ms: int = 90_000) -> float:
        """Load `url` and wait until `ready_selector` is visible; returns the seconds it took."""
        started = time.perf_counter()
        self.page.goto(url, timeout=timeout_ms)
        self.page.wait_for_selector(ready_selector, state="visible", timeout=timeout_ms)
        return time.perf_counter() - started

    def screenshot(self, name: str) -> Path:
        """Save the dashboard (the `.fs-app` element) to the test artifacts, and to docs/screenshots when
        missing there or when FAKESCOPE_SCREENSHOTS=1 (the README's pictures are committed once).
        """
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        app = self.page.locator(".fs-app").first
        viewport = self.page.viewport_size
        box = app.bounding_box()
        # the page scrolls inside a container, so content below the window is not painted: grow the window
        self.page.set_viewport_size(
            {"width": viewport["width"], "height": int(box["y"] + box["height"] + 40)}
        )
        self.page.wait_for_timeout(300)
        app.screenshot(path=str(path))
        self.page.set_viewport_size(viewport)
        docs = SCREENSHOTS / f"{name}.png"
        if os.environ.get("FAKESCOPE_SCREENSHOTS") == "1" or not docs.exists():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            docs.write_bytes(path.read_bytes())
        return path

    def close(self) -> None:
        self.browser.close()


def record_timings(name: str, timings: dict[str, float]) -> Path:
    """Merge `timings` (seconds) into artifacts/browser/timings.json under `name`, and print them."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = {key: round(value, 3) for key, value in timings.items()}
    path.write_text(json.dumps(data, indent=2, sort_keys=True))
    print(f"\n{name} timings (s): {data[name]}")
    return path


DETECTOR_READY = ".fs-app .jupyter-widgets.widget-upload:not([disabled])"
"""The detector dashboard is usable once its upload button is enabled."""


@contextmanager
def dashboard_page(url: str, ready: str, timings: dict[str, float]) -> Iterator[BrowserPage]:
    """A chromium page on the dashboard at `url`, once `ready` is visible; records `page_ready_s` in
    `timings`."""
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = BrowserPage(playwright)
        try:
            timings["page_ready_s"] = browser.open(url, ready)
            yield browser
        finally:
            browser.close()


def detector_page(url: str, timings: dict[str, float]):
    """A chromium page on the detector dashboard at `url`; records `page_ready_s` in `timings`."""
    return dashboard_page(url, DETECTOR_READY, timings)


def upload(browser: BrowserPage, files) -> float:
    """Choose `files` in the upload button's file chooser; returns the time they were sent."""
    with browser.page.expect_file_chooser() as chooser:
        browser.page.get_by_role("button", name="Upload images").click()
    started = time.perf_counter()
    chooser.value.set_files(files)
    return started
