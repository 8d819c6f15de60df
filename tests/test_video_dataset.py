"""`fakescope data frames`: face crops from real/ and fake/ video folders in the layout training reads, split
per video so that no clip's frames land in two splits, unreadable videos listed and skipped."""

from __future__ import annotations

import csv
import subprocess
from collections import defaultdict

import numpy as np
from image_factory import fakescope_command
from video_factory import generated_head, real_head, scene, write_video

from fakescope.data.layout import discover
from fakescope.runtime.faces import find_faces


def video_folder(root, per_class: int = 6):
    for label, head in (("real", real_head()), ("fake", generated_head())):
        folder = root / label / "batch"
        folder.mkdir(parents=True)
        for index in range(per_class):
            frames = [scene((200, 150), [(head, 5 + 3 * index + k, 10, 0.5)]) for k in range(3)]
            write_video(folder / f"{label}{index}.mp4", frames, fps=10)
    (root / "fake" / "batch" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 50)
    return root


def test_frames_of_one_clip_never_land_in_two_splits(tmp_path):
    videos = video_folder(tmp_path / "videos")
    out = tmp_path / "faces"
    command = [*fakescope_command(), "data", "frames", str(videos), str(out), "--frames", "3", "--size", "48"]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "skipped: broken.mp4: corrupt or truncated video" in result.stderr
    with (out / "manifest.csv").open() as handle:
        manifest = list(csv.DictReader(handle))
    splits_of = defaultdict(set)
    for row in manifest:
        splits_of[row["video"]].add(row["split"])
    assert len(splits_of) == 12 and all(len(splits) == 1 for splits in splits_of.values())
    # the layout reader training uses finds exactly these crops, in the manifest's splits and classes
    records = discover(out)
    by_path = {str(r.path): r for r in records}
    assert set(by_path) == {row["crop"] for row in manifest}
    for row in manifest:
        record = by_path[row["crop"]]
        assert record.split == row["split"] and record.label == {"real": 0, "fake": 1}[row["label"]]
    assert {r.split for r in records} == {"train", "valid", "test"}
    assert {(r.split, r.label) for r in records} == {
        (s, c) for s in ("train", "valid", "test") for c in (0, 1)
    }


def test_each_crop_holds_the_face_and_reruns_refuse_to_overwrite(tmp_path):
    videos = video_folder(tmp_path / "videos", per_class=2)
    out = tmp_path / "faces"
    command = [*fakescope_command(), "data", "frames", str(videos), str(out), "--frames", "2"]
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    from PIL import Image

    crops = sorted(out.rglob("*.png"))
    assert len(crops) == 8
    for crop in crops[:3]:
        pixels = np.asarray(Image.open(crop).convert("RGB"))
        assert pixels.shape[0] == pixels.shape[1] and find_faces(pixels)
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 1 and "is not empty" in again.stderr


def test_a_video_without_a_decodable_frame_is_skipped_and_not_counted(tmp_path):
    from fakescope.video.dataset import extract_faces

    videos = tmp_path / "videos"
    for label in ("real", "fake"):
        (videos / label).mkdir(parents=True)
        write_video(videos / label / "face.mp4", [scene((200, 150), [(real_head(), 5, 10, 0.5)])] * 2)
    mkv = write_video(tmp_path / "whole.mkv", [scene((64, 48), [])] * 3).read_bytes()
    (videos / "real" / "cut.mkv").write_bytes(mkv[: mkv.index(b"\x1f\x43\xb6\x75") + 64])  # no whole frame
    report = extract_faces(videos, tmp_path / "faces", frames_per_video=2, fractions=(1.0, 0.0, 0.0))
    assert report.skipped == [(str(videos / "real" / "cut.mkv"), "cut.mkv: no decodable frame")]
    assert report.videos["train"] == {"real": 1, "fake": 1}
    assert report.crops["train"] == {"real": 2, "fake": 2}


def test_a_live_webm_without_a_declared_duration_is_sampled_over_its_whole_length(tmp_path):
    import av

    from fakescope.video.dataset import extract_faces

    videos = tmp_path / "videos"
    for label in ("real", "fake"):
        (videos / label).mkdir(parents=True)
        # as a browser's MediaRecorder writes it: no duration, no cues
        with av.open(str(videos / label / "call.webm"), "w", options={"live": "1"}) as container:
            stream = container.add_stream("libvpx-vp9", rate=10)
            stream.width, stream.height, stream.pix_fmt = 200, 150, "yuv420p"
            for k in range(20):
                pixels = scene((200, 150), [(real_head(), 5 + 2 * k, 10, 0.5)])
                for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    report = extract_faces(videos, tmp_path / "faces", frames_per_video=4, fractions=(1.0, 0.0, 0.0))
    assert report.crops["train"] == {"real": 4, "fake": 4}
    with (tmp_path / "faces" / "manifest.csv").open() as handle:
        times = sorted({float(row["time"]) for row in csv.DictReader(handle)})
    np.testing.assert_allclose(times, [0.2, 0.7, 1.2, 1.7], atol=0.051)  # the frames shown at 0.25, 0.75, ...
