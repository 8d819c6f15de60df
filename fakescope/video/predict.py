"""`predict_video`: open, sample, decode, find faces, judge, track, aggregate — one verdict per clip.

Frames are decoded on a reader thread (at most `PREFETCH_FRAMES` ahead, so decoding overlaps the model) and
flow through in small batches, dropped once judged; per track only its scores, boxes and best view are kept
(and the pictures of the frames where a track peaked), so memory does not grow with the clip's length.

Example:
    >>> result = predict_video(Detector(), "clip.mp4", frames=16)
    >>> result.verdict, len(result.timeline), result.track.id
    ('FAKE', 16, 1)
"""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from fakescope.runtime.checks import CHECKS
from fakescope.runtime.detector import Detector
from fakescope.runtime.images import DecodedImage, ImageInfo
from fakescope.runtime.preprocess import InputSpec, crop_box
from fakescope.runtime.results import FaceVerdict, Prediction
from fakescope.runtime.spec import class_name
from fakescope.video.aggregation import DEFAULT_AGGREGATION, aggregate, check_aggregation
from fakescope.video.container import DEFAULT_FPS, OpenVideo, VideoSource, open_video
from fakescope.video.errors import NoFramesError, VideoTooLargeError
from fakescope.video.frames import DecodeStats, VideoFrame, prefetched, read_frames
from fakescope.video.limits import DEFAULT_VIDEO_LIMITS, VideoLimits
from fakescope.video.results import MostFakeFrame, TimelinePoint, Track, VideoPrediction, VideoTimings
from fakescope.video.sampler import (
    DEFAULT_FRAMES,
    Read,
    estimated_decodes,
    evenly_spaced,
    keyframe_reads,
    plan_reads,
)
from fakescope.video.tracker import IoUTracker
from fakescope.video.verdict import FRAME_CHECKS, deciding_tracks, final_verdict, frame_check_reasons

BATCH_FRAMES = 8
PREFETCH_FRAMES = 8
"""Frames decoded ahead on the reader thread while the model judges the previous batch."""
THUMBNAIL_SIDE = 320


def predict_video(
    detector: Detector,
    source: VideoSource,
    *,
    frames: int = DEFAULT_FRAMES,
    keyframes_only: bool = False,
    aggregation: str = DEFAULT_AGGREGATION,
    limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
    keep_frames: bool = False,
    name: str | None = None,
) -> VideoPrediction:
    """Judge a clip: `frames` moments evenly spaced in time, every face tracked, the most fake track decides.

    Args:
        detector: the image model (with its face front-end, as its card declares).
        source: a video file path, bytes or binary file.
        frames: moments to sample. Defaults to 32.
        keyframes_only: sample the keyframe before each moment only (fast triage). Defaults to False.
        aggregation: how a track's frame scores become its score, a name in `AGGREGATIONS`. Defaults to
            "mean".
        limits: file size, duration, resolution and frames-decoded bounds. Defaults to `DEFAULT_VIDEO_LIMITS`.
        keep_frames: also keep every analysed frame, scaled to at most 320 px (for scrubbing). Defaults to
            False.
        name: display name. Defaults to the file name of a path.

    Raises:
        InvalidVideoError: the file cannot be analysed (its subclass names why).
    """
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"`frames` must be an integer >= 1. Received: frames={frames!r}")
    check_aggregation(aggregation)
    started = time.perf_counter()
    with open_video(source, limits, name) as video:
        reads = _plan(video, frames, keyframes_only, limits)
        stats = DecodeStats()
        state = _Analysis(detector, aggregation, keep_frames)
        opened = time.perf_counter()
        decode_s = analysis_s = 0.0
        batch: list[VideoFrame] = []
        frames_read = read_frames(
            video,
            reads,
            keyframes_only=keyframes_only,
            max_side=limits.analysis_side,
            max_decoded=limits.max_frames_decoded,
            max_pixels=limits.max_pixels,
            stats=stats,
        )
        # Closed before the container is: the reader thread must stop before its decoder goes away.
        with closing(prefetched(frames_read, PREFETCH_FRAMES)) as stream:
            while True:
                tick = time.perf_counter()
                frame = next(stream, None)
                decode_s += time.perf_counter() - tick
                if frame is not None:
                    batch.append(frame)
                if batch and (frame is None or len(batch) == BATCH_FRAMES):
                    tick = time.perf_counter()
                    state.add(batch, video)
                    analysis_s += time.perf_counter() - tick
                    batch = []
                if frame is None:
                    break
        info = video.info.rotated(state.rotation)
    if not state.timeline:
        raise NoFramesError(f"{info.name or 'video'}: no decodable frame")
    total = (time.perf_counter() - started) * 1000.0
    timings = VideoTimings((opened - started) * 1000.0, decode_s * 1000.0, analysis_s * 1000.0, total)
    sampling = f"{'keyframes' if keyframes_only else 'seek' if any(r.seek for r in reads) else 'sequential'}"
    return state.result(info, timings, stats.decoded, f"{sampling}, {len(reads)} moments")


def _plan(video: OpenVideo, frames: int, keyframes_only: bool, limits: VideoLimits) -> tuple[Read, ...]:
    duration = video.duration()
    interval = 1.0 / (video.info.fps or DEFAULT_FPS)
    times = evenly_spaced(max(duration, interval), frames)
    if keyframes_only:
        return keyframe_reads(times, video.keyframes)
    reads = plan_reads(times, video.keyframes, interval)
    if estimated_decodes(reads, video.keyframes, interval) <= limits.max_frames_decoded:
        return reads
    if video.keyframes.size == 0:  # no index to cost seeks with: seek to every moment, the counter stops it
        return tuple(Read(r.time, True) for r in reads)
    raise VideoTooLargeError(
        f"{video.info.name or 'video'}: sampling {frames} frames would decode about "
        f"{estimated_decodes(reads, video.keyframes, interval)} frames, over the limit of "
        f"{limits.max_frames_decoded}"
    )


@dataclass
class _TrackState:
    times: list[float] = field(default_factory=list)
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    best: FaceVerdict | None = None
    best_time: float = 0.0
    best_picture: np.ndarray | None = None


class _Analysis:
    """Running state of one clip's analysis: the tracker, each track's record and the timeline."""

    def __init__(self, detector: Detector, aggregation: str, keep_frames: bool) -> None:
        self.detector, self.aggregation, self.keep_frames = detector, aggregation, keep_frames
        self.whole_frames = detector.face_finder is None
        self.tracker = IoUTracker()
        self.tracks: dict[int, _TrackState] = {}
        self.timeline: list[TimelinePoint] = []
        self.thumbnails: list[np.ndarray] = []
        self.flagged: dict[str, list[str]] = {name: [] for name in FRAME_CHECKS}
        """Per image check, its reason on each frame with a face where it said UNSURE."""
        self.rotation = 0

    def add(self, frames: list[VideoFrame], video: OpenVideo) -> None:
        self.rotation = frames[0].rotation
        framed = [self.detector.prepare(_decoded(frame, video)) for frame in frames]
        for frame, prediction in zip(frames, self.detector.judge(framed), strict=True):
            faces = list(prediction.faces) or (
                [_whole_frame(prediction, frame, self.detector.spec)] if self.whole_frames else []
            )
            self.timeline.append(TimelinePoint(frame.time, len(faces), prediction.prob_fake))
            if self.keep_frames:
                self.thumbnails.append(_thumbnail(frame.pixels))
            if faces:
                for check in FRAME_CHECKS:
                    if reason := CHECKS[check](prediction):
                        self.flagged[check].append(reason)
            ids = self.tracker.update(np.array([face.box for face in faces], np.float64))
            for track_id, face in zip(ids, faces, strict=True):
                track = self.tracks.setdefault(track_id, _TrackState())
                track.times.append(frame.time)
                track.boxes.append(face.box)
                track.scores.append(face.prob_fake)
                if track.best is None or face.prob_fake > track.best.prob_fake:
                    track.best, track.best_time, track.best_picture = face, frame.time, frame.pixels

    def result(self, info, timings: VideoTimings, decoded: int, sampling: str) -> VideoPrediction:
        threshold = self.detector.threshold
        tracks = tuple(
            Track(
                id=track_id,
                times=tuple(state.times),
                boxes=tuple(state.boxes),
                scores=tuple(state.scores),
                score=aggregate(state.scores, self.aggregation),
                threshold=threshold,
                aggregation=self.aggregation,
                thumbnail=state.best.view,
            )
            for track_id, state in sorted(self.tracks.items())
        )
        most_fake, prob_fake = None, float(np.mean([p.prob_fake for p in self.timeline]))
        if tracks:
            deciding = max(deciding_tracks(tracks), key=lambda t: t.score)
            state = self.tracks[deciding.id]
            prob_fake = deciding.score
            size = (info.width, info.height)
            most_fake = MostFakeFrame(state.best_time, deciding.id, size, state.best, state.best_picture)
        label = class_name(prob_fake, threshold)
        checks = frame_check_reasons(self.flagged, sum(1 for point in self.timeline if point.faces))
        verdict, reasons = final_verdict(
            tracks, threshold, len(self.timeline), label, info.provenance, checks
        )
        return VideoPrediction(
            verdict=verdict,
            reasons=reasons,
            prob_fake=prob_fake,
            threshold=threshold,
            info=info,
            tracks=tracks,
            timeline=tuple(self.timeline),
            most_fake=most_fake,
            timings=timings,
            frames_decoded=decoded,
            sampling=sampling,
            frame_checks=checks,
            frames=tuple(self.thumbnails),
        )


def _decoded(frame: VideoFrame, video: OpenVideo) -> DecodedImage:
    width, height = frame.size
    name = f"{video.info.name or 'video'}@{frame.time:.2f}s"
    return DecodedImage(frame.pixels, ImageInfo(width, height, video.info.codec.upper(), "RGB", None, name))


def _whole_frame(prediction: Prediction, frame: VideoFrame, spec: InputSpec) -> FaceVerdict:
    """Without a face front-end the model judges each frame's centre crop: one track of whole frames."""
    height, width = frame.pixels.shape[:2]
    spec_h, spec_w = spec.height, spec.width
    left, top, right, bottom = crop_box((width, height), spec)
    scale = frame.size[0] / width
    view_to_frame = np.array(
        [[(right - left) / spec_w, 0.0, left], [0.0, (bottom - top) / spec_h, top], [0, 0, 1]]
    )
    transform = np.diag([scale, scale, 1.0]) @ view_to_frame
    box = (0, 0, frame.size[0], frame.size[1])
    crop = tuple(round(v * scale) for v in (left, top, right, bottom))
    return FaceVerdict(box, crop, 1.0, prediction.prob_fake, prediction.cam, prediction.view, transform)


def _thumbnail(pixels: np.ndarray) -> np.ndarray:
    height, width = pixels.shape[:2]
    scale = min(1.0, THUMBNAIL_SIDE / max(height, width))
    if scale == 1.0:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BILINEAR))
