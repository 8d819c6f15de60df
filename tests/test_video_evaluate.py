"""`fakescope evaluate MODEL.onnx VIDEOS/` scores clips: the video-level ROC AUC is scikit-learn's over each
clip's `predict_video` P(fake), and unreadable clips are listed, not fatal."""

from __future__ import annotations

import json
import subprocess

import pytest
from image_factory import fakescope_command
from onnx_fixtures import write_tiny_model
from sklearn.metrics import roc_auc_score
from video_factory import generated_head, real_head, scene, write_video

from fakescope.runtime import Detector
from fakescope.video import predict_video
from fakescope.video.evaluate import is_video_dataset


def test_video_level_auc_is_computed_over_clips(tmp_path):
    model = write_tiny_model(tmp_path / "faces.onnx", face_crop={"enabled": True})
    videos = tmp_path / "videos"
    for label, head in (("real", real_head()), ("fake", generated_head())):
        (videos / label).mkdir(parents=True)
        for index in range(3):
            frames = [
                scene((200, 150), [(head, 5 + 10 * index, 10 + k, 0.5 + 0.05 * index)]) for k in range(3)
            ]
            write_video(videos / label / f"{index}.mp4", frames)
    (videos / "fake" / "cut.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 32)
    assert is_video_dataset(videos) and not is_video_dataset(tmp_path)
    out = tmp_path / "video-metrics.json"
    command = [*fakescope_command(), "evaluate", str(model), str(videos), "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "rejected: cut.mp4: corrupt or truncated video" in result.stderr
    record = json.loads(out.read_text())
    detector = Detector(model)
    expected = {
        str(videos / label / f"{i}.mp4"): predict_video(detector, videos / label / f"{i}.mp4").prob_fake
        for label in ("real", "fake")
        for i in range(3)
    }
    scores = {row["path"]: row["prob_fake"] for row in record["scores"]}
    assert scores.keys() == expected.keys()
    for path, prob in expected.items():
        assert scores[path] == pytest.approx(prob, abs=1e-6)
    labels = [0 if "/real/" in path else 1 for path in expected]
    assert record["videos"]["roc_auc"] == pytest.approx(roc_auc_score(labels, list(expected.values())))
    assert record["videos"]["n"] == 6 and len(record["rejected"]) == 1
    assert f"videos (3 real, 3 fake): ROC AUC {record['videos']['roc_auc']:.4f}" in result.stdout
