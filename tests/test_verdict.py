"""The verdict: REAL or FAKE only when every check agrees with the label at the threshold, else UNSURE.

Check 1 (no face): with a face front-end, a picture without a face is UNSURE, "no face found", and still
reports the centre crop's P(fake).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from image_factory import encode, fakescope_command, random_rgb
from onnx_fixtures import write_tiny_model

from fakescope.data.non_faces import non_face_pictures
from fakescope.runtime import Detector
from fakescope.runtime.checks import CHECKS
from fakescope.runtime.models import models_dir
from fakescope.runtime.scan import scan_folder

skdata = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def face_model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("verdict") / "faces.onnx", face_crop={"enabled": True})


@pytest.mark.parametrize("detector_model", ["bundled", "tiny face model"])
def test_pictures_without_a_face_are_unsure_and_keep_the_centre_crop_score(detector_model, face_model):
    model = None if detector_model == "bundled" else face_model
    detector, plain = Detector(model), Detector(model, face_crop=False)
    for name, pixels in non_face_pictures().items():
        result = detector.predict(pixels)
        assert result.verdict == "UNSURE", name
        assert "no face found" in result.reasons, name
        assert result.label in ("REAL", "FAKE")
        assert result.prob_fake == pytest.approx(plain.predict(pixels).prob_fake, abs=1e-9), name


def test_held_out_faces_get_a_definite_verdict_equal_to_the_label():
    for path in sorted((models_dir() / "samples").glob("*.png")):
        result = Detector().predict(path)
        assert len(result.faces) == 1
        assert result.reasons == () and result.verdict == result.label


def test_a_face_unlike_the_training_crops_is_found_but_flagged_by_the_ood_check():
    result = Detector().predict(
        skdata.astronaut()
    )  # a colour studio portrait; the model knows tiny LFW crops
    assert len(result.faces) == 1 and "no face found" not in result.reasons
    score, limit = result.evidence.ood_score, result.evidence.ood_threshold
    assert score > limit
    assert result.reasons == (f"unlike the training data (OOD score {score:.1f} > {limit:.1f})",)


def test_without_a_face_front_end_no_face_is_not_a_reason(tiny_model_path):
    result = Detector(tiny_model_path).predict(random_rgb(64, 64))
    assert result.reasons == () and result.verdict == result.label
    assert result.as_row()["verdict"] == result.label and result.as_row()["reasons"] == []


def test_a_new_threshold_keeps_the_reasons_and_relabels(face_model):
    result = Detector(face_model).predict(non_face_pictures()["noise 0"])
    for threshold in (0.01, 0.99):
        moved = result.with_threshold(threshold)
        assert moved.reasons == ("no face found",) and moved.verdict == "UNSURE"
        assert moved.label == ("FAKE" if result.prob_fake >= threshold else "REAL")


def test_every_check_is_registered_by_name():
    assert "face" in CHECKS and all(callable(check) for check in CHECKS.values())


def test_predict_prints_verdict_and_reasons_in_every_format(face_model, tmp_path):
    flat = tmp_path / "flat.png"
    flat.write_bytes(encode(non_face_pictures()["flat 0"], "PNG"))
    command = [*fakescope_command(), "predict", str(flat), "--model", str(face_model)]

    def run(fmt):
        out = subprocess.run([*command, "--format", fmt], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    (row,) = json.loads(run("json"))
    assert row["verdict"] == "UNSURE" and row["reasons"] == ["no face found"]
    assert row["label"] in ("REAL", "FAKE") and 0.0 <= row["prob_fake"] <= 1.0
    (line,) = csv.DictReader(io.StringIO(run("csv")))
    assert line["verdict"] == "UNSURE" and line["reasons"] == "no face found"
    header, body = run("table").splitlines()
    assert header.split()[:4] == ["PATH", "VERDICT", "REASONS", "LABEL"]
    assert "UNSURE" in body and "no face found" in body


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_scan_reports_carry_the_verdict_and_reasons_of_predict(face_model, tmp_path, suffix):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for name in ("noise 0", "flat 0"):
        (folder / f"{name}.png").write_bytes(encode(non_face_pictures()[name], "PNG"))
    (folder / "astronaut.png").write_bytes(encode(skdata.astronaut(), "PNG"))
    report = tmp_path / f"report{suffix}"
    scan_folder(Detector(face_model), folder, report)
    text = report.read_text()
    rows = (
        [json.loads(line) for line in text.splitlines()]
        if suffix == ".jsonl"
        else list(csv.DictReader(io.StringIO(text)))
    )
    detector = Detector(face_model)
    for row in rows:
        expected = detector.predict(row["path"])
        assert row["verdict"] == expected.verdict and row["label"] == expected.label
        assert row["reasons"] == "; ".join(expected.reasons)
    assert {row["verdict"] for row in rows} >= {"UNSURE"}


def test_the_repr_and_html_card_name_the_verdict_and_its_reasons(face_model):
    result = Detector(face_model).predict(non_face_pictures()["flat 0"])
    assert repr(result).startswith("Prediction(UNSURE: no face found, prob_fake=")
    assert "UNSURE: no face found" in result._repr_html_()


def test_scan_takes_tta_and_refuses_alpha_without_conformal_calibration(face_model, tmp_path):
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "noise.png").write_bytes(encode(non_face_pictures()["noise 0"], "PNG"))
    command = [*fakescope_command(), "scan", str(folder), "--model", str(face_model)]
    report = tmp_path / "r.jsonl"
    done = subprocess.run(
        [*command, "--tta", "--out", str(report)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    (row,) = [json.loads(line) for line in report.read_text().splitlines()]
    expected = Detector(face_model, tta=True).predict(folder / "noise.png")
    assert row["verdict"] == "UNSURE" and row["reasons"] == "; ".join(expected.reasons)
    refused = subprocess.run([*command, "--alpha", "0.1"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "conformal calibration" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
