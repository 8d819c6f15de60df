"""fakescope.runs: train_config.json and metrics.json as typed records, written and read by one type each."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fakescope.report.metrics import binary_metrics
from fakescope.runs import (
    METRICS_FILE,
    TRAIN_CONFIG_FILE,
    Evaluation,
    RunFileError,
    TrainRecord,
    read_run_file,
    write_run_file,
)
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.preprocess import InputSpec


def _evaluation() -> Evaluation:
    y = np.array([0, 0, 1, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.8, 0.9])
    return Evaluation(
        "m.keras", "data", InputSpec(32, 32, True), 0.5, "max balanced accuracy",
        binary_metrics(y, p[::-1], 0.5), binary_metrics(y, p, 0.5), (("x.png", "damaged"),), "2026-01-01",
        {"calibration": {"ece": 0.12}},
    )  # fmt: skip


def test_metrics_json_round_trips_and_keeps_its_layout(tmp_path):
    evaluation = _evaluation()
    path = write_run_file(evaluation, tmp_path / "run" / METRICS_FILE)
    assert read_run_file(path, Evaluation) == evaluation
    data = json.loads(path.read_text())
    assert data["input"] == {"size": [32, 32], "greyscale": True, "value_range": [0.0, 1.0]}
    assert data["test"]["confusion"] == {"tn": 1, "fp": 1, "fn": 1, "tp": 2}
    assert data["skipped"] == [{"path": "x.png", "error": "damaged"}]
    assert data["calibration"] == {"ece": 0.12}  # the trust summary stays top-level keys


def test_metrics_written_before_precision_was_recorded_still_read(tmp_path):
    data = json.loads(_evaluation().to_json())
    for split in ("test", "valid"):
        del data[split]["precision"]
    assert Evaluation.from_json(json.dumps(data)).test.precision is None


def test_train_config_round_trips_with_its_details(tmp_path):
    record = TrainRecord(
        "small_cnn", 32, greyscale=True, face_crop=FaceCrop(True, 0.09), threshold=0.4,
        metrics=_evaluation().test, data_dir="d", details={"seconds": 3.5, "counts": {"train": {"real": 2}}},
    )  # fmt: skip
    path = write_run_file(record, tmp_path / TRAIN_CONFIG_FILE)
    again = read_run_file(path, TrainRecord)
    assert again == record and again.details == record.details
    assert json.loads(path.read_text())["seconds"] == 3.5  # details stay top-level keys
    assert again.spec == InputSpec(32, 32, True)


@pytest.mark.parametrize(
    "text, message",
    [
        ("[]", "JSON object"),
        ("{", "not valid JSON"),
        ("{}", "missing 'arch'"),
        ('{"arch": "a", "input_size": "32"}', "input_size must be an integer"),
        ('{"arch": "a", "input_size": 32, "greyscale": "no"}', "greyscale must be true or false"),
        ('{"arch": "a", "input_size": 32, "face_crop": {"pad": 1}}', "unknown keys: pad"),
        ('{"arch": "a", "input_size": 4}', "input size must be >= 8"),
    ],
)
def test_a_damaged_train_config_is_one_line_naming_the_file(tmp_path, text, message):
    path = tmp_path / TRAIN_CONFIG_FILE
    path.write_text(text)
    with pytest.raises(RunFileError, match=message) as caught:
        read_run_file(path, TrainRecord)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(RunFileError, match="does not exist"):
        read_run_file(tmp_path / METRICS_FILE, Evaluation)
