"""Open a video with PyAV, learn what it is from its headers, and refuse it early with a one-line reason.

Only local files and in-memory bytes are read here (never a URL), and only the demuxers in `VIDEO_FORMATS`
may open them, so a playlist or a still image is refused before FFmpeg follows or decodes anything.

Example:
    >>> with open_video("clip.mp4") as video:
    ...     video.info.width, video.info.height, round(video.info.duration_s, 2), video.info.codec
    (1920, 1080, 10.0, 'h264')
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np

from fakescope.runtime.files import NotRegularFileError, read_start
from fakescope.runtime.metadata import read_tag_provenance
from fakescope.runtime.provenance import NO_PROVENANCE, Provenance
from fakescope.video._av import require_av
from fakescope.video.errors import (
    AudioOnlyError,
    CorruptVideoError,
    InvalidVideoError,
    NotAVideoError,
    NoVideoStreamError,
    UnsupportedCodecError,
    VideoTooLargeError,
)
from fakescope.video.limits import DEFAULT_VIDEO_LIMITS, VideoLimits

VideoSource = str | os.PathLike | bytes | bytearray | BinaryIO

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".flv", ".y4m")
VIDEO_FORMATS = (
    "mov,mp4,m4a,3gp,3g2,mj2",
    "matroska,webm",
    "avi",
    "mpeg",
    "mpegts",
    "flv",
    "ogg",
    "asf",
    "ivf",
    "h264",
    "hevc",
    "yuv4mpegpipe",
)
"""FFmpeg demuxers allowed to open a file (passed as `format_whitelist`)."""
OPEN_OPTIONS = {"format_whitelist": ",".join(VIDEO_FORMATS)}
DEFAULT_FPS = 25.0
"""Frames per second assumed when a stream declares no rate."""

_CONTAINER_MAGIC = (
    (4, b"ftyp"),
    (0, b"\x1a\x45\xdf\xa3"),
    (0, b"RIFF"),
    (0, b"OggS"),
    (0, b"FLV"),
    (0, b"YUV4MPEG2"),
)
_IMAGE_MAGIC = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


@dataclass(frozen=True)
class VideoInfo:
    """What the headers say about a video. `width` and `height` are as displayed: after `rotation`, the
    counter-clockwise display rotation in degrees that the frames carry (known once one is decoded)."""

    name: str | None
    width: int
    height: int
    rotation: int
    duration_s: float
    fps: float | None
    codec: str
    container: str
    file_size: int | None
    provenance: Provenance = field(default=NO_PROVENANCE, repr=False)
    """What the container's metadata tags declare about the clip's origin (one-sided evidence)."""

    def rotated(self, rotation: int) -> VideoInfo:
        """The same facts for frames displayed rotated by `rotation` degrees (from the coded orientation)."""
        if rotation == self.rotation:
            return self
        swap = (rotation - self.rotation) % 180 != 0
        width, height = (self.height, self.width) if swap else (self.width, self.height)
        return replace(self, width=width, height=height, rotation=rotation)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "duration_s": round(self.duration_s, 3),
            "fps": round(self.fps, 3) if self.fps else None,
            "codec": self.codec,
            "container": self.container,
            "file_size": self.file_size,
        }


class OpenVideo:
    """An open container, its video stream and its facts; use as a context manager (`open_video`)."""

    def __init__(self, container, stream, info: VideoInfo, keyframes: np.ndarray, start: float) -> None:
        self.container, self.stream, self.info = container, stream, info
        self.owned: BinaryIO | None = None
        """The file object `open_video` opened for a path or bytes, closed with the container."""
        self.handle: BinaryIO | None = None
        self.handle_start = 0
        """The file object FFmpeg reads and where the video starts in it (to open it again)."""
        self.keyframes = keyframes
        """Keyframe times in seconds from the start, as the container's index lists them (may be empty)."""
        self.start = start
        """The stream's first timestamp in seconds: frame times are reported relative to it."""

    def duration(self) -> float:
        """The declared duration, else (a live WebM, a raw stream) the one the packets give: their timestamps,
        or their count at the declared rate when they carry none. No frame is decoded."""
        if self.info.duration_s:
            return self.info.duration_s
        stream, end, packets = self.stream, 0.0, 0
        for packet in self.container.demux(stream):
            packets += packet.size > 0
            if packet.pts is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * stream.time_base) - self.start)
        self.rewind()
        return end or packets / (self.info.fps or DEFAULT_FPS)

    def rewind(self) -> None:
        """Back to the first packet: a seek, or for a stream FFmpeg cannot seek (raw H.264), opened again."""
        av = require_av()
        try:
            self.container.seek(0)
        except av.error.FFmpegError:
            self.container.close()
            self.handle.seek(self.handle_start)
            self.container = av.open(self.handle, options=OPEN_OPTIONS)
            self.stream = self.container.streams.video[0]
            self.stream.thread_type = "AUTO"

    def __enter__(self) -> OpenVideo:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.container.close()
        if self.owned is not None:
            self.owned.close()

    def __repr__(self) -> str:
        i = self.info
        return f"OpenVideo({i.name!r} {i.width}x{i.height} {i.duration_s:.2f}s {i.codec})"


def open_video(
    source: VideoSource, limits: VideoLimits = DEFAULT_VIDEO_LIMITS, name: str | None = None
) -> OpenVideo:
    """Open a local video file (or bytes), check it against `limits` from its headers, and return it open.

    Args:
        source: a path, bytes or a binary file object.
        limits: bounds checked before decoding. Defaults to `DEFAULT_VIDEO_LIMITS`.
        name: display name used in messages. Defaults to the file name of a path.

    Raises:
        InvalidVideoError: or its subclasses NotAVideoError, NoVideoStreamError, AudioOnlyError,
            CorruptVideoError, UnsupportedCodecError, VideoTooLargeError.
    """
    av = require_av()
    handle, name, size = _open_handle(source, limits, name)
    owned = handle if handle is not source else None  # a caller's own file object is left open
    try:
        return _opened(av, handle, name, size, limits, owned)
    except BaseException:
        if owned is not None:
            owned.close()
        raise


def _opened(av, handle: BinaryIO, name: str | None, size: int, limits: VideoLimits, owned) -> OpenVideo:
    if size == 0:
        raise NotAVideoError(f"{_label(name)}: an empty file, not a video")
    here = handle.tell()
    head = handle.read(16)
    handle.seek(here)
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            raise NotAVideoError(f"{_label(name)}: a {kind} image, not a video")
    try:
        container = av.open(handle, options=OPEN_OPTIONS)
    except av.error.ArgumentError:
        raise NotAVideoError(f"{_label(name)}: not a video format fakescope reads") from None
    except av.error.FFmpegError as err:
        if any(head[at : at + len(magic)] == magic for at, magic in _CONTAINER_MAGIC):
            raise CorruptVideoError(f"{_label(name)}: corrupt or truncated video ({_short(err)})") from None
        raise NotAVideoError(f"{_label(name)}: not a video file (MP4, MOV, MKV, WebM, AVI, ...)") from None
    try:
        video = _checked(container, name, size, limits)
    except BaseException:
        container.close()
        raise
    video.owned, video.handle, video.handle_start = owned, handle, here
    return video


def _checked(container, name: str | None, size: int | None, limits: VideoLimits) -> OpenVideo:
    if not container.streams.video:
        if container.streams.audio:
            raise AudioOnlyError(f"{_label(name)}: audio only, no video stream")
        raise NoVideoStreamError(f"{_label(name)}: no video stream")
    stream = container.streams.video[0]
    context = stream.codec_context
    if context is None:
        raise UnsupportedCodecError(f"{_label(name)}: its video codec has no decoder in this FFmpeg build")
    width, height = int(context.width or 0), int(context.height or 0)
    if width * height > limits.max_pixels:
        raise VideoTooLargeError(
            f"{_label(name)}: declared {width}x{height} is over the limit of {limits.max_pixels:,} pixels"
        )
    if width < 1 or height < 1:
        raise CorruptVideoError(f"{_label(name)}: the video stream declares no frame size")
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    duration = _duration(container, stream)
    if duration > limits.max_duration_s:
        raise VideoTooLargeError(
            f"{_label(name)}: {duration:.0f} s long, over the limit of {limits.max_duration_s:.0f} s"
        )
    rate = stream.average_rate or stream.guessed_rate
    info = VideoInfo(
        name=name,
        width=width,
        height=height,
        rotation=0,
        duration_s=duration,
        fps=float(rate) if rate else None,
        codec=context.codec.canonical_name,  # "av1", not the decoder that reads it ("libdav1d")
        container=container.format.name.split(",")[0],
        file_size=size,
        provenance=read_tag_provenance({**stream.metadata, **container.metadata}),
    )
    stream.thread_type = "AUTO"
    return OpenVideo(container, stream, info, _keyframes(stream, start), start)


def _duration(container, stream) -> float:
    if stream.duration:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return 0.0


def _keyframes(stream, start: float) -> np.ndarray:
    """Keyframe times from the index, in seconds from the first frame.

    Index timestamps are decoding times, which run ahead of presentation by the reordering delay (B-frames);
    the first keyframe is shown at the start, so that delay is its offset.
    """
    entries = stream.index_entries or ()
    times = np.asarray([float(e.timestamp * stream.time_base) for e in entries if e.is_keyframe], np.float64)
    if times.size == 0:
        return times
    return np.unique(times - times.min())


def _open_handle(
    source: VideoSource, limits: VideoLimits, name: str | None
) -> tuple[BinaryIO, str | None, int]:
    if isinstance(source, (bytes, bytearray)):
        if len(source) > limits.max_file_bytes:
            raise VideoTooLargeError(_too_big(name, len(source), limits))
        return io.BytesIO(bytes(source)), name, len(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = name or path.name
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise InvalidVideoError(f"{_label(name)}: not a file")
            if size > limits.max_file_bytes:
                raise VideoTooLargeError(_too_big(name, size, limits))
            return path.open("rb"), name, size
        except OSError as err:
            raise InvalidVideoError(f"{_label(name)}: cannot read ({err.strerror or err})") from None
    if hasattr(source, "read") and hasattr(source, "seek"):
        raw = getattr(source, "name", None)
        name = name or (Path(raw).name if isinstance(raw, str) else None)
        here = source.tell()
        size = source.seek(0, io.SEEK_END) - here
        source.seek(here)
        if size > limits.max_file_bytes:
            raise VideoTooLargeError(_too_big(name, size, limits))
        return source, name, size
    raise TypeError(f"`source` must be a path, bytes or a binary file. Received: {type(source).__name__}")


def _label(name: str | None) -> str:
    return name if name else "video"


def _too_big(name: str | None, size: int, limits: VideoLimits) -> str:
    return f"{_label(name)}: {size / 1e6:.1f} MB is over the {limits.max_file_bytes / 1e6:.0f} MB limit"


def _short(err: Exception) -> str:
    text = getattr(err, "strerror", None) or str(err)
    return str(text).strip().splitlines()[0][:160] if str(text).strip() else type(err).__name__


def looks_like_video(path: str | os.PathLike) -> bool:
    """Whether a file should be read as a video: by its first bytes when they name a format, else its suffix.

    A JPEG named `.mp4` is an image and an MP4 named `.jpg` a video; an unreadable or unknown file counts as a
    video only when its name says so. A FIFO or a device is never opened (a FIFO would block the read): it is
    not a video, and the image loader refuses it in one line.
    """
    path = Path(path)
    try:
        head = read_start(path, 16)
    except NotRegularFileError:
        return False
    except (OSError, ValueError):
        head = b""
    return is_video_data(head, path.name)


def is_video_data(head: bytes, name: str) -> bool:
    """`looks_like_video` for data in memory: its first bytes (16 are enough) and its file name."""
    if any(head.startswith(magic) for magic, _ in _IMAGE_MAGIC) or head[8:12] == b"WEBP":
        return False
    if any(head[at : at + len(magic)] == magic for at, magic in _CONTAINER_MAGIC):
        return True
    return Path(name).suffix.lower() in VIDEO_EXTENSIONS
