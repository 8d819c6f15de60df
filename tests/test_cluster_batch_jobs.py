"""EDA and evaluation on real Dask worker processes give what they give on one machine; their job folders
keep only the current parts, record each complete run, and survive a killed client."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from dask_processes import REPO, DaskProcesses
from distributed import Client
from image_factory import fakescope_command
from PIL import Image

from fakescope.cli.eda import eda as eda_command
from fakescope.cli.train import evaluate as evaluate_command
from fakescope.cluster.eda import DaskMeasure
from fakescope.cluster.evaluate import DaskScorer, decode, encode
from fakescope.cluster.job_parts import DONE_NAME, JobRecord, PartsJob
from fakescope.data.layout import ImageRecord, discover
from fakescope.data.toy import write_toy_dataset
from fakescope.eda.report import TABLE_NAME
from fakescope.eda.stats import collect_stats
from fakescope.eda.table import read_table
from fakescope.report.scoring import score_records
from fakescope.runtime import Detector
from fakescope.runtime.errors import ReportError
from fakescope.train.evaluate import evaluate_model

FAKESCOPE = fakescope_command()
ENV = {**os.environ, "PYTHONPATH": REPO}


def read_parts(folder):
    return [pq.read_table(path) for path in sorted(folder.glob("part-*.parquet"))]


def identities(folder) -> dict[str, tuple[int, int]]:
    """Each part's inode and mtime: a part written again gets new ones."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("part-*.parquet")}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with DaskProcesses(tmp_path_factory.mktemp("dask"), workers=2) as processes:
        yield processes


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster.address, set_as_default=False) as dask:
        yield dask


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = write_toy_dataset(tmp_path_factory.mktemp("toy") / "data", counts=(8, 10, 10), size=40)
    (root / "test" / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "valid" / "real" / "tiny.png")
    return root


@pytest.fixture(scope="module")
def local_table(data_dir):
    return collect_stats(data_dir, workers=1)


def test_eda_measured_by_dask_workers_equals_the_local_table(client, data_dir, local_table, tmp_path):
    parts = tmp_path / "parts"
    with DaskMeasure(client, parts) as measure:
        dask = collect_stats(data_dir, measure=measure, chunk_size=16)
        record = measure.complete()
    assert len(local_table) == 58 and (local_table["error"] != "").sum() == 1
    pd.testing.assert_frame_equal(dask, local_table)
    assert (record.partitions, record.rows, record.reused, record.computed, record.stale_removed) == (
        4, 58, 0, 4, 0
    )  # fmt: skip
    assert JobRecord.read(parts) == record and set(record.parts) == set(identities(parts))
    written = identities(parts)
    assert not list(parts.glob(".*.tmp"))
    with DaskMeasure(client, parts) as measure:  # a rerun reads the parts back
        pd.testing.assert_frame_equal(collect_stats(data_dir, measure=measure, chunk_size=16), local_table)
        with pytest.raises(ReportError, match="being written by another fakescope-eda/1 run"):
            DaskMeasure(client, parts)
        again = measure.complete()
    assert (again.reused, again.computed, again.stale_removed, again.parts) == (4, 0, 0, record.parts)
    assert identities(parts) == written
    with pytest.raises(ReportError, match="another job"):
        PartsJob(client, parts, {"job": "other"})


def test_a_complete_eda_run_removes_its_stale_parts_and_nothing_else(client, data_dir, tmp_path):
    data, parts = shutil.copytree(data_dir, tmp_path / "data"), tmp_path / "parts"
    with DaskMeasure(client, parts) as measure:
        collect_stats(data, measure=measure, chunk_size=16)
        first = measure.complete()
    (parts / "notes.txt").write_text("mine")
    (parts / "part-mine.parquet").write_text("not a part of the job")
    torn = parts / f".part-000009-{'0' * 16}.parquet.{'ab' * 16}.tmp"  # as a worker killed mid-write leaves
    torn.write_bytes(b"PAR1")
    changed = discover(data)[-1].path  # in the last chunk
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(changed)
    with DaskMeasure(client, parts) as measure:
        table = collect_stats(data, measure=measure, chunk_size=16)
        second = measure.complete()
    pd.testing.assert_frame_equal(table, collect_stats(data, workers=1))
    assert (second.partitions, second.reused, second.computed, second.stale_removed) == (4, 3, 1, 1)
    assert second.parts[:3] == first.parts[:3] and second.parts[3] != first.parts[3]
    assert set(identities(parts)) == {*second.parts, "part-mine.parquet"} and JobRecord.read(parts) == second
    assert (parts / "notes.txt").read_text() == "mine" and not torn.exists()
    assert repr(second) == (
        "JobRecord(fakescope-eda/1: 4 partitions (58 rows), 3 reused, 1 computed, 1 stale parts removed)"
    )


def test_a_failed_run_removes_nothing(client, data_dir, tmp_path):
    data, parts = shutil.copytree(data_dir, tmp_path / "data"), tmp_path / "parts"
    with DaskMeasure(client, parts) as measure:
        collect_stats(data, measure=measure, chunk_size=16)
        measure.complete()
    before, done = identities(parts), (parts / DONE_NAME).read_bytes()

    def fail(done: int, total: int) -> None:
        if 0 < done < total:
            raise RuntimeError("stopped midway")

    with DaskMeasure(client, parts) as measure:
        with pytest.raises(RuntimeError, match="stopped midway"):
            collect_stats(data, measure=measure, chunk_size=8, progress=fail)
        with pytest.raises(ReportError, match="did not read back every partition; nothing removed"):
            measure.complete()
    assert identities(parts).items() >= before.items() and len(identities(parts)) > len(before)
    assert (parts / DONE_NAME).read_bytes() == done


def test_eda_cli_with_the_dask_engine_writes_the_same_table(client, data_dir, local_table, tmp_path):
    args = [
        str(data_dir),
        "--out",
        str(tmp_path),
        "--engine",
        "dask",
        "--scheduler",
        client.scheduler.address,
    ]
    result = CliRunner().invoke(eda_command, [*args, "--partition-size", "20"])
    assert result.exit_code == 0, result.output
    assert sum(part.num_rows for part in read_parts(tmp_path / "_dask_parts")) == 58
    assert "dask: 3 partitions (58 rows), 0 reused, 3 computed, 0 stale parts removed" in result.output
    table = read_table(tmp_path / TABLE_NAME)
    pd.testing.assert_frame_equal(
        table.drop(columns=["mtime_ns"]).reset_index(drop=True),
        local_table.drop(columns=["mtime_ns"]).reset_index(drop=True),
        check_dtype=False,
    )


@pytest.fixture(scope="module")
def local_evaluation(tiny_model_path, data_dir):
    return evaluate_model(tiny_model_path, data_dir)


def test_evaluation_scored_by_dask_workers_equals_the_local_one(
    client, tiny_model_path, data_dir, local_evaluation, tmp_path
):
    local, parts = local_evaluation, tmp_path / "parts"
    records = []
    for run in ("first", "rerun"):
        with DaskScorer(client, tiny_model_path, parts, partition_size=3) as scorer:
            dask = evaluate_model(tiny_model_path, data_dir, scorer=scorer)
            records.append(scorer.complete())
        assert dask.threshold == local.threshold, run
        assert dask.test.as_dict() == local.test.as_dict() and dask.valid.as_dict() == local.valid.as_dict()
        assert sorted(dask.skipped) == sorted(local.skipped) and len(local.skipped) == 1
        assert dask.trust == local.trust
        assert set(identities(parts)) == set(records[-1].parts) and not list(parts.glob(".*.tmp")), run
        if run == "first":
            written = identities(parts)
    assert identities(parts) == written  # the rerun read every part back instead of scoring
    first, rerun = records  # 21 valid and 21 test records: 7 + 7 parts of 3
    assert (first.partitions, first.rows, first.reused, first.computed, first.stale_removed) == (
        14,
        42,
        0,
        14,
        0,
    )
    assert (rerun.partitions, rerun.reused, rerun.computed, rerun.stale_removed) == (14, 14, 0, 0)
    scored = [record for record in discover(data_dir) if record.split != "train"]
    seen: list[int] = []
    with DaskScorer(client, tiny_model_path, parts, partition_size=4, progress=seen.append) as scorer:
        scores = scorer(None, scored)  # 11 parts of 4, none like a part of 3
        repartitioned = scorer.complete()
    assert seen == [4] * 10 + [2]
    assert (repartitioned.partitions, repartitioned.reused, repartitioned.stale_removed) == (11, 0, 14)
    assert set(identities(parts)) == set(repartitioned.parts)
    assert scores.records == score_records(Detector(tiny_model_path), scored).records


def test_scores_survive_their_parquet_part(tiny_model_path, data_dir):
    records = [*discover(data_dir)[:5], ImageRecord(data_dir / "test" / "fake" / "broken.png", 1, "test")]
    scores = score_records(Detector(tiny_model_path), records)
    back = decode(pa.Table.from_batches(encode(scores).to_batches()))
    assert back.records == scores.records and back.rejected == scores.rejected and len(back.rejected) == 1
    assert back.evidence == scores.evidence and back.reasons == scores.reasons
    np.testing.assert_array_equal(back.prob_fake, scores.prob_fake)


def test_evaluate_cli_with_the_dask_engine_writes_the_local_record(
    client, tiny_model_path, data_dir, local_evaluation, tmp_path
):
    out = tmp_path / "metrics.json"
    args = [str(tiny_model_path), str(data_dir), "--out", str(out), "--engine", "dask"]
    result = CliRunner().invoke(
        evaluate_command, [*args, "--scheduler", client.scheduler.address, "--partition-size", "10"]
    )
    assert result.exit_code == 0, result.output
    scored = [record for record in discover(data_dir) if record.split != "train"]
    assert sum(part.num_rows for part in read_parts(tmp_path / "metrics_dask_parts")) == len(scored) > 30
    assert "dask: 6 partitions (42 rows), 0 reused, 6 computed, 0 stale parts removed" in result.output
    written, local = json.loads(out.read_text()), json.loads(local_evaluation.to_json())
    assert {k: v for k, v in written.items() if k != "created"} == {
        k: v for k, v in local.items() if k != "created"
    }
    assert "skipped 1 unreadable file(s)" in result.output


def kill_once_some_parts_exist(args: list[str], parts) -> dict[str, tuple[int, int]]:
    """Run `args` as a real process, SIGKILL it as soon as it has written a part; the parts left then."""
    before = set(identities(parts))
    process = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not set(identities(parts)) - before:
            assert process.poll() is None, "the job ended before it wrote a part"
            assert time.monotonic() < deadline, "no part written in time"
            time.sleep(0.005)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return identities(parts)


def test_a_killed_evaluate_client_reruns_without_rescoring_finished_parts(
    cluster, client, tiny_model_path, data_dir, local_evaluation, tmp_path
):
    out, parts = tmp_path / "metrics.json", tmp_path / "metrics_dask_parts"
    with DaskScorer(client, tiny_model_path, parts, partition_size=50) as scorer:  # one part, soon stale
        scorer(None, [record for record in discover(data_dir) if record.split != "train"])
        old = scorer.complete()
    args = [
        *FAKESCOPE,
        "evaluate",
        str(tiny_model_path),
        str(data_dir),
        "--out",
        str(out),
        "--engine",
        "dask",
    ]
    args += ["--scheduler", cluster.address, "--partition-size", "1"]
    left = kill_once_some_parts_exist(args, parts)
    assert set(old.parts) <= set(left) and JobRecord.read(parts) == old  # the killed run removed nothing
    finished = {name: identity for name, identity in left.items() if name not in old.parts}
    rerun = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    record = JobRecord.read(parts)
    assert record.partitions == 42 > len(finished) > 0  # the kill came after some parts, before all
    now = identities(parts)
    assert {name: now.get(name) for name in finished} == finished, "a finished part was scored again"
    assert record.reused >= len(finished) and record.computed == 42 - record.reused
    assert record.stale_removed == 1 and set(now) == set(record.parts)
    assert f"dask: {record.summary}" in rerun.stdout
    written, local = json.loads(out.read_text()), json.loads(local_evaluation.to_json())
    assert {k: v for k, v in written.items() if k != "created"} == {
        k: v for k, v in local.items() if k != "created"
    }


def test_a_killed_eda_client_reruns_without_remeasuring_finished_parts(
    cluster, client, data_dir, local_table, tmp_path
):
    parts = tmp_path / "_dask_parts"
    with DaskMeasure(client, parts) as measure:
        collect_stats(data_dir, measure=measure, chunk_size=29)
        old = measure.complete()
    args = [*FAKESCOPE, "eda", str(data_dir), "--out", str(tmp_path), "--engine", "dask"]
    args += ["--scheduler", cluster.address, "--partition-size", "2"]
    left = kill_once_some_parts_exist(args, parts)
    assert set(old.parts) <= set(left) and JobRecord.read(parts) == old
    finished = {name: identity for name, identity in left.items() if name not in old.parts}
    rerun = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    record = JobRecord.read(parts)
    assert record.partitions == 29 > len(finished) > 0
    now = identities(parts)
    assert {name: now.get(name) for name in finished} == finished, "a finished part was measured again"
    assert record.reused >= len(finished) and record.computed == 29 - record.reused
    assert record.stale_removed == 2 and set(now) == set(record.parts)
    assert f"dask: {record.summary}" in rerun.stdout
    pd.testing.assert_frame_equal(
        read_table(tmp_path / TABLE_NAME).drop(columns=["mtime_ns"]).reset_index(drop=True),
        local_table.drop(columns=["mtime_ns"]).reset_index(drop=True),
        check_dtype=False,
    )
