"""The dashboard's video parts: the card shows the clip's verdict, a timeline whose traces are the tracks'
scores, one thumbnail per track, the most fake frame, and a scrubber over the sampled frames; uploads have
their own size limit and bad clips are rejected in one line."""

from __future__ import annotations

import io

import numpy as np
import pytest
from onnx_fixtures import write_tiny_model
from PIL import Image
from video_factory import generated_head, real_head, scene, write_video

from fakescope.runtime import Detector, Rejected
from fakescope.video import predict_video
from fakescope.video.figures import timeline_figure
from fakescope.widgets.video_card import VideoCard
from fakescope.widgets.video_upload import analyse_video


@pytest.fixture(scope="module")
def detector(tmp_path_factory):
    return Detector(
        write_tiny_model(tmp_path_factory.mktemp("m") / "faces.onnx", face_crop={"enabled": True})
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    frames = [
        scene((480, 240), [(real_head(), 10, 40, 0.7), (generated_head(), 300, 30, 0.7)]) for _ in range(6)
    ]
    return write_video(tmp_path_factory.mktemp("clips") / "pair.mp4", frames)


def test_the_timeline_draws_each_tracks_scores_over_time(detector, pair):
    result = predict_video(detector, pair, frames=4)
    fig = timeline_figure(result)
    traces = {trace.name: trace for trace in fig.data}
    for track in result.tracks:
        trace = traces[f"track {track.id} ({track.label})"]
        assert list(trace.x) == list(track.times) and list(trace.y) == list(track.scores)
    assert list(traces["threshold"].y) == [result.threshold] * 2


def test_the_card_scrubs_sampled_frames_and_shows_each_track(detector, pair):
    result = predict_video(detector, pair, frames=4, keep_frames=True)
    card = VideoCard(result)
    assert card.scrubber.max == len(result.frames) - 1 == 3
    assert len(card.tracks.children) == len(result.tracks) == 2
    assert result.verdict in card.heading.value
    shown = []
    for index in range(4):
        card.scrubber.value = index
        shown.append(card.frame.value)
        assert f"{result.timeline[index].time:.2f} s" in card.frame_caption.value
    frame = np.asarray(Image.open(io.BytesIO(shown[0])).convert("RGB"))
    assert frame.shape[1] == 320  # the kept frame, scaled for the page, with the tracks' boxes drawn
    assert card.most_fake.children  # the most fake frame with its Grad-CAM


def test_uploads_have_their_own_limit_and_bad_clips_one_line(detector, pair):
    content = pair.read_bytes()
    assert not isinstance(analyse_video(detector, "pair.mp4", content), Rejected)
    small = analyse_video(detector, "pair.mp4", content, image_max_bytes=100)  # videos: 8 x 100 bytes
    assert isinstance(small, Rejected) and "MB limit" in small.message
    broken = analyse_video(detector, "broken.mp4", content[:200])
    assert isinstance(broken, Rejected) and broken.message.startswith("broken.mp4: corrupt or truncated")
    assert "\n" not in broken.message


def test_uploads_are_told_apart_by_content_not_name(pair):
    from image_factory import encode

    from fakescope.widgets.video_upload import is_video_upload

    clip = pair.read_bytes()
    photo = encode(scene((64, 64), []), "PNG")
    assert is_video_upload("clip.mp4", clip) and is_video_upload("clip.jpg", clip)
    assert not is_video_upload("photo.mp4", photo) and not is_video_upload("photo.png", photo)


def test_the_detector_dashboard_takes_videos_beside_images(detector, pair, tmp_path):
    from image_factory import encode

    from fakescope.widgets import DetectorDashboard
    from fakescope.widgets.result_card import ResultCard

    dashboard = DetectorDashboard(detector.model_path)
    photo = encode(scene((200, 200), [(real_head(), 10, 10, 0.8)]), "PNG")
    outcomes = dashboard.analyse([("pair.mp4", pair.read_bytes()), ("photo.png", photo)])
    assert [type(o).__name__ for o in outcomes] == ["VideoPrediction", "Prediction"]
    assert [type(c) for c in dashboard.results.children] == [VideoCard, ResultCard]
    assert "mp4" in dashboard.upload.accept
    entry = next(e for e in dashboard.history.entries if e.name == "pair.mp4")
    low, high = sorted(t.score for t in outcomes[0].tracks)
    assert entry.verdict((low + high) / 2) == "FAKE" and entry.verdict(min(0.999, high + 0.01)) == "REAL"
    card = dashboard.results.children[0]
    dashboard.threshold.value = min(0.999, round(high + 0.01, 3))  # the card follows the slider
    assert card.result.verdict == "REAL" and ">REAL<" in card.heading.value
    dashboard.threshold.value = round((low + high) / 2, 3)
    assert card.result.verdict == "FAKE"
