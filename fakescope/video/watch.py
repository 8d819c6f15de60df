"""`watch`: a rolling verdict per face track on a live source, as an iterator for embedding on a device.

The reader thread (`FrameReader`) keeps only the newest frame; this loop takes it, finds and judges the faces,
links them into tracks and yields one `WatchUpdate` per analysed frame: each track's score over its last
`window` frames and the verdict of the most fake track seen recently (UNSURE when no face is in view, or when
an image check, as for clips, flags at least half of the last `window` frames with a face).

Example:
    >>> for update in watch(Detector(), "0", max_seconds=10):
    ...     print(update)
    WatchUpdate(FAKE, 0.4s, track 0 FAKE 0.972 (8), 3.1 fps analysed, 12 dropped)
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fakescope.runtime.checks import CHECKS, UNSURE
from fakescope.runtime.detector import Detector
from fakescope.runtime.display import number
from fakescope.runtime.images import DecodedImage, ImageInfo
from fakescope.runtime.spec import class_name
from fakescope.video.aggregation import DEFAULT_AGGREGATION, aggregate, check_aggregation
from fakescope.video.container import open_video
from fakescope.video.errors import InvalidVideoError, NoFramesError
from fakescope.video.limits import VideoLimits
from fakescope.video.live import FrameReader, LiveFrame
from fakescope.video.tracker import IoUTracker
from fakescope.video.verdict import FRAME_CHECKS, frame_check_reasons

DEFAULT_WINDOW = 16
RECENT_UPDATES = 8
"""A track counts towards the verdict while it was seen within this many analysed frames."""


@dataclass(frozen=True)
class TrackState:
    """A face track's rolling state: its score over its last `frames` frames and its latest box."""

    id: int
    label: str
    score: float
    frames: int
    box: tuple[int, int, int, int]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "score": round(self.score, 6),
            "frames": self.frames,
            "box": list(self.box),
        }


@dataclass(frozen=True)
class WatchUpdate:
    """One analysed frame of a live source: the rolling verdict, the tracks in view, throughput so far."""

    verdict: str
    reasons: tuple[str, ...]
    prob_fake: float | None
    time: float
    elapsed: float
    tracks: tuple[TrackState, ...]
    analysed: int
    dropped: int
    reconnects: int

    @property
    def fps(self) -> float:
        """Frames analysed per second of wall time so far."""
        return self.analysed / self.elapsed if self.elapsed > 0 else 0.0

    def __repr__(self) -> str:
        head = f"{UNSURE}: {'; '.join(self.reasons)}" if self.reasons else self.verdict
        tracks = ", ".join(
            f"track {t.id} {t.label} {number(t.score)} ({t.frames} frames)" for t in self.tracks
        )
        parts = [head, f"{self.time:.1f}s", *([tracks] if tracks else [])]
        parts += [f"{self.fps:.1f} fps analysed", f"{self.dropped} dropped"]
        return f"WatchUpdate({', '.join(parts)})"

    def as_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "prob_fake": None if self.prob_fake is None else round(self.prob_fake, 6),
            "time": round(self.time, 3),
            "elapsed": round(self.elapsed, 3),
            "tracks": [t.as_dict() for t in self.tracks],
            "analysed": self.analysed,
            "dropped": self.dropped,
            "reconnects": self.reconnects,
        }


def watch(
    detector: Detector,
    source: str,
    *,
    max_seconds: float | None = None,
    window: int = DEFAULT_WINDOW,
    aggregation: str = DEFAULT_AGGREGATION,
    realtime: bool = True,
    reconnects: int | None = None,
    max_side: int = 1024,
) -> Iterator[WatchUpdate]:
    """Yield a `WatchUpdate` per analysed frame of `source` until it ends or `max_seconds` pass.

    Args:
        detector: the image model (with its face front-end).
        source: a camera index ("0"), a video file or a stream URL.
        max_seconds: stop after this many seconds of wall time. Defaults to None (until the source ends).
        window: frames per track its rolling score averages. Defaults to 16.
        aggregation: the rule over a track's window, a name in `AGGREGATIONS`. Defaults to "mean".
        realtime: pace a file source to its timestamps. Defaults to True.
        reconnects: reopen a dropped source this many times. Defaults to 3 for streams and cameras, 0 for
            files.
        max_side: frames are scaled to at most this side before face search. Defaults to 1024.

    Raises:
        InvalidVideoError: the source is neither a video file, a camera index nor a URL, or it gave no frame
            (it failed or ended first).
    """
    if window < 1:
        raise ValueError(f"`window` must be >= 1. Received: window={window}")
    check_aggregation(aggregation)
    if max_seconds is not None and max_seconds <= 0:
        raise ValueError(f"`max_seconds` must be > 0. Received: max_seconds={max_seconds}")
    reader = FrameReader(source, max_side=max_side, realtime=realtime, reconnects=reconnects)
    if reader.is_file:
        open_video(reader.target, limits=VideoLimits(max_duration_s=float("inf"))).close()  # typed errors now
    rolling = _Rolling(detector, window, aggregation)
    started = time.monotonic()
    reader.start()
    try:
        while not reader.finished:
            left = None if max_seconds is None else max_seconds - (time.monotonic() - started)
            if left is not None and left <= 0:
                break
            frame = reader.latest(timeout=min(0.25, left) if left is not None else 0.25)
            if frame is None:
                continue
            update = rolling.add(frame)
            yield _update(update, frame, time.monotonic() - started, rolling, reader)
    finally:
        reader.stop()
    if reader.error and rolling.analysed == 0:
        raise InvalidVideoError(reader.error)
    if reader.finished and rolling.analysed == 0:  # the source ended without giving a single frame
        label = Path(source).name if reader.is_file else source
        raise NoFramesError(f"{label}: no decodable frame")


class _Rolling:
    """Tracks and each track's last `window` scores, for the rolling verdict."""

    def __init__(self, detector: Detector, window: int, aggregation: str) -> None:
        self.detector, self.window, self.aggregation = detector, window, aggregation
        self.tracker = IoUTracker(max_gap=RECENT_UPDATES)
        self.scores: dict[int, deque[float]] = {}
        self.boxes: dict[int, tuple[int, int, int, int]] = {}
        self.seen: dict[int, int] = {}
        self.flags: deque[dict[str, str]] = deque(maxlen=window)
        """The image checks' reasons on each of the last `window` frames with a face (`FRAME_CHECKS`)."""
        self.analysed = 0

    def add(self, frame: LiveFrame) -> tuple[TrackState, ...]:
        info = ImageInfo(frame.size[0], frame.size[1], "VIDEO", "RGB", None, f"frame {frame.number}")
        (prediction,) = self.detector.judge([self.detector.prepare(DecodedImage(frame.pixels, info))], False)
        faces = list(prediction.faces)
        if faces:
            self.flags.append({c: reason for c in FRAME_CHECKS if (reason := CHECKS[c](prediction))})
        ids = self.tracker.update(np.array([f.box for f in faces], np.float64))
        for track, face in zip(ids, faces, strict=True):
            self.scores.setdefault(track, deque(maxlen=self.window)).append(face.prob_fake)
            self.boxes[track], self.seen[track] = face.box, self.analysed
        self.analysed += 1
        for track in [t for t, seen in self.seen.items() if self.analysed - seen > RECENT_UPDATES]:
            del self.scores[track], self.boxes[track], self.seen[track]
        threshold = self.detector.threshold
        states = []
        for track in sorted(self.scores):
            score = aggregate(list(self.scores[track]), self.aggregation)
            label = class_name(score, threshold)
            states.append(TrackState(track, label, score, len(self.scores[track]), self.boxes[track]))
        return tuple(states)

    def checks(self) -> tuple[str, ...]:
        """The reasons of the image checks that flag at least half of the recent frames with a face."""
        flagged = {c: [f[c] for f in self.flags if c in f] for c in FRAME_CHECKS}
        return frame_check_reasons(flagged, len(self.flags))


def _update(tracks, frame: LiveFrame, elapsed: float, rolling: _Rolling, reader: FrameReader) -> WatchUpdate:
    if tracks:
        best = max(tracks, key=lambda t: t.score)
        reasons = rolling.checks()
        verdict, prob = UNSURE if reasons else best.label, best.score
    else:
        verdict, reasons, prob = UNSURE, ("no face in view",), None
    return WatchUpdate(
        verdict=verdict,
        reasons=reasons,
        prob_fake=prob,
        time=frame.time,
        elapsed=elapsed,
        tracks=tracks,
        analysed=rolling.analysed,
        dropped=reader.dropped,
        reconnects=max(0, reader.opens - 1),
    )
