"""`s3://` sources on a real S3 endpoint (moto's server process, spoken to over HTTP by s3fs): a prefix is
listed a page at a time as the partitions want it, and a scan through real Dask processes, each reading its
objects itself with the credentials of its own environment, gives the thread engine's rows."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from bad_inputs import write_corpus
from dask_processes import DaskProcesses
from image_factory import encode, fakescope_command, random_rgb
from support.s3_server import s3_server

from fakescope.cluster import read_report, scan_dask, summarize
from fakescope.cluster.sources import Source
from fakescope.runtime import Detector
from fakescope.runtime.listing import find_image_files
from fakescope.runtime.scan import scan_folder

FAKESCOPE = fakescope_command()
COMPARED = ("verdict", "reasons", "label", "threshold", "width", "format", "faces", "error")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with s3_server(tmp_path_factory.mktemp("s3") / "moto.log") as server:
        server.fs.mkdir("photos-bucket")
        yield server


@pytest.fixture(scope="module")
def photos(tmp_path_factory, s3):
    """A folder of images, a non-image, hostile files and a subfolder, uploaded as s3://photos-bucket/photos."""
    root = tmp_path_factory.mktemp("src") / "photos"
    (root / "sub").mkdir(parents=True)
    for i in range(9):
        (root / f"{i:03d}.jpg").write_bytes(encode(random_rgb(64, 48, seed=i), "JPEG"))
    (root / "sub" / "deep.png").write_bytes(encode(random_rgb(40, 40, seed=99), "PNG"))
    (root / "=HYPERLINK(1).png").write_bytes(b"not an image")
    (root / "notes.txt").write_text("not an image")
    write_corpus(root / "hostile")
    for path in root.rglob("*"):
        if path.is_file():
            s3.fs.pipe(f"photos-bucket/photos/{path.relative_to(root).as_posix()}", path.read_bytes())
    return root


def test_a_prefix_is_listed_a_page_at_a_time_as_its_keys_are_wanted(s3):
    for i in range(25):
        s3.fs.pipe(f"photos-bucket/flat/{i:03d}.png", b"x")
    s3.fs.pipe("photos-bucket/flat/notes.txt", b"x")
    s3.fs.pipe("photos-bucket/flat/deeper/z.jpg", b"x")
    entries = Source.parse("s3://photos-bucket/flat", s3.options).entries(recursive=True, page_keys=10)
    first = [next(entries).key for _ in range(10)]
    # A key written after the first page was read: a listing made whole before the first key was handed
    # out would not hold it; one asked for page by page does.
    s3.fs.pipe("photos-bucket/flat/999-late.png", b"x")
    rest = [entry.key for entry in entries]
    expected = [f"s3://photos-bucket/flat/{i:03d}.png" for i in range(25)]
    expected += ["s3://photos-bucket/flat/999-late.png", "s3://photos-bucket/flat/deeper/z.jpg"]
    assert first + rest == expected
    flat = Source.parse("s3://photos-bucket/flat", s3.options).entries(recursive=False, page_keys=7)
    assert [entry.key for entry in flat] == expected[:-1]


def test_a_missing_bucket_or_an_empty_prefix_is_not_a_folder(s3):
    for url in ("s3://no-such-bucket/photos", "s3://photos-bucket/nothing-here"):
        with pytest.raises(NotADirectoryError, match="is not a folder"):
            Source.parse(url, s3.options)


def test_an_s3_scan_through_the_api_gives_the_thread_engines_rows(s3, photos, tiny_model_path, tmp_path):
    summary = scan_dask(
        tiny_model_path, "s3://photos-bucket/photos", tmp_path / "r", recursive=True, partition_size=4,
        processes=False, workers=2, storage_options=s3.options,
    )  # fmt: skip
    expected = _thread_rows(tiny_model_path, photos, tmp_path)
    _assert_same_rows(read_report(tmp_path / "r"), expected)
    assert summary.rows == len(expected) == summarize(tmp_path / "r").files


def test_an_s3_scan_on_real_dask_processes_reads_each_object_on_its_worker(
    s3, photos, tiny_model_path, tmp_path
):
    """The CLI names only the URL; the client and each worker find the endpoint and the credentials in
    their own environment, as on a real cluster."""
    env = {**os.environ, **s3.env, "PYTHONPATH": str(Path(__file__).parents[1])}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in s3.env.items():
            patch.setenv(name, value)  # DaskProcesses hands this environment to the workers
        with DaskProcesses(tmp_path / "dask", workers=2) as cluster:
            args = [*FAKESCOPE, "scan", "s3://photos-bucket/photos", "-r", "--engine", "dask"]
            args += ["--scheduler", cluster.address, "--model", str(tiny_model_path)]
            args += ["--partition-size", "3", "--out", str(tmp_path / "r")]
            out = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    expected = _thread_rows(tiny_model_path, photos, tmp_path)
    _assert_same_rows(read_report(tmp_path / "r"), expected)
    rejected = sum(1 for row in expected.values() if row["error"])
    assert rejected > 0 and f"{len(expected)} rows" in out.stderr and f"{rejected} rejected" in out.stderr
    assert (
        json.loads((tmp_path / "r" / "_manifest.json").read_text())["source"] == "s3://photos-bucket/photos"
    )


def _thread_rows(model: Path, photos: Path, tmp_path: Path) -> dict[str, dict]:
    """The thread engine's rows of the local copy, by path relative to the folder."""
    out = tmp_path / "thread.jsonl"
    scan_folder(Detector(model), photos, out, recursive=True)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    images = {str(path) for path in find_image_files(photos, recursive=True).images}
    return {row["path"].removeprefix(str(photos)): row for row in rows if row["path"] in images}


def _assert_same_rows(report: pd.DataFrame, expected: dict[str, dict]) -> None:
    prefix = "s3://photos-bucket/photos"
    assert sorted(report["path"]) == sorted(prefix + name for name in expected)
    for row in report.to_dict("records"):
        want = expected[row["path"].removeprefix(prefix)]
        for column in COMPARED:
            assert ("" if pd.isna(row[column]) else row[column]) == want[column], (row["path"], column)
        assert (row["prob_fake"] if not pd.isna(row["prob_fake"]) else "") == want["prob_fake"]
