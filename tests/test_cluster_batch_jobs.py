"""EDA and evaluation on Dask worker processes give what they give on one machine."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from PIL import Image

from fakescope.cli.eda import eda as eda_command
from fakescope.cli.train import evaluate as evaluate_command
from fakescope.cluster.client import dask_client
from fakescope.cluster.eda import dask_measure
from fakescope.cluster.evaluate import dask_scorer, decode, encode
from fakescope.cluster.job_parts import map_to_parts
from fakescope.data.layout import ImageRecord, discover
from fakescope.data.toy import write_toy_dataset
from fakescope.eda.report import TABLE_NAME
from fakescope.eda.stats import collect_stats
from fakescope.eda.table import read_table
from fakescope.report.scoring import score_records
from fakescope.runtime import Detector
from fakescope.runtime.errors import ReportError
from fakescope.train.evaluate import evaluate_model


def read_parts(folder):
    return [pq.read_table(path) for path in sorted(folder.glob("part-*.parquet"))]


@pytest.fixture(scope="module")
def client():
    with dask_client(None, workers=2) as dask:
        yield dask


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = write_toy_dataset(tmp_path_factory.mktemp("toy") / "data", counts=(8, 10, 10), size=40)
    (root / "test" / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "valid" / "real" / "tiny.png")
    return root


def test_eda_measured_by_dask_workers_equals_the_local_table(client, data_dir, tmp_path):
    local = collect_stats(data_dir, workers=1)
    parts = tmp_path / "parts"
    dask = collect_stats(data_dir, measure=dask_measure(client, parts))
    assert len(local) == 58 and (local["error"] != "").sum() == 1
    pd.testing.assert_frame_equal(dask, local)
    written = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts.glob("part-*.parquet")}
    assert len(written) == len(read_parts(parts)) >= 1 and not list(parts.glob(".*.tmp"))
    again = collect_stats(data_dir, measure=dask_measure(client, parts))  # a rerun reads the parts back
    pd.testing.assert_frame_equal(again, local)
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts.glob("part-*.parquet")} == written
    with pytest.raises(ReportError, match="another job"):
        next(map_to_parts(client, len, [["a"]], parts, job={"job": "other"}, encode=None, decode=None))


def test_eda_cli_with_the_dask_engine_writes_the_same_table(data_dir, tmp_path):
    result = CliRunner().invoke(eda_command, [str(data_dir), "--out", str(tmp_path), "--engine", "dask"])
    assert result.exit_code == 0, result.output
    assert sum(part.num_rows for part in read_parts(tmp_path / "_dask_parts")) == 58
    table = read_table(tmp_path / TABLE_NAME)
    pd.testing.assert_frame_equal(
        table.drop(columns=["mtime_ns"]).reset_index(drop=True),
        collect_stats(data_dir, workers=1).drop(columns=["mtime_ns"]).reset_index(drop=True),
        check_dtype=False,
    )


@pytest.fixture(scope="module")
def local_evaluation(tiny_model_path, data_dir):
    return evaluate_model(tiny_model_path, data_dir)


def test_evaluation_scored_by_dask_workers_equals_the_local_one(
    client, tiny_model_path, data_dir, local_evaluation, tmp_path
):
    local, parts = local_evaluation, tmp_path / "parts"
    for run in ("first", "rerun"):  # the rerun reads every part back instead of scoring
        dask = evaluate_model(
            tiny_model_path, data_dir, scorer=dask_scorer(client, tiny_model_path, parts, partition_size=3)
        )
        assert dask.threshold == local.threshold, run
        assert dask.test.as_dict() == local.test.as_dict() and dask.valid.as_dict() == local.valid.as_dict()
        assert sorted(dask.skipped) == sorted(local.skipped) and len(local.skipped) == 1
        assert dask.trust == local.trust
        if run == "first":
            written = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts.glob("part-*.parquet")}
            assert len(written) >= 2 and not list(parts.glob(".*.tmp"))
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in parts.glob("part-*.parquet")} == written


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
    result = CliRunner().invoke(evaluate_command, [*args, "--scheduler", client.scheduler.address])
    assert result.exit_code == 0, result.output
    scored = [record for record in discover(data_dir) if record.split != "train"]
    assert sum(part.num_rows for part in read_parts(tmp_path / "metrics_dask_parts")) == len(scored) > 30
    written, local = json.loads(out.read_text()), json.loads(local_evaluation.to_json())
    assert {k: v for k, v in written.items() if k != "created"} == {
        k: v for k, v in local.items() if k != "created"
    }
    assert "skipped 1 unreadable file(s)" in result.output
