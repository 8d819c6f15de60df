"""Provenance in the CLI: a short `provenance` column in predict and scan, the full record in JSON, and
`fakescope info IMAGE` printing it all."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pytest
from image_factory import fakescope_command
from provenance_factory import GENERATOR_CHUNKS, exif, jpeg, png_with_text

from fakescope.cli.common import c2pa_checker
from fakescope.runtime import load_image

FAKESCOPE = fakescope_command()


def record(path):
    """What the CLI should find: the runtime's record, C2PA checked when the extra is installed."""
    return load_image(path, c2pa=c2pa_checker(None)).info.provenance


def run(*args):
    return subprocess.run([*FAKESCOPE, *map(str, args)], capture_output=True, text=True, timeout=120)


@pytest.fixture
def files(tmp_path):
    sd = tmp_path / "sd.png"
    sd.write_bytes(png_with_text(GENERATOR_CHUNKS["AUTOMATIC1111"][0]))
    camera = tmp_path / "camera.jpg"
    camera.write_bytes(jpeg(exif=exif(make="Nikon", model="Z 6")))
    plain = tmp_path / "plain.jpg"
    plain.write_bytes(jpeg())
    return sd, camera, plain


def test_predict_prints_a_provenance_column_and_json_holds_the_record(tiny_model_path, files):
    table = run("predict", *files, "--model", tiny_model_path)
    assert table.returncode == 0, table.stderr
    header, *lines = table.stdout.splitlines()
    assert "PROVENANCE" in header.split()
    for line, path in zip(lines, files, strict=True):
        assert record(path).summary in line
    rows = json.loads(run("predict", *files, "--model", tiny_model_path, "--format", "json").stdout)
    for row, path in zip(rows, files, strict=True):
        assert row["provenance"] == record(path).as_dict()
    assert rows[0]["provenance"]["generator"] == "Stable Diffusion (AUTOMATIC1111)"
    assert rows[1]["provenance"]["declared"] == "camera"
    out = run("predict", *files, "--model", tiny_model_path, "--format", "csv").stdout
    cells = [r["provenance"] for r in csv.DictReader(io.StringIO(out))]
    assert cells == [record(p).summary for p in files]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_scan_reports_carry_provenance(tiny_model_path, files, tmp_path, suffix):
    report = tmp_path / f"report{suffix}"
    out = run("scan", files[0].parent, "--model", tiny_model_path, "--out", report)
    assert out.returncode == 0, out.stderr
    text = report.read_text()
    if suffix == ".csv":
        rows = {r["path"]: r["provenance"] for r in csv.DictReader(io.StringIO(text))}
        expected = {str(p): record(p).summary for p in files}
    else:
        rows = {r["path"]: r["provenance"] for r in map(json.loads, text.splitlines())}
        expected = {str(p): record(p).as_dict() for p in files}
    assert rows == expected


def test_info_image_prints_the_full_record(files):
    sd, camera, _ = files
    out = run("info", sd)
    assert out.returncode == 0, out.stderr
    assert "Stable Diffusion (AUTOMATIC1111)" in out.stdout and "png:parameters" in out.stdout
    assert "One-sided evidence" in out.stdout
    record = json.loads(run("info", camera, "--json").stdout)
    assert record["provenance"]["declared"] == "camera" and record["image"]["format"] == "JPEG"


def test_info_on_a_broken_image_is_one_line(tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really")
    out = run("info", broken)
    assert out.returncode == 1 and out.stderr.strip().count("\n") == 0 and "broken.jpg" in out.stderr
