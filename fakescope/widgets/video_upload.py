"""Uploaded videos in the dashboard: their own size limit, one `VideoPrediction` or a one-line rejection.

Example:
    >>> outcome = analyse_video(detector, "clip.mp4", content, max_mb=100)
    >>> type(outcome).__name__
    'VideoPrediction'
"""

from __future__ import annotations

from fakescope.runtime import Detector, Rejected
from fakescope.video import VIDEO_EXTENSIONS, InvalidVideoError, MissingExtraError, VideoLimits, predict_video
from fakescope.video.container import is_video_data
from fakescope.video.results import VideoPrediction

DEFAULT_VIDEO_UPLOAD_MB = 100
"""Largest uploaded video, in MB (images keep the dashboard's own, smaller limit)."""
VIDEO_ACCEPT = ",".join(VIDEO_EXTENSIONS)
DASHBOARD_FRAMES = 16
"""Moments sampled per uploaded clip: half the CLI's default, so a page answers in a second or two."""


def is_video_upload(name: str, content: bytes) -> bool:
    """Whether an upload is a video, by its first bytes (a misnamed file goes to the right decoder)."""
    return is_video_data(content[:16], name)


def analyse_video(
    detector: Detector, name: str, content: bytes, max_mb: float = DEFAULT_VIDEO_UPLOAD_MB
) -> VideoPrediction | Rejected:
    """Judge an uploaded clip (its sampled frames kept for scrubbing); a bad one is `Rejected`, one line."""
    limits = VideoLimits(max_file_bytes=max(1, int(max_mb * 1024 * 1024)))
    try:
        return predict_video(
            detector, content, frames=DASHBOARD_FRAMES, limits=limits, keep_frames=True, name=name
        )
    except (InvalidVideoError, MissingExtraError) as err:
        return Rejected(name, err)
    except Exception as err:  # never lose the batch: anything unexpected is this file's one-line reason
        return Rejected(name, InvalidVideoError(f"{name}: unexpected error ({type(err).__name__}: {err})"))
