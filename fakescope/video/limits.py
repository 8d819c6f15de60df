"""Bounds applied to a video before any frame is decoded (and to the frames decoded while it is read).

Example:
    >>> limits = VideoLimits(max_file_bytes=50 * 1024 * 1024, max_duration_s=60.0)
    >>> limits.max_pixels, limits.max_frames_decoded
    (33177600, 20000)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VideoLimits:
    """What a video may cost; each bound is checked from the container's header before decoding starts.

    Args:
        max_file_bytes: largest file accepted. Defaults to 500 MB.
        max_duration_s: longest declared duration, in seconds. Defaults to 3 hours.
        max_pixels: largest declared width x height of the video stream. Defaults to 8K UHD (7680x4320).
        max_frames_decoded: most frames one analysis may decode; the read plan is costed against it before
            decoding, and decoding stops there. Defaults to 20000.
        analysis_side: frames are scaled (never enlarged) so their longer side is at most this before face
            search. Defaults to 1024.
    """

    max_file_bytes: int = 500 * 1024 * 1024
    max_duration_s: float = 3 * 3600.0
    max_pixels: int = 7680 * 4320
    max_frames_decoded: int = 20_000
    analysis_side: int = 1024

    def __post_init__(self) -> None:
        for name in ("max_file_bytes", "max_duration_s", "max_pixels", "max_frames_decoded", "analysis_side"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"`{name}` must be a positive number. Received: {name}={value!r}")


DEFAULT_VIDEO_LIMITS = VideoLimits()
