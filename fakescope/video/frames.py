"""Decode the planned frames of an open video, one at a time: a generator, so memory stays bounded.

Each yielded frame is the one displayed at its sample's time (the last frame whose timestamp is not after
it: variable frame rates are followed by timestamps, never by frame counts), turned upright by the rotation
the frame carries, converted to RGB and scaled so its longer side is at most `max_side` (face search sees a
128 px letterbox anyway). Frames in between are decoded but never converted or kept; at a constant frame
rate, those no other frame refers to (non-reference B-frames) are not even decoded until just before the
next sample, since none of them can be the frame shown there.

Example:
    >>> with open_video("clip.mp4") as video:
    ...     reads = plan_reads(evenly_spaced(video.info.duration_s, 8), video.keyframes, 1 / 30)
    ...     [round(frame.time, 2) for frame in read_frames(video, reads)]
    [0.6, 1.87, 3.13, 4.37, 5.63, 6.87, 8.13, 9.37]
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from fakescope.video._av import require_av
from fakescope.video.container import OpenVideo
from fakescope.video.errors import VideoTooLargeError
from fakescope.video.limits import DEFAULT_VIDEO_LIMITS
from fakescope.video.sampler import Read

TIME_EPSILON = 1e-6
"""Seconds of slack when comparing a frame's timestamp with a sample's time (both are rounded floats)."""
SKIP_MARGIN_FRAMES = 3
"""At a constant frame rate, frames nothing refers to are skipped up to this many frames before a sample."""


@dataclass(frozen=True)
class VideoFrame:
    """A sampled frame: RGB uint8 `pixels` upright, scaled; `size` is its full displayed (width, height)."""

    index: int
    time: float
    size: tuple[int, int]
    rotation: int
    pixels: np.ndarray = field(repr=False, compare=False)


@dataclass
class DecodeStats:
    """What reading cost: frames decoded, seeks made, packets that failed to decode, whether data ran out."""

    decoded: int = 0
    seeks: int = 0
    errors: int = 0
    ended_early: bool = False


def read_frames(
    video: OpenVideo,
    reads: tuple[Read, ...],
    *,
    keyframes_only: bool = False,
    max_side: int = 1024,
    max_decoded: int = 20_000,
    max_pixels: int = DEFAULT_VIDEO_LIMITS.max_pixels,
    stats: DecodeStats | None = None,
) -> Iterator[VideoFrame]:
    """Yield the frame shown at each read's time (a frame shown at several is yielded once).

    Args:
        video: an open video (`open_video`).
        reads: the plan (`plan_reads` or `keyframe_reads`), ascending in time.
        keyframes_only: decode keyframes only: each read gets the last keyframe not after its time.
            Defaults to False.
        max_side: longer side of the yielded pixels at most. Defaults to 1024.
        max_decoded: decoding more frames than this raises `VideoTooLargeError`. Defaults to 20000.
        max_pixels: a decoded frame larger than this raises `VideoTooLargeError` (a stream may change its
            size after the header that `open_video` checked). Defaults to 8K UHD.
        stats: filled in while reading. Defaults to a private one.
    """
    stats = stats if stats is not None else DecodeStats()
    reader = _Reader(video, stats, max_decoded, keyframes_only, max_pixels)
    if keyframes_only:
        video.stream.codec_context.skip_frame = "NONKEY"
        video.stream.thread_type = "SLICE"  # frame threads lose their queued keyframes to a truncated end
    last_pts = None
    for index, read in enumerate(reads):
        chosen = reader.shown_at(read)
        if chosen is None:
            break
        if chosen.pts is not None and chosen.pts == last_pts:
            continue
        last_pts = chosen.pts
        yield _converted(chosen, index, reader.time_of(chosen), max_side)


class _Reader:
    """Decoding state: where the decoder is, the last frame decoded, and one frame read past a target."""

    def __init__(
        self, video: OpenVideo, stats: DecodeStats, max_decoded: int, keyframes_only: bool, max_pixels: int
    ) -> None:
        self.av = require_av()
        self.video, self.stats, self.max_decoded, self.max_pixels = video, stats, max_decoded, max_pixels
        self.stream = video.stream
        self.source: Iterator | None = None
        self.previous = self.held = None
        self.can_seek = True
        self.last_time = 0.0
        rate, base = self.stream.average_rate, self.stream.base_rate
        self.keyframes_only = keyframes_only
        self.skip_nonref = bool(rate and base and rate == base) and not keyframes_only
        self.skip_before: float | None = None
        """Non-reference frames shown before this time (s) are skipped (at a constant frame rate, never when
        decoding keyframes only)."""
        self.margin = SKIP_MARGIN_FRAMES / float(rate) if rate else 0.0
        self.interval = 1.0 / (video.info.fps or 25.0)
        self.counted = 0
        """Frames decoded since the decoder last started (numbers the frames of a raw stream)."""

    def time_of(self, frame) -> float:
        if frame.pts is None:
            return self.last_time
        return float(frame.pts * self.stream.time_base) - self.video.start

    def shown_at(self, read: Read):
        if self.source is None or (read.seek and self.can_seek):
            self._restart(read.time if read.seek else None)
        if self.skip_nonref:
            self.skip_before = read.time - self.margin
        while True:
            frame, self.held = (self.held, None) if self.held is not None else (self._next(), None)
            if frame is None:
                return self.previous
            if self.time_of(frame) > read.time + TIME_EPSILON:
                self.held = frame
                return self.previous if self.previous is not None else frame
            self.previous = frame

    def _restart(self, time: float | None) -> None:
        if time is not None:
            try:
                offset = int((time + self.video.start) / self.stream.time_base)
                self.video.container.seek(offset, stream=self.stream, backward=True, any_frame=False)
                self.stats.seeks += 1
            except self.av.error.FFmpegError:
                self.can_seek = False
                if self.source is not None:
                    return
        self.source = self._decoded()
        self.previous = self.held = None
        self.counted = 0

    def _next(self):
        frame = next(self.source, None)
        if frame is not None:
            self.stats.decoded += 1
            if frame.pts is None:  # a raw stream: frames follow each other at the declared rate
                frame.pts = round((self.video.start + self.counted * self.interval) / self.stream.time_base)
            self.counted += 1
            self.last_time = self.time_of(frame)
            name = self.video.info.name or "video"
            if self.stats.decoded > self.max_decoded:
                raise VideoTooLargeError(
                    f"{name}: decoding stopped at the limit of {self.max_decoded} frames"
                )
            if frame.width * frame.height > self.max_pixels:
                size = f"{frame.width}x{frame.height}"
                raise VideoTooLargeError(
                    f"{name}: a {size} frame is over the limit of {self.max_pixels:,} pixels"
                )
        return frame

    def _decoded(self) -> Iterator:
        error = self.av.error.FFmpegError
        packets = self.video.container.demux(self.stream)
        context = self.stream.codec_context
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                return
            except error:
                self.stats.ended_early = True
                return
            if self.skip_before is not None:
                early = packet.pts is not None and self.time_of(packet) < self.skip_before
                context.skip_frame = "NONREF" if early else "DEFAULT"
            try:
                for frame in packet.decode():  # a decoder that ignores skip_frame (VP9) still decodes all
                    if frame.key_frame or not self.keyframes_only:
                        yield frame
            except error:
                self.stats.errors += 1


def _converted(frame, index: int, time: float, max_side: int) -> VideoFrame:
    width, height = frame.width, frame.height
    scale = min(1.0, max_side / max(width, height))
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    if target == (width, height):
        pixels = frame.to_ndarray(format="rgb24")
    else:
        pixels = frame.reformat(
            width=target[0], height=target[1], format="rgb24", interpolation="AREA"
        ).to_ndarray()
    rotation = int(frame.rotation or 0) % 360
    if rotation:
        pixels = np.rot90(pixels, k=rotation // 90)
        if rotation % 180:
            width, height = height, width
    return VideoFrame(index, time, (width, height), rotation, np.ascontiguousarray(pixels))


def prefetched(frames: Iterator[VideoFrame], depth: int) -> Iterator[VideoFrame]:
    """The same frames, decoded up to `depth` ahead on a daemon thread (PyAV decodes without the GIL).

    An error raised while decoding is raised here, in order; closing the iterator stops the thread.
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def fill() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        slots.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as err:  # handed to the consumer, which raises it
            slots.put(err)

    worker = threading.Thread(target=fill, daemon=True, name="fakescope-video-decode")
    worker.start()
    try:
        while (item := slots.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
