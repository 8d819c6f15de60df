"""`scan_folder`: one row per image file, errors included; resumable after a kill."""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
from image_factory import encode, random_rgb

from fakescope.runtime import Detector
from fakescope.runtime.errors import ReportError
from fakescope.runtime.scan import find_image_files, read_reported_paths, scan_folder


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for i in range(23):
        (root / f"{i:03d}.jpg").write_bytes(encode(random_rgb(64, 64, seed=i), "JPEG"))
    (root / "sub" / "deep.png").write_bytes(encode(random_rgb(40, 40), "PNG"))
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    (root / "tiny.png").write_bytes(encode(random_rgb(8, 8), "PNG"))
    (root / "notes.txt").write_text("not an image")
    return root


def _rows(report):
    if report.suffix == ".jsonl":
        return [json.loads(line) for line in report.read_text().splitlines()]
    return list(csv.DictReader(report.open()))


def test_every_image_file_gets_exactly_one_row(tiny_model_path, folder, tmp_path):
    report = tmp_path / "r.csv"
    summary = scan_folder(Detector(tiny_model_path), folder, report, batch_size=4, workers=2)
    rows = _rows(report)
    expected = {str(p) for p in folder.glob("*.*") if p.suffix != ".txt"}
    assert sorted(r["path"] for r in rows) == sorted(expected)
    errors = {r["path"].rsplit("/", 1)[-1]: r["error"] for r in rows if r["error"]}
    assert set(errors) == {"broken.jpg", "tiny.png"}
    assert (summary.analysed, summary.rejected, summary.skipped_non_images) == (23, 2, 1)


def test_scan_results_equal_predict(tiny_model_path, folder, tmp_path):
    detector = Detector(tiny_model_path)
    report = tmp_path / "r.jsonl"
    scan_folder(detector, folder, report, recursive=True, batch_size=5)
    rows = {r["path"]: r for r in _rows(report)}
    assert str(folder / "sub" / "deep.png") in rows
    for path in sorted(folder.glob("0*.jpg"))[:5]:
        assert rows[str(path)]["prob_fake"] == pytest.approx(detector.predict(path).prob_fake, abs=1e-6)


def test_resume_skips_reported_paths_and_drops_a_torn_line(tiny_model_path, folder, tmp_path):
    detector = Detector(tiny_model_path)
    report = tmp_path / "r.csv"
    scan_folder(detector, folder, report, batch_size=4)
    full = _rows(report)
    kept = report.read_text().splitlines(keepends=True)[:11]  # header + 10 rows
    report.write_text("".join(kept) + kept[-1][:15])  # a half-written row from a killed run
    summary = scan_folder(detector, folder, report, batch_size=4, resume=True)
    rows = _rows(report)
    assert summary.resumed == 10
    assert sorted(r["path"] for r in rows) == sorted(r["path"] for r in full)
    assert len(rows) == len({r["path"] for r in rows})


def test_reported_paths_of_a_missing_report_are_empty(tmp_path):
    assert read_reported_paths(tmp_path / "none.csv") == set()


def test_report_format_is_checked(tiny_model_path, folder, tmp_path):
    with pytest.raises(ValueError, match=r"\.csv or \.jsonl"):
        scan_folder(Detector(tiny_model_path), folder, tmp_path / "r.txt")


def test_find_image_files_counts_what_it_leaves_out(folder):
    listing = find_image_files(folder, recursive=True)
    assert len(listing.images) == 26 and listing.others == 1 and listing.unreadable == []
    assert listing.images == sorted(listing.images)
    assert np.all([p.is_file() for p in listing.images])


ODD_NAMES = [
    b"bad\xff\xfe.png",  # not UTF-8
    "ls\u2028sep.png".encode(),  # a line separator for str.splitlines
    b"cr\rret.png",
    b"new\nline.png",
    b'comma, "quoted".png',
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_odd_file_names_get_their_row_and_resume_finds_them(tiny_model_path, tmp_path, suffix):
    folder = tmp_path / "odd"
    folder.mkdir()
    for i, name in enumerate(ODD_NAMES):
        (folder / os.fsdecode(name)).write_bytes(encode(random_rgb(40, 40, seed=i), "PNG"))
    detector, report = Detector(tiny_model_path), tmp_path / f"r{suffix}"
    first = scan_folder(detector, folder, report)
    expected = {str(p) for p in folder.iterdir()}
    assert first.analysed == len(ODD_NAMES) and read_reported_paths(report) == expected
    again = scan_folder(detector, folder, report, resume=True)
    assert (again.resumed, again.analysed) == (len(ODD_NAMES), 0)
    assert read_reported_paths(report) == expected


def test_resume_matches_paths_however_the_folder_was_named(tiny_model_path, folder, tmp_path, monkeypatch):
    detector, report = Detector(tiny_model_path), tmp_path / "r.csv"
    monkeypatch.chdir(folder.parent)
    scan_folder(detector, "photos", report)
    assert scan_folder(detector, folder, report, resume=True).analysed == 0
    monkeypatch.chdir(folder)
    assert scan_folder(detector, ".", report, resume=True).analysed == 0
    assert len(_rows(report)) == 25


def test_a_broken_link_with_an_image_name_gets_an_error_row(tiny_model_path, folder, tmp_path):
    (folder / "gone.jpg").symlink_to(folder / "missing.jpg")
    report = tmp_path / "r.csv"
    scan_folder(Detector(tiny_model_path), folder, report)
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in _rows(report)}
    assert rows["gone.jpg"]["error"] == "gone.jpg: no such file"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("r.csv", "name,score\r\nx.png,1\r\n"),
        ("r.jsonl", "path,label\n"),
        ("r.jsonl", '{"path": "a.png"}\n[1, 2]\n'),
        ("r.jsonl", '{"label": "REAL"}\n'),
        ("r.csv", "name,score\nx.png,1"),  # no final newline: it must not be cut as a torn tail
    ],
)
def test_resuming_a_file_that_is_not_a_report_is_refused(tiny_model_path, folder, tmp_path, name, content):
    report = tmp_path / name
    report.write_bytes(content.encode())
    with pytest.raises(ReportError, match="not a fakescope scan report"):
        scan_folder(Detector(tiny_model_path), folder, report, resume=True)
    assert report.read_bytes() == content.encode()  # nothing appended to someone else's file


@pytest.mark.parametrize("content", ["", "path,verd"])
def test_resuming_an_empty_or_torn_header_report_writes_the_header(
    tiny_model_path, folder, tmp_path, content
):
    report = tmp_path / "r.csv"
    report.write_text(content)
    scan_folder(Detector(tiny_model_path), folder, report, resume=True)
    assert len(_rows(report)) == 25
    assert scan_folder(Detector(tiny_model_path), folder, report, resume=True).resumed == 25


def test_a_report_saved_with_a_byte_order_mark_resumes(tiny_model_path, folder, tmp_path):
    detector, report = Detector(tiny_model_path), tmp_path / "r.csv"
    scan_folder(detector, folder, report)
    report.write_bytes(b"\xef\xbb\xbf" + report.read_bytes())
    assert scan_folder(detector, folder, report, resume=True).resumed == 25


def test_a_row_torn_after_a_newline_inside_a_quoted_name_is_cut_whole(tiny_model_path, tmp_path):
    folder = tmp_path / "nl"
    folder.mkdir()
    for i, name in enumerate(["a.png", "b\nc.png", "d.png"]):
        (folder / name).write_bytes(encode(random_rgb(40, 40, seed=i), "PNG"))
    detector, report = Detector(tiny_model_path), tmp_path / "r.csv"
    scan_folder(detector, folder, report)
    data = report.read_bytes()
    torn = data[: data.index(b"b\nc.png") + 2]  # killed just after the newline inside the quoted name
    report.write_bytes(torn)
    assert read_reported_paths(report) == {str(folder / "a.png")}
    scan_folder(detector, folder, report, resume=True)
    assert sorted(r["path"] for r in csv.DictReader(report.open(newline=""))) == sorted(
        str(p) for p in folder.iterdir()
    )
