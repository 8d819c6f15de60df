"""`scan --engine dask` on real Dask processes: the same rows as the thread engine, every file exactly once
through a killed worker or a killed client, and no mixing of two scans' reports."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dask
import fsspec
import pandas as pd
import pytest
import yaml
from bad_inputs import write_corpus
from click.testing import CliRunner
from dask_processes import DaskProcesses
from distributed import Client, LocalCluster, WorkerPlugin
from image_factory import encode, fakescope_command, random_rgb
from video_factory import real_head, scene, write_video

from fakescope.cli.main import cli
from fakescope.cli.report import report as report_command
from fakescope.cluster import read_report, read_report_dask, scan_dask, summarize, write_csv
from fakescope.cluster.client import WORKER_CONFIG, dask_client
from fakescope.cluster.manifest import MANIFEST_NAME
from fakescope.cluster.parts import PART_SUFFIX, original_text, part_name
from fakescope.cluster.sources import Entry, Source
from fakescope.runtime import Detector
from fakescope.runtime.errors import ReportError
from fakescope.runtime.listing import find_image_files
from fakescope.runtime.scan import scan_folder
from fakescope.video.container import VIDEO_EXTENSIONS

FAKESCOPE = fakescope_command()
ENV = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with DaskProcesses(tmp_path_factory.mktemp("dask"), workers=2) as processes:
        yield processes


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("src") / "photos"
    (root / "sub").mkdir(parents=True)
    for i in range(24):
        (root / f"{i:03d}.jpg").write_bytes(encode(random_rgb(64, 48, seed=i), "JPEG"))
    (root / "sub" / "deep.png").write_bytes(encode(random_rgb(40, 40, seed=99), "PNG"))
    (root / 'comma, "quoted".png').write_bytes(encode(random_rgb(40, 40, seed=7), "PNG"))
    (root / "=HYPERLINK(1).png").write_bytes(b"not an image")
    (root / "gone.jpg").symlink_to(root / "missing.jpg")
    (root / "notes.txt").write_text("not an image")
    write_corpus(root / "hostile")
    head = real_head()
    write_video(root / "sub" / "clip.mp4", [scene((96, 80), [(head, 4 + k, 4, 0.3)]) for k in range(3)])
    (root / "broken.mov").write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"\x01" * 40)
    return root


def fakescope(*args) -> subprocess.CompletedProcess:
    """The CLI run in this process (its imports paid once, not per call): exit status, stdout, stderr."""
    result = CliRunner().invoke(cli, list(map(str, args)))
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_dask_rows_equal_the_thread_engine_row_by_row(cluster, photos, tiny_model_path, tmp_path):
    thread_out = fakescope("scan", photos, "-r", "--model", tiny_model_path, "--out", tmp_path / "thread.csv")
    assert thread_out.returncode == 0, thread_out.stderr
    out = fakescope(
        "scan", photos, "-r", "--engine", "dask", "--scheduler", cluster.address, "--model", tiny_model_path,
        "--partition-size", "7", "--out", tmp_path / "dask",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = fakescope("report", tmp_path / "dask", "--csv", tmp_path / "dask.csv")
    assert report.returncode == 0, report.stderr
    thread, dask = csv_rows(tmp_path / "thread.csv"), csv_rows(tmp_path / "dask.csv")
    assert dask[0] == thread[0]
    assert sorted(dask[1:]) == sorted(thread[1:])
    assert len(thread) - 1 == len({row[0] for row in thread[1:]}) > 40
    assert {row[0] for row in thread[1:]} >= {str(photos / "sub" / "clip.mp4"), str(photos / "broken.mov")}
    errors = sum(1 for row in thread[1:] if row[-1])
    assert f"{len(thread) - 1} files: " in report.stdout and f", {errors} errors (complete)" in report.stdout
    manifest = json.loads((tmp_path / "dask" / MANIFEST_NAME).read_text())
    assert manifest["source"] == str(photos) and manifest["complete"] and manifest["partition_size"] == 7
    assert manifest["model_sha256"] == hashlib.sha256(Path(tiny_model_path).read_bytes()).hexdigest()
    assert sorted(p.name for p in (tmp_path / "dask").glob("part-*.parquet")) == sorted(manifest["parts"])


def test_a_file_url_gives_the_rows_of_its_folder(cluster, photos, tiny_model_path, tmp_path):
    scan_dask(tiny_model_path, photos, tmp_path / "plain", scheduler=cluster.address, partition_size=9)
    scan_dask(tiny_model_path, photos.as_uri(), tmp_path / "url", scheduler=cluster.address, partition_size=9)
    plain, url = (
        read_report(tmp_path / name).sort_values("path").reset_index(drop=True) for name in ("plain", "url")
    )
    assert len(plain) == len(find_image_files(photos).images) and plain.equals(url)


def test_a_worker_killed_mid_scan_costs_only_its_partition(photos, tiny_model_path, tmp_path):
    report = tmp_path / "r"
    with DaskProcesses(tmp_path / "dask", workers=2) as own:
        client = subprocess.Popen(
            [*FAKESCOPE, "scan", str(photos), "-r", "--engine", "dask", "--scheduler", own.address,
             "--model", str(tiny_model_path), "--partition-size", "1", "--out", str(report)],
            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            _wait_for_parts(report, 1, client)
            own.kill_worker(0)
            _, stderr = client.communicate(timeout=240)
        finally:
            client.kill()
        assert client.returncode == 0, stderr
        assert own.worker_count() == 1
    rows = read_report(report)
    expected = {str(p) for p in _media_files(photos)}
    assert len(rows) == len(expected) and set(rows["path"]) == expected


def test_a_killed_client_resumes_without_rescanning_finished_parts(
    cluster, photos, tiny_model_path, tmp_path
):
    report = tmp_path / "r"
    args = [*FAKESCOPE, "scan", str(photos), "-r", "--engine", "dask", "--scheduler", cluster.address]
    args += ["--model", str(tiny_model_path), "--partition-size", "2", "--out", str(report)]
    client = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_parts(report, 3, client)
    finally:
        os.kill(client.pid, signal.SIGKILL)
        client.wait(timeout=30)
    finished = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in report.glob("part-*.parquet")}
    assert not json.loads((report / MANIFEST_NAME).read_text())["complete"]
    assert "(incomplete: resume the scan with --resume)" in fakescope("report", report).stdout
    out = subprocess.run([*args, "--resume"], env=ENV, capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    for name, identity in finished.items():
        part = report / name
        assert (part.stat().st_ino, part.stat().st_mtime_ns) == identity, f"{name} was scanned again"
    resumed = int(out.stderr.rsplit("parts (", 1)[1].split(" resumed")[0])
    assert resumed >= len(finished)
    rows = read_report(report)
    assert sorted(rows["path"]) == sorted(str(p) for p in _media_files(photos))


def test_resuming_a_report_of_another_model_or_source_is_refused(photos, tiny_model_path, tmp_path):
    report = tmp_path / "r"
    report.mkdir()
    scan_dask(tiny_model_path, photos, report, processes=False, workers=1)
    manifest = json.loads((report / MANIFEST_NAME).read_text())
    manifest["model_sha256"] = "0" * 64
    (report / MANIFEST_NAME).write_text(json.dumps(manifest))
    before = (report / MANIFEST_NAME).read_bytes()
    with pytest.raises(ReportError, match=r"was made with another model \(sha256\)"):
        scan_dask(tiny_model_path, photos, report, resume=True, processes=False, workers=1)
    out = fakescope(
        "scan", photos, "--engine", "dask", "--model", tiny_model_path, "--out", report, "--resume"
    )
    assert out.returncode == 1 and out.stderr.strip().startswith(f"Error: cannot resume: {report} was made")
    assert len(out.stderr.strip().splitlines()) == 1
    assert (report / MANIFEST_NAME).read_bytes() == before
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(ReportError, match="not a fakescope report folder"):
        scan_dask(tiny_model_path, photos, other, processes=False, workers=1)
    assert [p.name for p in other.iterdir()] == ["keep.txt"]


def test_judging_options_reach_the_workers_and_bind_the_report(photos, tiny_model_path, tmp_path):
    judging = {"threshold": 0.89, "tta": True}
    scan_dask(
        tiny_model_path, photos, tmp_path / "r", processes=False, workers=1, partition_size=5, **judging
    )
    scan_folder(Detector(tiny_model_path, **judging), photos, tmp_path / "thread.csv")
    scan_folder(Detector(tiny_model_path), photos, tmp_path / "plain.csv")
    write_csv(tmp_path / "r", tmp_path / "dask.csv")
    thread, dask = csv_rows(tmp_path / "thread.csv"), csv_rows(tmp_path / "dask.csv")
    assert sorted(dask[1:]) == sorted(thread[1:])
    labels = {row[0]: row[3] for row in thread[1:]}
    plain = {row[0]: row[3] for row in csv_rows(tmp_path / "plain.csv")[1:]}
    assert labels != plain  # the threshold flipped some labels, on the workers as in the thread engine
    with pytest.raises(ReportError, match="another judging options"):
        scan_dask(tiny_model_path, photos, tmp_path / "r", resume=True, processes=False, partition_size=5)


def test_a_second_scan_into_the_same_report_folder_is_refused(photos, tiny_model_path, tmp_path):
    report = tmp_path / "r"
    report.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_FOLDER, str(report)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, env=ENV,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        args = ["scan", str(photos), "--engine", "dask", "--model", str(tiny_model_path)]
        out = CliRunner().invoke(cli, [*args, "--out", str(report)])  # in this process; the holder is another
        assert out.exit_code == 1
        assert out.stderr.strip() == (
            f"Error: {report} is being written by another scan: wait for it to end or choose another report"
        )
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert list(report.iterdir()) == []


def test_an_unreachable_scheduler_is_one_line(photos, tiny_model_path, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = ["scan", str(photos), "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{port}"]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        out = CliRunner().invoke(cli, [*args, "--model", str(tiny_model_path), "--out", str(tmp_path / "r")])
    assert out.exit_code == 1 and out.exception.__class__ is SystemExit
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"Error: cannot reach the Dask scheduler at tcp://127.0.0.1:{port}: ")


_HOLD_FOLDER = """
import os, sys
from fakescope.runtime.report_lock import hold_exclusive
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
hold_exclusive(fd, sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
"""


def test_a_memory_url_is_listed_and_read_by_the_workers(photos, tiny_model_path, tmp_path):
    memory = fsspec.filesystem("memory")
    for path in _image_files(photos):
        if path.is_file():
            memory.pipe(f"/photos/{path.relative_to(photos).as_posix()}", path.read_bytes())
    scan_dask(
        tiny_model_path, "memory://photos", tmp_path / "r", recursive=True, partition_size=6,
        processes=False, workers=2,
    )  # fmt: skip
    dask = read_report(tmp_path / "r")
    scan_folder(Detector(tiny_model_path), photos, tmp_path / "thread.jsonl", recursive=True)
    thread = [json.loads(line) for line in (tmp_path / "thread.jsonl").read_text().splitlines()]
    by_name = {row["path"].removeprefix(str(photos)): row for row in thread if "gone.jpg" not in row["path"]}
    assert sorted(dask["path"]) == sorted(f"memory:///photos{name}" for name in by_name)
    for row in dask.to_dict("records"):
        expected = by_name[row["path"].removeprefix("memory:///photos")]
        for column in ("verdict", "reasons", "label", "threshold", "width", "format", "faces", "error"):
            assert ("" if pd.isna(row[column]) else row[column]) == expected[column], (row["path"], column)
        assert (row["prob_fake"] if not pd.isna(row["prob_fake"]) else "") == expected["prob_fake"]
    assert summarize(tmp_path / "r").files == len(by_name)


def _image_files(folder: Path) -> list[Path]:
    return find_image_files(folder, recursive=True).images


def _media_files(folder: Path) -> list[Path]:
    return _image_files(folder) + [p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_EXTENSIONS]


def _wait_for_parts(report: Path, count: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list(report.glob("part-*.parquet"))) >= count:
            return
        if process.poll() is not None:
            pytest.fail(f"the scan ended before {count} parts were written")
        time.sleep(0.02)
    pytest.fail(f"no {count} parts within {timeout} s")


class _DiesOn(WorkerPlugin):
    """Kills its worker process whenever the task of `part` starts: a partition no worker survives."""

    name = "test-dies-on"

    def __init__(self, part: str) -> None:
        self.part = part

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "executing" and self.part in str(key):
            os._exit(1)


def test_a_partition_that_kills_every_worker_becomes_error_rows(photos, tiny_model_path, tmp_path):
    """Dask gives up on a task once more than `allowed-failures` workers (0 here, 3 by default) died running
    it, and on one queued on the same workers: only the file that kills them gets an error row."""
    files = _image_files(photos)[:6]
    flat = tmp_path / "photos"
    flat.mkdir()
    for path in files:
        (flat / path.name).write_bytes(path.read_bytes())
    listed = [Path(entry.key) for entry in Source.parse(flat).entries()]  # the scan's order (the folder's)
    poisoned = part_name(2, [Entry(str(listed[2]))])
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0"
        ) as local,
        Client(local, set_as_default=False) as client,
    ):
        client.register_plugin(_DiesOn(poisoned.removesuffix(PART_SUFFIX)))
        summary = scan_dask(
            tiny_model_path, flat, tmp_path / "r", scheduler=local.scheduler_address, partition_size=1
        )
    rows = read_report(tmp_path / "r").set_index("path")
    assert sorted(rows.index) == sorted(str(p) for p in listed) and summary.rejected == 1
    assert (
        rows.loc[str(listed[2]), "error"]
        == f"{listed[2].name}: a Dask worker died each time it analysed this file"
    )
    assert (rows.drop(index=str(listed[2]))["error"] == "").all()


def test_names_that_are_not_utf8_keep_their_bytes_and_never_collide(tiny_model_path, tmp_path):
    """Parquet text must be UTF-8: a name's stray byte and a name that spells it with a backslash stay two
    rows, and the report's CSV holds the very bytes the thread engine's does."""
    folder = tmp_path / "photos"
    folder.mkdir()
    names = [b"caf\xe9.png", b"caf\\xe9.png", b"back\\\\slash.png", b"\xff\xfe.png", b"plain.png"]
    for seed, name in enumerate(names):
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(encode(random_rgb(40, 40, seed=seed), "PNG"))
    (folder / "broken\udce9.jpg").write_bytes(b"not an image")  # its error cell names it too
    scan_folder(Detector(tiny_model_path), folder, tmp_path / "thread.csv")
    scan_dask(tiny_model_path, folder, tmp_path / "r", processes=False, workers=1, partition_size=4)
    write_csv(tmp_path / "r", tmp_path / "dask.csv")
    thread, dask = ((tmp_path / name).read_bytes().split(b"\r\n") for name in ("thread.csv", "dask.csv"))
    assert thread[0] == dask[0] and sorted(thread[1:]) == sorted(dask[1:]) and len(thread) == len(names) + 3
    paths = read_report(tmp_path / "r")["path"]
    assert paths.is_unique and {original_text(path) for path in paths} == {str(p) for p in folder.iterdir()}


def test_a_damaged_or_missing_part_is_one_line_and_resume_mends_it(photos, tiny_model_path, tmp_path):
    report = tmp_path / "r"
    scan_dask(tiny_model_path, photos, report, processes=False, workers=1, partition_size=10)
    expected = read_report(report).sort_values("path").reset_index(drop=True)
    part = report / json.loads((report / MANIFEST_NAME).read_text())["parts"][1]
    part.write_bytes(part.read_bytes()[:100])  # a disk that lost the part's end
    damaged = CliRunner().invoke(report_command, [str(report)])
    assert damaged.exit_code == 1 and damaged.output == (
        f"Error: {report}: part {part.name} is damaged (ArrowInvalid): delete it and resume the scan with "
        "--resume\n"
    )
    part.unlink()
    missing = CliRunner().invoke(report_command, [str(report), "--csv", str(tmp_path / "r.csv")])
    assert missing.exit_code == 1 and "is missing: resume the scan with --resume" in missing.output
    kept = len(list(report.glob("part-*.parquet")))
    again = scan_dask(
        tiny_model_path, photos, report, processes=False, workers=1, partition_size=10, resume=True
    )
    assert again.resumed_parts == kept and again.parts == kept + 1
    assert read_report(report).sort_values("path").reset_index(drop=True).equals(expected)


def test_a_report_reads_lazily_as_a_dask_dataframe_and_sums_up_a_part_at_a_time(
    photos, tiny_model_path, tmp_path
):
    report = tmp_path / "r"
    scan_dask(tiny_model_path, photos, report, recursive=True, processes=False, workers=1, partition_size=9)
    rows = read_report(report)
    parts = json.loads((report / MANIFEST_NAME).read_text())["parts"]
    lazy = read_report_dask(report)
    assert lazy.npartitions == len(parts) > 3
    pd.testing.assert_frame_equal(lazy.compute().reset_index(drop=True), rows)
    fakes = lazy[lazy.verdict == "FAKE"].path.compute()
    assert sorted(fakes) == sorted(rows.loc[rows.verdict == "FAKE", "path"])
    summary = summarize(report)  # the pandas table is the reference
    failed = rows["error"].fillna("") != ""
    assert summary.files == len(rows) and summary.errors == int(failed.sum())
    assert summary.verdicts == rows.loc[~failed, "verdict"].value_counts().to_dict()
    assert write_csv(report, tmp_path / "r.csv") == len(rows) == len(csv_rows(tmp_path / "r.csv")) - 1
    (report / parts[2]).unlink()
    with pytest.raises(ReportError, match="is missing: resume the scan with --resume"):
        read_report_dask(report)


def _worker_settings() -> tuple:
    return (
        os.environ.get("MALLOC_TRIM_THRESHOLD_"),
        dask.config.get("distributed.worker.profile.enabled"),
        dask.config.get("distributed.admin.tick.interval"),
        dask.config.get("distributed.worker.memory.monitor-interval"),
    )


def test_local_cluster_workers_keep_glibcs_allocator_and_skip_stack_sampling(monkeypatch):
    # A stock LocalCluster (an earlier test's) leaves the nanny's MALLOC_TRIM_THRESHOLD_ in os.environ, and
    # a worker inherits its parent's environment: start as a fresh process would.
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with dask_client(None, workers=1) as client:
        (settings,) = client.run(_worker_settings).values()
        (callbacks,) = client.run(lambda dask_worker: set(dask_worker.periodic_callbacks)).values()
    assert settings == (None, False, "1s", "500ms")
    assert "profile" not in callbacks and "profile-cycle" not in callbacks
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ


def test_the_worker_settings_in_the_docs_are_the_local_clusters():
    text = (Path(__file__).parents[1] / "docs" / "cluster.md").read_text()
    block = text.split("# ~/.config/dask/fakescope.yaml\n", 1)[1].split("```", 1)[0]

    def flat(tree: dict, prefix: str = "") -> dict:
        items = {}
        for key, value in tree.items():
            if isinstance(value, dict):
                items |= flat(value, f"{prefix}{key}.")
            else:
                items[f"{prefix}{key}"] = value
        return items

    assert flat(yaml.safe_load(block)) == WORKER_CONFIG
