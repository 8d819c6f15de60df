"""`fakescope scan` includes video files: one row each, the clip's verdict as `predict_video` gives it, bad
clips as error rows, and --resume adds only what is new."""

from __future__ import annotations

import csv
import subprocess

import pytest
from image_factory import encode, fakescope_command
from onnx_fixtures import write_tiny_model
from video_factory import real_head, scene, write_video

from fakescope.runtime import Detector
from fakescope.runtime.scan import scan_folder
from fakescope.video import predict_video
from fakescope.video.scan import VideoJudge


@pytest.fixture(scope="module")
def face_model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("m") / "faces.onnx", face_crop={"enabled": True})


def media_folder(root):
    root.mkdir()
    head = real_head()
    (root / "photo.png").write_bytes(encode(scene((200, 150), [(head, 10, 10, 0.5)]), "PNG"))
    write_video(root / "clip.mp4", [scene((200, 150), [(head, 10 + k, 10, 0.5)]) for k in range(4)])
    (root / "sub").mkdir()
    write_video(root / "sub" / "deep.mkv", [scene((200, 150), [(head, 40, 10, 0.5)]) for _ in range(3)])
    (root / "broken.mov").write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"\x01" * 40)
    (root / "notes.txt").write_text("not media")
    return root


def read_rows(path):
    with path.open(newline="") as handle:
        return {row["path"]: row for row in csv.DictReader(handle)}


def test_scan_gives_each_video_one_row_with_its_clip_verdict(face_model, tmp_path):
    folder = media_folder(tmp_path / "media")
    detector = Detector(face_model)
    report = tmp_path / "report.csv"
    summary = scan_folder(detector, folder, report, recursive=True, judges=[VideoJudge(detector, frames=4)])
    rows = read_rows(report)
    clip, deep, broken = (str(folder / n) for n in ("clip.mp4", "sub/deep.mkv", "broken.mov"))
    assert set(rows) == {str(folder / "photo.png"), clip, deep, broken}
    assert (summary.analysed, summary.rejected, summary.skipped_non_images) == (3, 1, 1)
    expected = predict_video(detector, folder / "clip.mp4", frames=4)
    assert rows[clip]["verdict"] == expected.verdict
    assert float(rows[clip]["prob_fake"]) == pytest.approx(expected.prob_fake, abs=1e-6)
    assert (rows[clip]["width"], rows[clip]["height"], rows[clip]["format"]) == ("200", "150", "mov/h264")
    assert rows[broken]["error"].startswith("broken.mov: corrupt or truncated video")


def test_cli_scan_resumes_videos_too(face_model, tmp_path):
    folder = media_folder(tmp_path / "media")
    report = tmp_path / "report.jsonl"
    command = [*fakescope_command(), "scan", str(folder), "-m", str(face_model), "--out", str(report)]
    first = subprocess.run([*command, "--frames", "3"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert len(report.read_text().splitlines()) == 3  # photo, clip, broken (not recursive)
    write_video(folder / "later.webm", [scene((200, 150), [], noise_seed=1)] * 2, codec="libvpx-vp9")
    again = subprocess.run([*command, "--frames", "3", "--resume"], capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    lines = report.read_text().splitlines()
    assert len(lines) == 4 and '"later.webm' not in lines[0] and "later.webm" in lines[-1]
    assert "3 already in the report" in again.stderr


def test_a_picture_named_like_a_video_gets_the_image_row_predict_gives_it(face_model, tmp_path):
    folder = tmp_path / "media"
    folder.mkdir()
    picture = scene((200, 150), [(real_head(), 10, 10, 0.5)])
    (folder / "still.mp4").write_bytes(encode(picture, "PNG"))
    detector = Detector(face_model)
    report = tmp_path / "report.csv"
    scan_folder(detector, folder, report, judges=[VideoJudge(detector, frames=4)])
    (row,) = read_rows(report).values()
    expected = detector.predict(folder / "still.mp4")
    assert row["error"] == "" and row["format"] == "PNG" and row["verdict"] == expected.verdict
    assert float(row["prob_fake"]) == pytest.approx(expected.prob_fake, abs=1e-6)
