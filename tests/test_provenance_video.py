"""Provenance of videos: the container's metadata tags (a generator named in `comment`, a phone's make and
model), read beside the clip's verdict, never inside its P(fake)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from video_factory import write_video

from fakescope.runtime import Detector
from fakescope.video import predict_video
from fakescope.video.container import open_video


def clip(path: Path, tags: dict[str, str]) -> Path:
    """Five grey frames in an MP4 with `tags` as container metadata (QuickTime `mdta` keys kept as given)."""
    greys = [np.full((48, 64, 3), 60 + 20 * index, np.uint8) for index in range(5)]
    return write_video(path, greys, tags=tags)


def provenance_of(path: Path):
    with open_video(path) as video:
        return video.info.provenance


def test_a_generator_named_in_the_comment_tag_declares_the_clip_generated(tmp_path):
    found = provenance_of(clip(tmp_path / "sora.mp4", {"comment": "Generated with OpenAI Sora"}))
    assert (found.declared, found.source, found.generator) == ("generated", "container", "OpenAI Sora")
    assert (
        dict(found.raw)["tag:comment"] == "Generated with OpenAI Sora"
        and found.c2pa.text == "C2PA not checked"
    )


def test_a_phones_make_and_model_declare_a_camera_and_an_encoder_alone_nothing(tmp_path):
    tags = {"com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15 Pro"}
    found = provenance_of(clip(tmp_path / "phone.mp4", tags))
    assert (found.declared, found.generator, found.panel) == ("camera", "Apple iPhone 15 Pro", "camera")
    plain = provenance_of(clip(tmp_path / "plain.mp4", {}))
    assert plain.declared is None and "tag:encoder" in dict(plain.raw)


def test_an_oversized_tag_is_a_note_not_a_crash(tmp_path):
    found = provenance_of(clip(tmp_path / "big.mp4", {"comment": "x" * 200_000}))
    assert found.declared is None and any("over the limit" in note for note in found.notes)


def test_the_clip_verdict_says_when_it_contradicts_an_ai_declaration(tiny_model_path, tmp_path):
    plain = predict_video(Detector(tiny_model_path), clip(tmp_path / "plain.mp4", {}), frames=3)
    real = Detector(tiny_model_path, threshold=(1 + plain.prob_fake) / 2)
    tags = {"comment": "Generated with OpenAI Sora"}
    declared = predict_video(real, clip(tmp_path / "declared.mp4", tags), frames=3)
    assert declared.prob_fake == pytest.approx(plain.prob_fake) and declared.label == "REAL"
    assert declared.verdict == "UNSURE" and any("container tags" in r for r in declared.reasons)
    assert declared.as_row()["provenance"]["source"] == "container"
    fake = Detector(tiny_model_path, threshold=plain.prob_fake / 2)
    phone = {"com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15"}
    swapped = predict_video(fake, clip(tmp_path / "phone.mp4", phone), frames=3)
    assert swapped.provenance.declared == "camera" and not any("camera" in r for r in swapped.reasons)


def test_a_scanned_clip_reports_its_provenance(tiny_model_path, tmp_path):
    from fakescope.runtime.scan import scan_folder
    from fakescope.video.scan import VideoJudge

    folder = tmp_path / "clips"
    folder.mkdir()
    clip(folder / "sora.mp4", {"comment": "Generated with OpenAI Sora"})
    report = tmp_path / "report.jsonl"
    scan_folder(Detector(tiny_model_path), folder, report, judges=[VideoJudge(Detector(tiny_model_path))])
    (row,) = [json.loads(line) for line in report.read_text().splitlines()]
    assert row["provenance"]["generator"] == "OpenAI Sora"
