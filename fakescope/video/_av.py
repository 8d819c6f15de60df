"""PyAV, imported only when a video is actually read, with a one-line message when the extra is missing."""

from __future__ import annotations

from types import ModuleType

from fakescope.extras import require_extra


def require_av() -> ModuleType:
    """The `av` module. Raises `MissingExtraError` naming the extra to install when PyAV is missing."""
    with require_extra("video"):
        import av
    return av
