"""Clips judged end to end: faces tracked across sampled frames, every frame's score the image Detector's own
on that frame, the most fake track deciding, UNSURE without a face, and the CLI's one row per input."""

from __future__ import annotations

import json
import subprocess

import av
import numpy as np
import pytest
from image_factory import encode, fakescope_command
from onnx_fixtures import write_tiny_model
from video_factory import generated_head, real_head, scene, write_video

from fakescope.runtime import Detector
from fakescope.video import predict_video


@pytest.fixture(scope="module")
def face_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("video_model") / "faces.onnx"
    return write_tiny_model(path, face_crop={"enabled": True, "margin": 0.3})


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    real, fake = real_head(), generated_head()
    pan = [scene((320, 240), [(real, 10 + 12 * i, 30, 0.55 + 0.02 * i)]) for i in range(12)]
    pair = [scene((480, 240), [(real, 10, 40 + i, 0.7), (fake, 300, 30 + i, 0.7)]) for i in range(8)]
    empty = [scene((160, 120), [], noise_seed=i) for i in range(6)]
    return {
        "pan": write_video(folder / "pan.mp4", pan),
        "pair": write_video(folder / "pair.mp4", pair),
        "empty": write_video(folder / "empty.mp4", empty),
    }


def frame_at(path, time: float) -> np.ndarray:
    """Reference: the frame PyAV shows at `time`, decoded directly."""
    with av.open(str(path)) as container:
        chosen = None
        for frame in container.decode(video=0):
            if frame.time > time + 1e-6 and chosen is not None:
                break
            chosen = frame
        return chosen.to_ndarray(format="rgb24")


def test_a_panning_zooming_face_is_one_track_scored_as_the_detector_scores_each_frame(face_model, clips):
    detector = Detector(face_model)
    result = predict_video(detector, clips["pan"], frames=6)
    assert len(result.timeline) == 6 and len(result.tracks) == 1
    (track,) = result.tracks
    assert len(track.times) == 6
    centres = [(box[0] + box[2]) / 2 for box in track.boxes]
    widths = [box[2] - box[0] for box in track.boxes]
    assert np.all(np.diff(centres) > 0) and widths[-1] > widths[0]  # it follows the pan and the zoom
    for time, score, box in zip(track.times, track.scores, track.boxes, strict=True):
        reference = detector.predict(frame_at(clips["pan"], time))
        assert reference.face is not None and reference.face.box == box
        assert score == pytest.approx(reference.prob_fake, abs=1e-5)
    assert track.score == pytest.approx(np.mean(track.scores))
    assert result.prob_fake == track.score and result.most_fake.track == track.id


def test_a_real_and_a_generated_face_are_two_tracks_and_the_most_fake_decides(face_model, clips):
    first = predict_video(Detector(face_model), clips["pair"], frames=4)
    assert len(first.tracks) == 2 and all(len(t.times) == 4 for t in first.tracks)
    low, high = sorted(first.tracks, key=lambda t: t.score)
    assert high.score > low.score
    between = Detector(face_model, threshold=(low.score + high.score) / 2)
    result = predict_video(between, clips["pair"], frames=4)
    assert result.verdict == "FAKE" and result.reasons == ()
    assert result.prob_fake == pytest.approx(high.score) and result.track.id == high.id
    assert [t.label for t in sorted(result.tracks, key=lambda t: t.score)] == ["REAL", "FAKE"]
    most = result.most_fake
    assert most.face.prob_fake == max(high.scores) and most.time in high.times
    assert most.overlay().shape == most.picture.shape
    above = predict_video(
        Detector(face_model, threshold=min(0.999, high.score + 0.01)), clips["pair"], frames=4
    )
    assert above.verdict == "REAL"


def test_a_clip_without_any_face_is_unsure_and_says_why(face_model, clips):
    result = predict_video(Detector(face_model), clips["empty"], frames=4)
    assert result.verdict == "UNSURE" and result.tracks == () and result.most_fake is None
    assert result.reasons == ("no face in any of the 4 sampled frames",)
    assert all(point.faces == 0 for point in result.timeline)
    assert repr(result).startswith(
        "VideoPrediction(UNSURE: no face in any of the 4 sampled frames, prob_fake="
    )


def test_a_rotated_phone_clip_finds_the_upright_face(face_model, tmp_path):
    upright = scene((180, 320), [(real_head(), 10, 60, 0.7)])
    path = write_video(tmp_path / "phone.mp4", [np.rot90(upright, k=1)] * 4, rotation=-90)
    result = predict_video(Detector(face_model), path, frames=2)
    assert (result.info.width, result.info.height, result.info.rotation) == (180, 320, 270)
    assert len(result.tracks) == 1
    reference = Detector(face_model).predict(upright)
    box = np.array(result.tracks[0].boxes[0])
    assert np.abs(box - np.array(reference.face.box)).max() <= 8


def test_without_a_face_front_end_whole_frames_are_one_track(tiny_model_path, clips):
    detector = Detector(tiny_model_path)
    result = predict_video(detector, clips["empty"], frames=3, keep_frames=True)
    assert len(result.tracks) == 1 and result.verdict in ("REAL", "FAKE")
    assert len(result.frames) == 3
    reference = detector.predict(frame_at(clips["empty"], result.tracks[0].times[0]))
    assert result.tracks[0].scores[0] == pytest.approx(reference.prob_fake, abs=1e-5)


def test_the_result_reads_in_one_line_and_serialises(face_model, clips):
    result = predict_video(Detector(face_model), clips["pair"], frames=3, aggregation="confident")
    text = repr(result)
    assert "\n" not in text and text.startswith(f"VideoPrediction({result.verdict}")
    assert "'pair.mp4' 480x240" in text and "2 tracks" in text
    record = json.loads(json.dumps(result.as_dict()))
    assert record["kind"] == "video" and len(record["timeline"]) == 3
    assert {t["aggregation"] for t in record["tracks"]} == {"confident"}
    html = predict_video(Detector(face_model), clips["pair"], frames=2, name="<b>x</b>.mp4")._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;.mp4" in html and "<b>x</b>" not in html
    with pytest.raises(ValueError, match="frames"):
        predict_video(Detector(face_model), clips["pair"], frames=0)


def test_cli_predict_gives_one_row_per_image_and_video(face_model, clips, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(encode(scene((200, 200), [(real_head(), 10, 10, 0.8)]), "PNG"))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clips["pair"].read_bytes()[:300])
    command = [
        *fakescope_command(),
        "predict",
        str(clips["pair"]),
        str(photo),
        str(broken),
        "-m",
        str(face_model),
    ]
    cams = tmp_path / "cams"
    options = ["--format", "json", "--frames", "3", "--cam-dir", str(cams)]
    out = subprocess.run([*command, *options], capture_output=True, text=True)
    assert out.returncode == 2, out.stderr
    rows = json.loads(out.stdout)
    assert [row["path"] for row in rows] == [str(clips["pair"]), str(photo), str(broken)]
    video, image, bad = rows
    assert video["kind"] == "video" and len(video["timeline"]) == 3 and len(video["tracks"]) == 2
    assert image["verdict"] in ("REAL", "FAKE") and "tracks" not in image
    assert bad["error"].startswith(f"{broken}: corrupt or truncated video")
    assert f"rejected: {broken}: corrupt or truncated video" in out.stderr
    assert sorted(p.name for p in cams.iterdir()) == ["0000_pair_cam.png", "0001_photo_cam.png"]
    table = subprocess.run([*command, "--frames", "2"], capture_output=True, text=True)
    assert table.returncode == 2 and len(table.stdout.strip().splitlines()) == 4


def test_an_error_while_judging_stops_the_reader_before_the_file_closes(face_model, clips):
    import threading

    class Failing(Detector):
        def judge(self, framed, with_cam=True, decode_ms=0.0):
            raise RuntimeError("model exploded")

    with pytest.raises(RuntimeError, match="exploded"):
        predict_video(Failing(face_model), clips["pan"], frames=12)
    assert not [t for t in threading.enumerate() if t.name == "fakescope-video-decode"]


def test_keyframes_only_triage_judges_keyframes_alone(face_model, tmp_path):
    frames = [scene((320, 240), [(real_head(), 10 + 4 * i, 30, 0.6)]) for i in range(24)]
    path = write_video(tmp_path / "gop.mp4", frames, fps=12, gop=6)
    with av.open(str(path)) as container:
        keys = {round(float(f.time), 3) for f in container.decode(video=0) if f.key_frame}
    result = predict_video(Detector(face_model), path, frames=8, keyframes_only=True)
    assert result.sampling.startswith("keyframes")
    assert {round(p.time, 3) for p in result.timeline} <= keys and len(result.timeline) == len(keys)
    assert result.frames_decoded == len(keys)


def test_an_image_check_that_flags_most_frames_makes_the_clip_unsure_and_survives_a_new_threshold(
    tmp_path, clips
):
    from dataclasses import replace

    from onnx_fixtures import tiny_card, tiny_model

    from fakescope.export.card_io import seal_model
    from fakescope.video.verdict import frame_check_reasons

    # Conformal thresholds of 1.0 keep both labels for every face: each frame's image verdict is UNSURE.
    roomy = {"alpha": 0.1, "scores": {"REAL": [1.0] * 30, "FAKE": [1.0] * 30}}
    card = replace(tiny_card(face_crop={"enabled": True, "margin": 0.3}), conformal=roomy)
    path = tmp_path / "roomy.onnx"
    path.write_bytes(seal_model(tiny_model(32, False, 0), card))
    result = predict_video(Detector(path), clips["pan"], frames=6)
    assert result.verdict == "UNSURE" and len(result.tracks) == 1
    assert result.reasons == ("both labels plausible at alpha=0.1 in 6 of 6 frames with a face",)
    assert result.with_threshold(0.01).reasons == result.reasons
    # a check flagging fewer than half of the frames with a face leaves the verdict alone
    assert frame_check_reasons({"ood": ["unlike"] * 2}, 5) == ()
    assert frame_check_reasons({"ood": ["unlike"] * 3, "tta": []}, 6) == (
        "unlike in 3 of 6 frames with a face",
    )


def test_a_new_threshold_keeps_the_metadata_check(tiny_model_path, tmp_path):
    greys = [np.full((48, 64, 3), 60 + 20 * index, np.uint8) for index in range(4)]
    path = write_video(tmp_path / "sora.mp4", greys, tags={"comment": "Generated with OpenAI Sora"})
    result = predict_video(Detector(tiny_model_path), path, frames=4)
    assert min(result.track.scores) > 0.001 and max(result.track.scores) < 0.999
    strict = result.with_threshold(0.999)  # every frame REAL now, against the declaration
    assert strict.label == "REAL" and strict.verdict == "UNSURE"
    assert strict.reasons == (
        predict_video(Detector(tiny_model_path, threshold=0.999), path, frames=4).reasons
    )
    assert any("generated" in reason.lower() for reason in strict.reasons), strict.reasons
    assert result.with_threshold(0.001).verdict == "FAKE"
