"""Video for fakescope: sample a clip, track every face, judge each frame with the image model, one verdict.

Needs the `video` extra (PyAV, whose wheels bundle FFmpeg); the edge runtime never imports this package.
Four small pieces a test can drive one at a time: `read_frames` (a generator of decoded frames),
`plan_reads` / `keyframe_reads` (which moments, and how to reach them), `IoUTracker` (boxes only) and
`aggregate` (scores only); `predict_video` wires them.

Example:
    >>> from fakescope.runtime import Detector
    >>> from fakescope.video import predict_video
    >>> predict_video(Detector(), "c.mp4")
    VideoPrediction(FAKE, prob_fake=0.973, threshold=0.500, 'c.mp4' 1280x720 10.0s h264, 2 tracks, 32 frames)
"""

from fakescope.video.aggregation import AGGREGATIONS, DEFAULT_AGGREGATION, aggregate
from fakescope.video.batch import predict_files
from fakescope.video.container import VIDEO_EXTENSIONS, OpenVideo, VideoInfo, looks_like_video, open_video
from fakescope.video.errors import (
    AudioOnlyError,
    CorruptVideoError,
    InvalidVideoError,
    MissingExtraError,
    NoFramesError,
    NotAVideoError,
    NoVideoStreamError,
    UnsupportedCodecError,
    VideoTooLargeError,
)
from fakescope.video.frames import DecodeStats, VideoFrame, read_frames
from fakescope.video.limits import DEFAULT_VIDEO_LIMITS, VideoLimits
from fakescope.video.predict import predict_video
from fakescope.video.results import UNSURE, MostFakeFrame, TimelinePoint, Track, VideoPrediction, VideoTimings
from fakescope.video.sampler import DEFAULT_FRAMES, Read, evenly_spaced, keyframe_reads, plan_reads
from fakescope.video.tracker import IoUTracker, box_iou

__all__ = [
    "AGGREGATIONS",
    "DEFAULT_AGGREGATION",
    "DEFAULT_FRAMES",
    "DEFAULT_VIDEO_LIMITS",
    "UNSURE",
    "VIDEO_EXTENSIONS",
    "AudioOnlyError",
    "CorruptVideoError",
    "DecodeStats",
    "InvalidVideoError",
    "IoUTracker",
    "MissingExtraError",
    "MostFakeFrame",
    "NoFramesError",
    "NoVideoStreamError",
    "NotAVideoError",
    "OpenVideo",
    "Read",
    "TimelinePoint",
    "Track",
    "UnsupportedCodecError",
    "VideoFrame",
    "VideoInfo",
    "VideoLimits",
    "VideoPrediction",
    "VideoTimings",
    "VideoTooLargeError",
    "aggregate",
    "box_iou",
    "evenly_spaced",
    "keyframe_reads",
    "looks_like_video",
    "open_video",
    "plan_reads",
    "predict_files",
    "predict_video",
    "read_frames",
]
