"""`watch` on real file sources and an HTTP stream (served on loopback) read by the reader thread: it stops at
--max-seconds, survives a source that ends, reconnects when asked, accounts for every frame (analysed or
dropped as stale), and the CLI prints JSON lines or one error line."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from image_factory import fakescope_command
from onnx_fixtures import write_tiny_model
from video_factory import real_head, scene, write_video

from fakescope.runtime import Detector
from fakescope.video import InvalidVideoError, NoFramesError, NotAVideoError
from fakescope.video.watch import watch


@pytest.fixture(scope="module")
def face_model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("m") / "faces.onnx", face_crop={"enabled": True})


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """3 s at 10 fps of a face drifting right."""
    frames = [scene((200, 150), [(real_head(), 5 + 2 * i, 10, 0.5)]) for i in range(30)]
    return write_video(tmp_path_factory.mktemp("live") / "live.mp4", frames, fps=10)


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory):
    frames = [scene((200, 150), [(real_head(), 5, 10, 0.5)]) for _ in range(5)]
    return write_video(tmp_path_factory.mktemp("live") / "short.mp4", frames, fps=10)


def test_watch_stops_at_max_seconds(face_model, clip):
    detector = Detector(face_model)
    started = time.monotonic()
    updates = list(watch(detector, str(clip), max_seconds=0.8))
    assert time.monotonic() - started < 2.5  # the 3 s source (paced in real time) was not played to its end
    assert updates and updates[-1].elapsed <= 0.8 + 0.5  # the last analysis may finish past the limit
    assert updates[-1].verdict in ("REAL", "FAKE") and len(updates[-1].tracks) == 1
    assert updates[-1].tracks[0].frames == min(len(updates), 16)


def test_watch_survives_a_source_that_ends(face_model, short_clip):
    updates = list(watch(Detector(face_model), str(short_clip), max_seconds=10))
    assert 1 <= len(updates) <= 5 and updates[-1].elapsed < 5
    assert [u.analysed for u in updates] == list(range(1, len(updates) + 1))
    assert updates[-1].reconnects == 0


def test_a_dropped_source_is_reopened(face_model, short_clip):
    updates = list(watch(Detector(face_model), str(short_clip), reconnects=1, max_seconds=10))
    assert max(u.reconnects for u in updates) == 1
    assert updates[-1].time < 0.5  # frame times restart with the reopened stream


def test_every_frame_is_analysed_or_dropped_as_stale(face_model, clip):
    updates = list(watch(Detector(face_model), str(clip), realtime=False))
    last = updates[-1]
    assert last.analysed + last.dropped == 30


def test_bad_sources_are_one_typed_error(face_model, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(NotAVideoError):
        list(watch(Detector(face_model), str(text)))
    with pytest.raises(InvalidVideoError, match="no such file, camera index or stream URL"):
        list(watch(Detector(face_model), str(tmp_path / "missing.mp4")))


def test_a_file_with_no_decodable_frame_is_an_error_not_an_empty_watch(face_model, short_clip, tmp_path):
    mkv = write_video(tmp_path / "whole.mkv", [scene((64, 48), [])] * 3).read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(mkv[: mkv.index(b"\x1f\x43\xb6\x75") + 64])  # headers, then the first cluster cut short
    with pytest.raises(NoFramesError, match=r"^cut\.mkv: no decodable frame$"):
        list(watch(Detector(face_model), str(cut)))


def test_cli_watch_prints_json_lines_and_one_error_line(face_model, clip, tmp_path):
    base = [*fakescope_command(), "watch", "-m", str(face_model)]
    out = subprocess.run(
        [*base, str(clip), "--json", "--max-seconds", "1", "--interval", "0"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines and all(line["verdict"] in ("REAL", "FAKE", "UNSURE") for line in lines)
    assert "frames analysed" in out.stderr
    bad = subprocess.run([*base, str(tmp_path / "missing.mp4")], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "Error:" in bad.stderr


def test_a_stream_url_is_read_and_reopened_when_it_drops(face_model, clip):
    import functools
    import http.server
    import threading

    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(self.path)

    serve = functools.partial(Handler, directory=str(clip.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), serve) as server:  # loopback only
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
        updates = list(watch(Detector(face_model), url, reconnects=1, max_seconds=20))
        server.shutdown()
    assert updates and updates[-1].reconnects == 1 and updates[-1].elapsed < 20
    assert all(u.tracks for u in updates) and max(u.time for u in updates) > 2.0  # faces, to the end
    assert updates[-1].analysed + updates[-1].dropped == 2 * 30  # every frame of both passes accounted for
    assert len([path for path in requests if path.endswith(clip.name)]) >= 2


def test_an_image_check_flagging_the_recent_frames_makes_the_rolling_verdict_unsure(tmp_path, short_clip):
    from dataclasses import replace

    from onnx_fixtures import tiny_card, tiny_model

    from fakescope.export.card_io import seal_model

    # Conformal thresholds of 1.0 keep both labels for every face: each frame's image verdict is UNSURE.
    roomy = {"alpha": 0.1, "scores": {"REAL": [1.0] * 30, "FAKE": [1.0] * 30}}
    path = tmp_path / "roomy.onnx"
    card = replace(tiny_card(face_crop={"enabled": True}), conformal=roomy)
    path.write_bytes(seal_model(tiny_model(32, False, 0), card))
    updates = list(watch(Detector(path), str(short_clip), realtime=False))
    assert updates and all(u.verdict == "UNSURE" and len(u.tracks) == 1 for u in updates)
    seen = min(updates[-1].analysed, 16)  # the window
    assert updates[-1].reasons == (
        f"both labels plausible at alpha=0.1 in {seen} of {seen} frames with a face",
    )
