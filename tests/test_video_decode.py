"""Reading videos: the frame shown at each sampled time (VFR by timestamps), seeking and sequential decoding
giving the same pixels, keyframes only, rotation metadata, scaling, and one typed one-line error for every
hostile file. Every clip is encoded here with PyAV and checked against PyAV decoding it directly."""

from __future__ import annotations

import contextlib
import io

import av
import numpy as np
import pytest
from PIL import Image
from video_factory import all_frame_times, real_head, scene, write_audio, write_video

from fakescope.video import (
    AudioOnlyError,
    CorruptVideoError,
    DecodeStats,
    InvalidVideoError,
    NoFramesError,
    NotAVideoError,
    Read,
    UnsupportedCodecError,
    VideoLimits,
    VideoTooLargeError,
    evenly_spaced,
    open_video,
    plan_reads,
    predict_video,
    read_frames,
)
from fakescope.video.sampler import keyframe_reads


def numbered_frames(count: int, size=(96, 64)) -> list[np.ndarray]:
    """Frames whose brightness encodes their index (16 levels apart), so a decoded frame names itself."""
    width, height = size
    return [np.full((height, width, 3), 8 + 16 * (i % 15), np.uint8) for i in range(count)]


def index_of(pixels: np.ndarray) -> int:
    return round((float(pixels.mean()) - 8) / 16)


def shown_at(times: list[float], target: float) -> float:
    """Reference: the last frame whose timestamp is not after `target`."""
    before = [t for t in times if t <= target + 1e-6]
    return before[-1] if before else times[0]


def test_variable_frame_rate_is_followed_by_timestamps(tmp_path):
    times = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 1.0, 1.8, 2.0, 2.9]  # dense, then sparse
    path = write_video(tmp_path / "vfr.mkv", numbered_frames(len(times)), times=times)
    actual = all_frame_times(path)
    np.testing.assert_allclose(actual, times, atol=1e-3)
    with open_video(path) as video:
        targets = evenly_spaced(video.info.duration_s, 6)
        frames = list(read_frames(video, plan_reads(targets, video.keyframes, 0.05)))
    expected = sorted({shown_at(actual, t) for t in targets})
    np.testing.assert_allclose([f.time for f in frames], expected, atol=1e-6)
    assert [index_of(f.pixels) for f in frames] == [actual.index(t) for t in expected]


@pytest.mark.parametrize(
    ("name", "codec", "decoded_as"),
    [
        ("clip.mp4", "libx264", ("mov", "h264")),
        ("clip.mov", "libx265", ("mov", "hevc")),
        ("clip.mkv", "libsvtav1", ("matroska", "av1")),
        ("clip.webm", "libvpx-vp9", ("matroska", "vp9")),
        ("clip.avi", "mpeg4", ("avi", "mpeg4")),
    ],
)
def test_each_container_and_codec_the_wheel_has_gives_the_frame_shown_at_each_time(
    tmp_path, name, codec, decoded_as
):
    path = write_video(tmp_path / name, numbered_frames(12), fps=10, codec=codec)
    actual = all_frame_times(path)
    with open_video(path) as video:
        assert (video.info.container, video.info.codec) == decoded_as
        targets = evenly_spaced(video.info.duration_s, 4)
        frames = list(read_frames(video, plan_reads(targets, video.keyframes, 0.1)))
    expected = [shown_at(actual, t) for t in targets]
    assert [index_of(f.pixels) for f in frames] == [actual.index(t) for t in expected]


def test_seeking_and_sequential_decoding_give_the_same_frames(tmp_path):
    path = write_video(tmp_path / "gop.mp4", numbered_frames(60), fps=30, gop=5)
    targets = evenly_spaced(2.0, 5)
    with open_video(path) as video:
        assert len(video.keyframes) >= 10
        seeking = plan_reads(targets, video.keyframes, 1 / 30)
        assert sum(r.seek for r in seeking) >= 3
        sought = [(f.time, f.pixels) for f in read_frames(video, seeking)]
    with open_video(path) as video:
        plain = [(f.time, f.pixels) for f in read_frames(video, tuple(Read(t, False) for t in targets))]
    assert [t for t, _ in sought] == [t for t, _ in plain]
    for (_, a), (_, b) in zip(sought, plain, strict=True):
        np.testing.assert_array_equal(a, b)


def test_keyframes_only_decodes_nothing_but_keyframes(tmp_path):
    path = write_video(tmp_path / "keys.mp4", numbered_frames(40), fps=20, gop=10)
    with av.open(str(path)) as container:
        keys = [float(f.time) for f in container.decode(video=0) if f.key_frame]
    with open_video(path) as video:
        reads = keyframe_reads(evenly_spaced(video.info.duration_s, 8), video.keyframes)
        times = [f.time for f in read_frames(video, reads, keyframes_only=True)]
    assert times and set(np.round(times, 3)) <= set(np.round(keys, 3))
    assert len(times) == len(set(times))


# a full keyframe index, cluster cues only, none; a decoder that decodes every frame whatever it is asked
@pytest.mark.parametrize(
    ("suffix", "codec"),
    [(".mp4", "libx264"), (".mkv", "libx264"), (".ts", "libx264"), (".webm", "libvpx-vp9")],
)
def test_keyframes_only_gives_each_sample_the_last_keyframe_before_it(tmp_path, suffix, codec):
    path = write_video(tmp_path / f"keys{suffix}", numbered_frames(40), fps=20, gop=10, codec=codec)
    times = all_frame_times(path)
    with av.open(str(path)) as container:
        keys = [time for time, f in zip(times, container.decode(video=0), strict=True) if f.key_frame]
    with open_video(path) as video:
        targets = evenly_spaced(video.info.duration_s, 8)
        frames = list(read_frames(video, keyframe_reads(targets, video.keyframes), keyframes_only=True))
    expected = sorted({max(k for k in keys if k <= t + 1e-6) for t in targets})
    assert len(expected) == 4 and [round(f.time, 3) for f in frames] == [round(k, 3) for k in expected]
    assert [index_of(f.pixels) for f in frames] == [round(k * 20) % 15 for k in expected]


def test_keyframes_only_reads_a_fragmented_mp4_cut_short(tmp_path):
    path = tmp_path / "frag.mp4"
    with av.open(str(path), "w", options={"movflags": "frag_keyframe+empty_moov"}) as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        stream.codec_context.gop_size = 25
        for pixels in numbered_frames(100, (320, 240)):
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 55 // 100])
    keys = []  # reference: the keyframes plain decoding gets out of the cut file, from the stream's start
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        start = float(stream.start_time * stream.time_base)
        for packet in container.demux(stream):
            with contextlib.suppress(av.error.InvalidDataError):
                keys += [float(f.time) - start for f in packet.decode() if f.key_frame]
    with open_video(path) as video:
        targets = evenly_spaced(video.info.duration_s, 6)
        frames = list(read_frames(video, keyframe_reads(targets, video.keyframes), keyframes_only=True))
    expected = sorted({max([k for k in keys if k <= t + 1e-6] or keys[:1]) for t in targets})
    assert len(expected) >= 2 and [round(f.time, 3) for f in frames] == [round(k, 3) for k in expected]


def test_a_rotated_phone_clip_is_turned_upright(tmp_path):
    upright = scene((96, 160), [(real_head(), 4, 30, 0.4)])  # portrait, as the viewer sees it
    stored = np.rot90(upright, k=1)  # a phone stores it sideways and says "rotate by -90" in the matrix
    path = write_video(tmp_path / "phone.mp4", [stored] * 3, rotation=-90)
    with open_video(path) as video:
        (frame,) = list(read_frames(video, (Read(0.05, False),)))
    assert frame.size == (96, 160) and frame.pixels.shape == (160, 96, 3)
    assert np.abs(frame.pixels.astype(int) - upright).mean() < 6


def test_large_frames_are_scaled_before_face_search(tmp_path):
    path = write_video(tmp_path / "big.mp4", numbered_frames(2, (320, 240)))
    with open_video(path) as video:
        (frame, *_) = list(read_frames(video, (Read(0.0, False),), max_side=80))
    assert frame.size == (320, 240) and frame.pixels.shape == (60, 80, 3)
    with av.open(str(path)) as container:
        full = next(container.decode(video=0)).to_ndarray(format="rgb24")
    reference = np.asarray(Image.fromarray(full).resize((80, 60), Image.Resampling.BOX))
    assert np.abs(frame.pixels.astype(int) - reference).mean() < 3


def test_the_frames_decoded_limit_is_checked_before_decoding(tmp_path, tiny_model_path):
    from fakescope.runtime import Detector

    path = write_video(tmp_path / "long.mp4", numbered_frames(30))
    with pytest.raises(VideoTooLargeError, match="limit of 10"):
        predict_video(Detector(tiny_model_path), path, frames=8, limits=VideoLimits(max_frames_decoded=10))


def test_a_stream_that_grows_after_its_header_stops_at_the_pixel_limit(tmp_path, tiny_model_path):
    from fakescope.runtime import Detector

    small = write_video(tmp_path / "small.h264", numbered_frames(3, (64, 48))).read_bytes()
    large = write_video(tmp_path / "large.h264", numbered_frames(3, (1024, 768))).read_bytes()
    path = tmp_path / "grows.h264"
    path.write_bytes(small + large)  # raw H.264: a second SPS switches to 1024x768
    limits = VideoLimits(max_pixels=64 * 48 * 4)
    with open_video(path, limits) as video:
        assert (video.info.width, video.info.height) == (64, 48)  # the header check passes
    with pytest.raises(
        VideoTooLargeError, match=r"^grows\.h264: a 1024x768 frame is over the limit of 12,288"
    ):
        predict_video(Detector(tiny_model_path), path, frames=4, limits=limits)
    # without the limit: a raw stream (no duration, no timestamps, no seeking) is measured by its packets,
    # opened again to decode, and its frames are timed by the declared rate
    result = predict_video(Detector(tiny_model_path), path, frames=6)
    with open_video(path) as video:
        interval = 1 / video.info.fps
    assert [round(p.time / interval) for p in result.timeline] == [0, 1, 2, 3, 4, 5]


def mkv_bytes(tmp_path) -> bytes:
    return write_video(tmp_path / "base.mkv", numbered_frames(4)).read_bytes()


def hostile_files(tmp_path) -> dict[str, tuple[object, type, str]]:
    """name -> (bytes, expected error type, expected message fragment)."""
    good = write_video(tmp_path / "good.mp4", numbered_frames(10)).read_bytes()
    jpeg = io.BytesIO()
    Image.fromarray(numbered_frames(1)[0]).save(jpeg, "JPEG")
    mkv = mkv_bytes(tmp_path)
    return {
        "nothing.mp4": (b"", NotAVideoError, "an empty file"),
        "notes.mp4": (b"just some text, not a video at all\n" * 20, NotAVideoError, "not a video file"),
        "photo.mp4": (jpeg.getvalue(), NotAVideoError, "a JPEG image, not a video"),
        "truncated.mp4": (good[: len(good) // 2], CorruptVideoError, "corrupt or truncated"),
        "voice.m4a": (write_audio(tmp_path / "voice.m4a").read_bytes(), AudioOnlyError, "audio only"),
        "huge.y4m": (
            b"YUV4MPEG2 W16000 H16000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x00" * 4096,
            VideoTooLargeError,
            "declared 16000x16000",
        ),
        "vast.y4m": (  # FFmpeg itself refuses a frame this size while probing
            b"YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + b"\x00" * 4096,
            CorruptVideoError,
            "corrupt or truncated video",
        ),
        "empty.mkv": (mkv[: mkv.index(b"\x1f\x43\xb6\x75") + 64], NoFramesError, "no decodable frame"),
        "alien.mkv": (mkv.replace(b"V_MPEG4/ISO/AVC", b"V_MPEG4/ISO/XYZ"), UnsupportedCodecError, "codec"),
        "list.m3u8": (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:9/segment.ts\n#EXT-X-ENDLIST\n",
            NotAVideoError,
            "not a video",
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "nothing.mp4",
        "notes.mp4",
        "photo.mp4",
        "truncated.mp4",
        "voice.m4a",
        "huge.y4m",
        "vast.y4m",
        "empty.mkv",
        "alien.mkv",
        "list.m3u8",
    ],
)
def test_each_hostile_file_gives_its_typed_one_line_error(tmp_path, tiny_model_path, name):
    from fakescope.runtime import Detector

    data, error, fragment = hostile_files(tmp_path)[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(error) as caught:
        predict_video(Detector(tiny_model_path), path)
    message = str(caught.value)
    assert isinstance(caught.value, InvalidVideoError)
    assert fragment in message and message.startswith(name) and "\n" not in message


def test_file_size_and_duration_limits_are_checked_from_the_header(tmp_path):
    path = write_video(tmp_path / "clip.mp4", numbered_frames(20), fps=10)
    with pytest.raises(VideoTooLargeError, match="MB limit"):
        open_video(path, VideoLimits(max_file_bytes=100))
    with pytest.raises(VideoTooLargeError, match="over the limit of 1 s"):
        open_video(path, VideoLimits(max_duration_s=1.0))
    with open_video(path.read_bytes(), name="in-memory") as video:
        assert video.info.duration_s == pytest.approx(2.0) and video.info.name == "in-memory"


def test_prefetching_stays_bounded_and_hands_over_decoding_errors():
    import threading

    from fakescope.video.frames import prefetched

    made = []
    more = threading.Event()

    def frames():
        for index in range(100):
            made.append(index)
            yield index
            if index == 4:
                raise VideoTooLargeError("clip: decoding stopped at the limit of 5 frames")

    stream = prefetched(frames(), depth=2)
    assert next(stream) == 0
    more.wait(0.3)
    assert len(made) <= 4  # one taken, two queued, one waiting to be queued
    taken = [0]
    with pytest.raises(VideoTooLargeError, match="limit of 5"):
        taken.extend(stream)
    assert taken == [0, 1, 2, 3, 4]  # every frame decoded before the error arrives first, in order


def test_frames_nothing_refers_to_are_skipped_yet_every_sample_is_the_right_frame(tmp_path):
    path = write_video(tmp_path / "cfr.mp4", numbered_frames(90), fps=30)  # libx264 default: B-frames
    actual = all_frame_times(path)
    with open_video(path) as video:
        targets = evenly_spaced(video.info.duration_s, 6)
        stats = DecodeStats()
        frames = list(read_frames(video, plan_reads(targets, video.keyframes, 1 / 30), stats=stats))
    expected = [actual.index(shown_at(actual, t)) for t in targets]
    assert [index_of(f.pixels) for f in frames] == [i % 15 for i in expected]
    assert stats.decoded < len(actual)  # some non-reference frames were never decoded


def test_files_opened_for_a_path_are_closed_and_a_callers_file_is_left_open(tmp_path):
    import os

    path = write_video(tmp_path / "clip.mp4", numbered_frames(3))
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(5):
        with open_video(path):
            pass
        with pytest.raises(NotAVideoError):
            open_video(b"x" * 64)
    assert len(os.listdir("/proc/self/fd")) == before
    with path.open("rb") as mine:
        mine.seek(0)
        with open_video(mine) as video:
            assert video.info.width == 96
        assert not mine.closed


def test_a_fifo_named_like_a_video_is_refused_without_blocking(tmp_path, tiny_model_path):
    import os

    from fakescope.runtime import Detector
    from fakescope.video import predict_files

    fifo = tmp_path / "stream.mp4"
    os.mkfifo(fifo)
    (result,) = predict_files(Detector(tiny_model_path), [fifo])
    assert "FIFO" in result.message and "\n" not in result.message
    with pytest.raises(InvalidVideoError, match=r"stream\.mp4: not a file"):
        open_video(fifo)
