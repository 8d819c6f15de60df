"""Generated test clips: faces from scikit-image's astronaut pasted into frames and encoded with PyAV.

Nothing is downloaded or committed; every clip is a few small frames so the tests stay fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageFilter

HEAD = (120, 20, 330, 240)
"""(left, top, right, bottom) of the astronaut's head in her 512x512 photo."""
BACKGROUND = (90, 104, 120)


def real_head() -> np.ndarray:
    """The astronaut's head and hair, uint8 (220, 210, 3): a real photographed face."""
    from skimage import data

    photo = data.astronaut()
    return photo[HEAD[1] : HEAD[3], HEAD[0] : HEAD[2]].copy()


def generated_head() -> np.ndarray:
    """A synthetic face made from the real one: mirrored, its colours shifted and its skin smoothed."""
    head = real_head()[:, ::-1].astype(np.int16)
    head = np.clip(head[..., [1, 2, 0]] * 0.6 + head * 0.4 + 12, 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(head).filter(ImageFilter.GaussianBlur(1.5)))


def scene(
    size: tuple[int, int], heads: Sequence[tuple[np.ndarray, int, int, float]], noise_seed: int | None = None
) -> np.ndarray:
    """A (height, width, 3) frame with each (head, x, y, scale) pasted at (x, y)."""
    width, height = size
    if noise_seed is None:
        pixels = np.full((height, width, 3), BACKGROUND, np.uint8)
    else:
        pixels = np.random.default_rng(noise_seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    for head, x, y, scale in heads:
        w, h = round(head.shape[1] * scale), round(head.shape[0] * scale)
        patch = np.asarray(Image.fromarray(head).resize((w, h), Image.Resampling.BILINEAR))
        pixels[y : y + h, x : x + w] = patch[: height - y, : width - x]
    return pixels


def write_video(
    path: Path,
    frames: Sequence[np.ndarray],
    fps: int = 10,
    codec: str = "libx264",
    times: Sequence[float] | None = None,
    rotation: int | None = None,
    gop: int | None = None,
    tags: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames to `path` (the container from its suffix); `times` in seconds make it VFR; `tags`
    are the container's metadata (MP4: kept as given, as QuickTime `mdta` keys)."""
    height, width = frames[0].shape[:2]
    options = {"movflags": "use_metadata_tags"} if tags else {}
    with av.open(str(path), "w", options=options) as container:
        container.metadata.update(tags or {})
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if gop is not None:
            stream.codec_context.gop_size = gop
            if codec == "libx264":
                stream.codec_context.options = {"keyint_min": str(gop), "sc_threshold": "0"}
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for index, pixels in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[index] * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def all_frame_times(path: Path) -> list[float]:
    """Every frame's timestamp in seconds from the stream's start, decoded with PyAV directly."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        return [float(frame.pts * stream.time_base) - start for frame in container.decode(stream)]


def write_audio(path: Path, seconds: float = 0.5) -> Path:
    """An AAC audio-only file."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for index in range(round(seconds * 16000 / 1024)):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, index * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
