"""Uploaded videos in the dashboard: their own size limit, one `VideoPrediction` or a one-line rejection.

A video may be as large as one upload message carries (`FILES_PER_MESSAGE` images at the image limit: 80 MiB
with the default 10 MiB, more with `fakescope dashboard --max-upload-mb`), at most `MAX_VIDEO_UPLOAD_MB`.

Example:
    >>> outcome = analyse_video(detector, "clip.mp4", content, image_max_bytes=10 * 2**20)
    >>> type(outcome).__name__
    'VideoPrediction'
"""

from __future__ import annotations

from fakescope.runtime import DEFAULT_LIMITS, Detector, Rejected
from fakescope.video import VIDEO_EXTENSIONS, InvalidVideoError, MissingExtraError, VideoLimits, predict_video
from fakescope.video.container import is_video_data
from fakescope.video.results import VideoPrediction
from fakescope.widgets.limits import FILES_PER_MESSAGE

MAX_VIDEO_UPLOAD_MB = 500
"""Largest uploaded video whatever the message limit, in MiB (the CLI's `VideoLimits` default)."""
VIDEO_ACCEPT = ",".join(VIDEO_EXTENSIONS)
DASHBOARD_FRAMES = 16
"""Moments sampled per uploaded clip: half the CLI's default, so a page answers in a second or two."""


def is_video_upload(name: str, content: bytes) -> bool:
    """Whether an upload is a video, by its first bytes (a misnamed file goes to the right decoder)."""
    return is_video_data(content[:16], name)


def video_upload_limit(image_max_bytes: int) -> int:
    """The largest uploaded video, in bytes, for the dashboard's image limit `image_max_bytes`."""
    return min(FILES_PER_MESSAGE * image_max_bytes, MAX_VIDEO_UPLOAD_MB * 2**20)


def analyse_video(
    detector: Detector, name: str, content: bytes, image_max_bytes: int = DEFAULT_LIMITS.max_file_bytes
) -> VideoPrediction | Rejected:
    """Judge an uploaded clip (its sampled frames kept for scrubbing); a bad one is `Rejected`, one line."""
    limits = VideoLimits(max_file_bytes=video_upload_limit(image_max_bytes))
    try:
        return predict_video(
            detector, content, frames=DASHBOARD_FRAMES, limits=limits, keep_frames=True, name=name
        )
    except (InvalidVideoError, MissingExtraError) as err:
        return Rejected(name, err)
    except Exception as err:  # never lose the batch: anything unexpected is this file's one-line reason
        return Rejected(name, InvalidVideoError(f"{name}: unexpected error ({type(err).__name__}: {err})"))
