"""PyAV, imported only when a video is actually read, with a one-line message when the extra is missing."""

from __future__ import annotations

from types import ModuleType

from fakescope.video.errors import MissingExtraError


def require_av() -> ModuleType:
    """The `av` module. Raises `MissingExtraError` naming the extra to install when PyAV is missing."""
    try:
        import av
    except ModuleNotFoundError:
        raise MissingExtraError(
            "video support needs PyAV; install the video extra: pip install 'fakescope[video]'"
        ) from None
    return av
