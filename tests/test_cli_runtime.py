"""`fakescope predict`, `scan` and `info` end to end, through the installed console script."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from image_factory import encode, fakescope_command, random_rgb
from PIL import Image

from fakescope.runtime import Detector

FAKESCOPE = fakescope_command()


def run(*args, cwd=None):
    return subprocess.run([*FAKESCOPE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture
def images(tmp_path):
    good = tmp_path / "good.jpg"
    good.write_bytes(encode(random_rgb(80, 64, seed=1), "JPEG"))
    other = tmp_path / "other.png"
    other.write_bytes(encode(random_rgb(50, 50, seed=2), "PNG"))
    bad = tmp_path / "bad.png"
    bad.write_text("<html>not an image</html>")
    return good, other, bad


def test_predict_all_good_exits_zero_with_json(tiny_model_path, images):
    good, other, _ = images
    out = run("predict", good, other, "--model", tiny_model_path, "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    detector = Detector(tiny_model_path)
    for row, path in zip(rows, (good, other), strict=True):
        expected = detector.predict(path)
        assert row["path"] == str(path) and row["label"] == expected.label
        assert row["prob_fake"] == pytest.approx(expected.prob_fake, abs=1e-6)
        assert row["error"] == ""


def test_predict_with_a_bad_input_exits_two_with_its_message(tiny_model_path, images):
    good, _, bad = images
    out = run("predict", good, bad, "--model", tiny_model_path, "--format", "csv")
    assert out.returncode == 2
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["label"] in ("REAL", "FAKE")
    assert "not a PNG, JPEG" in rows[1]["error"]
    assert "Traceback" not in out.stderr and "bad.png" in out.stderr


def test_predict_table_and_cam_overlays(tiny_model_path, images, tmp_path):
    good, other, _ = images
    cams = tmp_path / "cams"
    out = run("predict", good, other, "--model", tiny_model_path, "--cam-dir", cams)
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].split()[:5] == ["PATH", "VERDICT", "REASONS", "LABEL", "PROB_FAKE"]
    written = sorted(cams.glob("*.png"))
    assert len(written) == 2
    assert Image.open(written[0]).size == (64, 32)  # model view and overlay side by side


def test_model_errors_are_one_line(tmp_path, images):
    good, _, _ = images
    out = run("predict", good, "--model", tmp_path / "missing.onnx")
    assert out.returncode == 1
    assert out.stderr.strip().startswith("Error:") and len(out.stderr.strip().splitlines()) == 1


def test_scan_writes_one_row_per_image_and_resumes(tiny_model_path, images, tmp_path):
    folder = images[0].parent
    report = tmp_path / "out" / "report.jsonl"
    out = run("scan", folder, "--model", tiny_model_path, "--out", report, "--batch-size", "2")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in rows) == ["bad.png", "good.jpg", "other.png"]
    again = run("scan", folder, "--model", tiny_model_path, "--out", report, "--resume")
    assert "3 already in the report" in again.stderr
    assert len(report.read_text().splitlines()) == 3


def test_info_prints_the_verified_card(tiny_model_path):
    out = run("info", tiny_model_path, "--json")
    assert out.returncode == 0
    card = json.loads(out.stdout)
    assert card["name"] == "tiny-test" and card["input_height"] == 32
    text = run("info", tiny_model_path).stdout
    assert "limitations" in text and "graph sha256" in text


def test_unopenable_paths_are_rejected_and_the_good_ones_still_reported(tiny_model_path, images, tmp_path):
    good, _, _ = images
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    out = run(
        "predict", good, tmp_path / "good.jpg" / "x.png", tmp_path / "loop.png", "--model", tiny_model_path
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stdout.splitlines()[1].startswith(str(good))
    assert out.stderr.count("rejected: ") == 2 and "cannot read the file" in out.stderr


def test_csv_output_keeps_names_with_line_breaks_in_one_field(tiny_model_path, tmp_path):
    paths = [tmp_path / "cr\rret.png", tmp_path / "new\nline.png", tmp_path / 'a, "b".png']
    for i, path in enumerate(paths):
        path.write_bytes(encode(random_rgb(40, 40, seed=i), "PNG"))
    out = subprocess.run(
        [*FAKESCOPE, "predict", *map(str, paths), "--model", str(tiny_model_path), "--format", "csv"],
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0
    rows = list(csv.DictReader(io.StringIO(out.stdout.decode(), newline="")))
    assert [r["path"] for r in rows] == [str(p) for p in paths]


def test_cam_dir_that_cannot_be_made_is_one_line_after_the_verdicts(tiny_model_path, images):
    good, other, bad = images
    out = run("predict", good, other, "--model", tiny_model_path, "--cam-dir", bad / "cams")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert len(out.stdout.splitlines()) == 3  # the verdicts were printed first
    assert (
        out.stderr.strip().startswith("Error: cannot write CAMs")
        and len(out.stderr.strip().splitlines()) == 1
    )


def test_cam_files_of_very_long_names_are_shortened(tiny_model_path, tmp_path):
    path = tmp_path / ("n" * 240 + ".png")
    path.write_bytes(encode(random_rgb(40, 40), "PNG"))
    out = run("predict", path, "--model", tiny_model_path, "--cam-dir", tmp_path / "cams")
    assert out.returncode == 0, out.stderr
    (written,) = (tmp_path / "cams").glob("*.png")
    assert written.name == f"0000_{'n' * 100}_cam.png"


@pytest.mark.parametrize(
    ("out_name", "status", "message"),
    [(".csv", 2, "must end in .csv or .jsonl"), ("good.jpg/r.csv", 1, "Error: cannot write the report")],
)
def test_scan_report_paths_that_cannot_work_are_one_line(tiny_model_path, images, out_name, status, message):
    folder = images[0].parent
    out = run("scan", folder, "--model", tiny_model_path, "--out", folder / out_name)
    assert out.returncode == status and message in out.stderr and "Traceback" not in out.stderr


def test_scan_refuses_to_resume_into_a_file_that_is_not_its_report(tiny_model_path, images, tmp_path):
    report = tmp_path / "other.csv"
    report.write_text("name,score\nx,1\n")
    out = run("scan", images[0].parent, "--model", tiny_model_path, "--out", report, "--resume")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert (
        out.stderr.strip()
        == f"Error: cannot resume: {report} is not a fakescope scan report (its header differs); "
        "left unchanged"
    )
    assert report.read_text() == "name,score\nx,1\n"


def test_info_says_which_face_front_end_the_card_declares(tmp_path, tiny_model_path):
    from onnx_fixtures import write_tiny_model

    faces = write_tiny_model(tmp_path / "f.onnx", face_crop={"enabled": True, "margin": 0.09, "align": False})
    assert "BlazeFace: each face cropped with a margin of 0.09" in run("info", faces).stdout
    assert "none (the centre crop of the whole image)" in run("info", tiny_model_path).stdout


def test_warnings_on_the_command_line_are_one_line(tiny_model_path, monkeypatch):
    import warnings

    from click.testing import CliRunner

    from fakescope.cli.main import cli

    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)  # restored after the test
    assert CliRunner().invoke(cli, ["info", str(tiny_model_path)]).exit_code == 0
    line = warnings.formatwarning("no ImageNet weights", UserWarning, "x.py", 3)
    assert line == "warning: no ImageNet weights\n"
