"""Which moments of a clip to look at, and how to reach each: seek to a keyframe, or decode on.

The sampler only sees times: the clip's duration, the keyframes its index lists and the frame interval. It
never touches a decoder, so a test can check its plans with plain numbers.

Example:
    >>> times = evenly_spaced(10.0, 4)
    >>> times
    array([1.25, 3.75, 6.25, 8.75])
    >>> [read.seek for read in plan_reads(times, keyframes=np.array([0.0, 5.0]), frame_interval=1 / 30)]
    [False, False, True, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_FRAMES = 32
"""Frames sampled per clip, as DeepfakeBench and the DFDC winner use."""
SEEK_SAVES_FRAMES = 8
"""Seek only when it skips at least this many frames: a seek flushes the decoder and re-reads packets."""
SEEK_SAVES_KEYFRAMES = 2
"""Keyframes only: seek when decoding on would pass at least this many keyframes (the first is decoded anyway:
it was read to learn that the previous sample's keyframe was the last before it)."""


@dataclass(frozen=True)
class Read:
    """One sampled moment: `time` in seconds from the clip's start; `seek` to the keyframe before it first."""

    time: float
    seek: bool


def evenly_spaced(duration: float, count: int = DEFAULT_FRAMES) -> np.ndarray:
    """`count` times evenly spaced over [0, duration): the centres of `count` equal slices, in seconds."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"`count` must be an integer >= 1. Received: count={count!r}")
    if not duration > 0:
        raise ValueError(f"`duration` must be > 0. Received: duration={duration}")
    return (np.arange(count) + 0.5) * (duration / count)


def plan_reads(
    times: np.ndarray,
    keyframes: np.ndarray | None,
    frame_interval: float,
    keyframe_interval: float | None = None,
) -> tuple[Read, ...]:
    """How to reach each of `times` (ascending) while decoding as few frames as possible.

    Decoding on from the previous sample costs every frame in between; seeking costs the frames from the
    keyframe before the target. So a read seeks exactly when a keyframe lies far enough past the decoder's
    position: with short GOPs or sparse samples most reads seek, with long GOPs or dense samples the plan is
    sequential decoding.

    Args:
        times: sample times in seconds, ascending.
        keyframes: keyframe times from the container's index; empty or None when unknown.
        frame_interval: seconds per frame (1 / fps).
        keyframe_interval: when the index lists no keyframes, their assumed spacing in seconds (None: never
            seek, decode sequentially).
    """
    if frame_interval <= 0:
        raise ValueError(f"`frame_interval` must be > 0. Received: {frame_interval}")
    times = np.asarray(times, np.float64)
    if times.size and np.any(np.diff(times) < 0):
        raise ValueError("`times` must be ascending")
    known = np.asarray(keyframes if keyframes is not None else (), np.float64)
    if known.size == 0 and keyframe_interval:
        end = float(times[-1]) if times.size else 0.0
        known = np.arange(0.0, end + keyframe_interval, keyframe_interval)
    reads, position = [], 0.0
    for time in times:
        before = known[known <= time]
        keyframe = float(before[-1]) if before.size else 0.0
        seek = (keyframe - position) / frame_interval >= SEEK_SAVES_FRAMES
        reads.append(Read(float(time), bool(seek)))
        position = max(position, float(time))
    return tuple(reads)


def estimated_decodes(reads: tuple[Read, ...], keyframes: np.ndarray | None, frame_interval: float) -> int:
    """Frames a plan decodes, at most (the cost checked against `VideoLimits.max_frames_decoded`)."""
    known = np.asarray(keyframes if keyframes is not None else (), np.float64)
    frames, position = 0.0, 0.0
    for read in reads:
        if read.seek:
            before = known[known <= read.time]
            position = float(before[-1]) if before.size else position
        frames += max(0.0, read.time - position) / frame_interval + 1
        position = max(position, read.time)
    return int(np.ceil(frames))


def keyframe_reads(times: np.ndarray, keyframes: np.ndarray | None) -> tuple[Read, ...]:
    """Fast triage: each of `times`, to be shown by the last keyframe before it (decoding keyframes only).

    A read seeks when the index lists at least `SEEK_SAVES_KEYFRAMES` keyframes between the decoder's
    position and the keyframe before it (decoding on would pass them); otherwise the decoder goes on, which
    costs demuxing only. An index that lists fewer keyframes than the clip has (Matroska's cues name only
    clusters) or none at all (MPEG-TS) thus means decoding the keyframes in order, never a wrong frame.
    """
    times = np.asarray(times, np.float64)
    known = np.asarray(keyframes if keyframes is not None else (), np.float64)
    reads, position = [], -np.inf
    for time in times:
        before = known[known <= time]
        keyframe = float(before[-1]) if before.size else 0.0
        passed = int(np.count_nonzero((known > position) & (known < keyframe)))
        reads.append(Read(float(time), passed >= SEEK_SAVES_KEYFRAMES))
        position = max(position, float(time))
    return tuple(reads)
