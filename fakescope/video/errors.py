"""Typed errors of video analysis. Every message is one human-readable line naming the file.

Example:
    >>> try:
    ...     open_video("notes.txt")
    ... except InvalidVideoError as err:
    ...     print(err)
    notes.txt: not a video file (MP4, MOV, MKV, WebM, AVI, ...)
"""

from fakescope.extras import MissingExtraError  # noqa: F401 - the project's one missing-extra error
from fakescope.runtime.errors import FakescopeError


class InvalidVideoError(FakescopeError, ValueError):
    """The input cannot be analysed as a video."""


class NotAVideoError(InvalidVideoError):
    """The data is not a video container fakescope reads (or it is a still image)."""


class NoVideoStreamError(InvalidVideoError):
    """The container holds no video stream."""


class AudioOnlyError(NoVideoStreamError):
    """The container holds audio but no video."""


class CorruptVideoError(InvalidVideoError):
    """The file is a video container but cannot be read: truncated, damaged headers, broken packets."""


class UnsupportedCodecError(InvalidVideoError):
    """The video stream's codec has no decoder in this build of FFmpeg."""


class NoFramesError(InvalidVideoError):
    """The video stream yields no decodable frame."""


class VideoTooLargeError(InvalidVideoError):
    """The file size, duration, declared resolution or frames to decode exceed the configured limits."""
