"""A reader thread for live sources: it decodes as fast as the source gives frames and keeps only the newest,
so a slow model never falls behind the stream (stale frames are dropped and counted).

Sources: a camera index ("0": /dev/video0 through V4L2 on Linux, AVFoundation on macOS), a local file (paced
to its timestamps, as if it were live) or a stream URL (RTSP, HTTP, ...). A stream that drops is reopened up
to `reconnects` times; a file that ends ends the reading.

Example:
    >>> reader = FrameReader("rtsp://camera.local/stream", max_side=1024)
    >>> reader.start()
    >>> frame = reader.latest(timeout=1.0)
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fakescope.video._av import require_av
from fakescope.video.container import OPEN_OPTIONS
from fakescope.video.errors import InvalidVideoError

OPEN_TIMEOUT_S = 10.0
RECONNECT_DELAY_S = 0.5


@dataclass(frozen=True)
class LiveFrame:
    """A frame from a live source: its stream time (s), when it arrived (monotonic s), its RGB pixels."""

    number: int
    time: float
    arrived: float
    size: tuple[int, int]
    pixels: np.ndarray = field(repr=False, compare=False)


def describe_source(source: str) -> tuple[str, str | None, bool]:
    """(what to open, the FFmpeg input format or None, whether it is a local file) for a SOURCE argument."""
    if source.isdigit():
        if sys.platform == "darwin":
            return source, "avfoundation", False
        return f"/dev/video{source}", "v4l2", False
    if "://" in source:
        return source, None, False
    return source, None, True


class FrameReader(threading.Thread):
    """Decode `source` on a daemon thread and hold only its newest frame.

    Args:
        source: a camera index, a file path or a stream URL.
        max_side: frames are scaled so their longer side is at most this. Defaults to 1024.
        realtime: pace a file to its timestamps like a live source. Defaults to True.
        reconnects: how often to reopen a source that fails or ends. Defaults to 3 for cameras and
            streams, 0 for files.
    """

    def __init__(
        self, source: str, max_side: int = 1024, realtime: bool = True, reconnects: int | None = None
    ) -> None:
        super().__init__(daemon=True, name="fakescope-frame-reader")
        self.av = require_av()
        self.source = str(source)
        self.target, self.format, self.is_file = describe_source(self.source)
        if self.is_file and not Path(self.target).is_file():
            raise InvalidVideoError(f"{self.source}: no such file, camera index or stream URL")
        self.max_side, self.realtime = max_side, realtime
        self.reconnects = (0 if self.is_file else 3) if reconnects is None else reconnects
        self.opens = 0
        self.dropped = 0
        self.error: str | None = None
        self._frame: LiveFrame | None = None
        self._fresh = threading.Condition()
        self._stop = threading.Event()
        self._finished = False

    def stop(self) -> None:
        self._stop.set()
        with self._fresh:
            self._fresh.notify_all()

    @property
    def finished(self) -> bool:
        """The source ended (or failed for good) and every frame it gave has been taken."""
        with self._fresh:
            return self._finished and self._frame is None

    def latest(self, timeout: float | None = None) -> LiveFrame | None:
        """The newest frame not yet taken, waiting up to `timeout` s; None when none came (or the end)."""
        with self._fresh:
            if self._frame is None and not self._finished:
                self._fresh.wait(timeout)
            frame, self._frame = self._frame, None
            return frame

    def run(self) -> None:
        number, attempts = 0, 0
        try:
            while not self._stop.is_set():
                try:
                    number = self._read_once(number)
                except (self.av.error.FFmpegError, OSError) as err:
                    where = self.source if self.target == self.source else f"{self.source} ({self.target})"
                    self.error = f"{where}: {getattr(err, 'strerror', None) or err}".splitlines()[0]
                if self._stop.is_set() or attempts >= self.reconnects:
                    break
                attempts += 1
                self._stop.wait(RECONNECT_DELAY_S)
        finally:
            with self._fresh:
                self._finished = True
                self._fresh.notify_all()

    def _read_once(self, number: int) -> int:
        options = OPEN_OPTIONS if self.is_file else {}
        container = self.av.open(self.target, format=self.format, options=options, timeout=OPEN_TIMEOUT_S)
        self.opens += 1
        with container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            started, first = time.monotonic(), None
            for frame in container.decode(stream):
                if self._stop.is_set():
                    break
                stamp = float(frame.time) if frame.time is not None else time.monotonic() - started
                first = stamp if first is None else first
                if self.realtime and self.is_file:
                    self._stop.wait(max(0.0, (stamp - first) - (time.monotonic() - started)))
                self._offer(LiveFrame(number, stamp - first, time.monotonic(), *_rgb(frame, self.max_side)))
                number += 1
        return number

    def _offer(self, frame: LiveFrame) -> None:
        with self._fresh:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._fresh.notify_all()


def _rgb(frame, max_side: int) -> tuple[tuple[int, int], np.ndarray]:
    width, height = frame.width, frame.height
    scale = min(1.0, max_side / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    pixels = frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
    rotation = int(frame.rotation or 0) % 360
    if rotation:
        pixels = np.ascontiguousarray(np.rot90(pixels, k=rotation // 90))
        if rotation % 180:
            width, height = height, width
    return (width, height), pixels
