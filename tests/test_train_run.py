"""End-to-end training on a generated folder in the 140k layout: checkpoints, logs, metrics, config, CLI."""

from __future__ import annotations

import csv
import json

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from fakescope.cli.train import evaluate as evaluate_command
from fakescope.cli.train import train as train_command
from fakescope.data.layout import DatasetLayoutError, discover
from fakescope.data.toy import write_toy_dataset
from fakescope.runtime import InputSpec, preprocess
from fakescope.train.callbacks import EpochCallback
from fakescope.train.datasets import TRAINING_LIMITS
from fakescope.train.evaluate import evaluate_model
from fakescope.train.run_config import TrainConfig
from fakescope.train.training import train

pytestmark = pytest.mark.slow

CONFIG_KEYS = {
    "arch",
    "input_size",
    "greyscale",
    "value_range",
    "cam_layer",
    "threshold",
    "metrics",
    "training_data",
    "dataset_manifest_sha256",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    root = write_toy_dataset(tmp_path_factory.mktemp("toy") / "data", counts=(12, 6, 6), size=40)
    (root / "train" / "fake" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    return root


@pytest.fixture(scope="module")
def run(data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "toy"
    updates = []
    config = TrainConfig(
        arch="small_cnn", input_size=32, epochs=2, fine_tune_epochs=1, batch_size=8, patience=3
    )
    result = train(data_dir, out, config, callbacks=[EpochCallback(updates.append)], verbose=0)
    return out, result, updates


def test_training_writes_all_three_checkpoints_and_the_run_files(run):
    out, result, _ = run
    for name in (
        "ckpt_head.keras",
        "ckpt_ft.keras",
        "best_model.keras",
        "metrics.json",
        "train_config.json",
        "history.csv",
        "skipped.csv",
    ):
        assert (out / name).is_file(), name
    source = "ckpt_head.keras" if result.best_phase == "head" else "ckpt_ft.keras"
    assert (out / "best_model.keras").read_bytes() == (out / source).read_bytes()
    for name in ("ckpt_head.keras", "ckpt_ft.keras", "best_model.keras"):
        model = keras.models.load_model(out / name, compile=False)
        assert model.input_shape == (None, 32, 32, 3) and model.get_layer("last_conv") is not None


def test_history_has_one_row_per_epoch_across_both_phases(run):
    out, result, updates = run
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [(r["phase"], int(r["epoch"])) for r in rows] == [("head", 1), ("head", 2), ("fine_tune", 3)]
    assert float(rows[0]["learning_rate"]) == pytest.approx(1e-3)
    assert float(rows[2]["learning_rate"]) == pytest.approx(1e-4)
    assert all(0.0 <= float(r["val_auc"]) <= 1.0 for r in rows)
    assert [(u.phase, u.epoch, u.epochs) for u in updates] == [
        ("head", 1, 3),
        ("head", 2, 3),
        ("fine_tune", 3, 3),
    ]
    assert "val_auc" in updates[-1].logs
    assert len(result.history) == 3


def test_metrics_json_matches_an_independent_scoring_of_the_best_model(run, data_dir):
    out, _, _ = run
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 < metrics["threshold"] < 1
    assert metrics["test"]["n"] == 12 and metrics["test"]["n_real"] == metrics["test"]["n_fake"] == 6
    model = keras.models.load_model(out / "best_model.keras", compile=False)
    test = [r for r in discover(data_dir) if r.split == "test"]
    batch = np.stack([preprocess(r.path, InputSpec(32, 32), TRAINING_LIMITS) for r in test])
    prob = np.asarray(model.predict(batch, verbose=0)).ravel()
    labels = [r.label for r in test]
    assert metrics["test"]["roc_auc"] == pytest.approx(roc_auc_score(labels, prob), abs=1e-9)
    predicted = prob >= metrics["threshold"]
    assert metrics["test"]["confusion"]["tp"] == int(
        sum(p and y for p, y in zip(predicted, labels, strict=True))
    )


def test_train_config_holds_what_the_model_card_needs(run):
    out, _, _ = run
    config = json.loads((out / "train_config.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(config) >= CONFIG_KEYS
    assert (config["arch"], config["input_size"], config["greyscale"]) == ("small_cnn", 32, False)
    assert config["value_range"] == [0.0, 1.0] and config["cam_layer"] == "last_conv"
    assert config["threshold"] == metrics["threshold"] and config["metrics"] == metrics["test"]
    assert config["dataset_manifest_sha256"] is None and "24 real and 25 fake" in config["training_data"]
    assert config["counts"]["train"] == {"real": 12, "fake": 13}  # files found, the broken one included


def test_unreadable_training_files_are_listed_not_fatal(run):
    out, result, _ = run
    skipped = list(csv.DictReader((out / "skipped.csv").read_text().splitlines()))
    assert [r["path"].rsplit("/", 1)[-1] for r in skipped] == ["broken.png"]
    assert [p.rsplit("/", 1)[-1] for p, _ in result.skipped] == ["broken.png"]


def test_evaluate_with_a_target_fpr_keeps_the_validation_fpr_under_it(run, data_dir):
    out, _, _ = run
    evaluation = evaluate_model(out / "best_model.keras", data_dir, target_fpr=0.0)
    assert evaluation.valid.fpr == 0.0
    assert "FPR <= 0.0" in evaluation.threshold_rule
    assert evaluation.spec == InputSpec(32, 32)  # read from train_config.json beside the model


def test_evaluate_scores_an_exported_onnx_model_through_the_runtime(tiny_model_path, data_dir):
    evaluation = evaluate_model(tiny_model_path, data_dir)
    assert evaluation.spec == InputSpec(32, 32)
    assert evaluation.test.n == 12 and 0 < evaluation.threshold < 1


def test_cli_trains_and_evaluates(data_dir, tmp_path):
    runner = CliRunner()
    out = tmp_path / "cli_run"
    args = [
        str(data_dir),
        "--out",
        str(out),
        "--input-size",
        "32",
        "--greyscale",
        "--epochs",
        "1",
        "--fine-tune-epochs",
        "0",
        "--batch-size",
        "8",
        "--augment",
        "flip,jpeg",
    ]
    result = runner.invoke(train_command, args)
    assert result.exit_code == 0, result.output
    assert "ROC AUC" in result.output and "skipped 1 unreadable" in result.output
    assert (out / "ckpt_ft.keras").read_bytes() == (out / "ckpt_head.keras").read_bytes()
    config = json.loads((out / "train_config.json").read_text())
    assert config["greyscale"] is True and config["settings"]["augment"]["blur"] == 0.0
    result = runner.invoke(
        evaluate_command,
        [
            str(out / "best_model.keras"),
            str(data_dir),
            "--out",
            str(tmp_path / "m.json"),
            "--target-fpr",
            "0.2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "m.json").read_text())["input"]["greyscale"] is True


def test_cli_errors_are_one_line(tmp_path, data_dir):
    runner = CliRunner()
    (tmp_path / "empty").mkdir()
    result = runner.invoke(train_command, [str(tmp_path / "empty"), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Error:" in result.output
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    result = runner.invoke(evaluate_command, [str(tmp_path / "bad.keras"), str(data_dir)])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    result = runner.invoke(train_command, [str(tmp_path / "empty"), "--out", "r", "--augment", "sharpen"])
    assert result.exit_code == 2 and "sharpen" in result.output


def test_commands_are_registered_on_the_fakescope_cli():
    from fakescope.cli.main import cli

    assert {"train", "evaluate", "data"} <= set(cli.commands)
    assert "demo" in cli.commands["data"].commands


def _toy_with(tmp_path, split: str, label: str, content: bytes | None):
    """The toy dataset with every image of one split/class replaced by `content` (None: removed)."""
    root = write_toy_dataset(tmp_path / "data", counts=(6, 3, 3), size=40)
    for path in (root / split / label).iterdir():
        if content is None:
            path.unlink()
        else:
            path.write_bytes(content)
    return root


def test_a_split_without_one_class_is_refused_before_any_training(tmp_path):
    root = _toy_with(tmp_path, "valid", "fake", None)
    config = TrainConfig(arch="small_cnn", input_size=32, epochs=1, fine_tune_epochs=0, batch_size=8)
    with pytest.raises(DatasetLayoutError, match="the valid split has no fake images"):
        train(root, tmp_path / "run", config, verbose=0)
    assert not (tmp_path / "run").exists()


def test_an_unreadable_validation_split_ends_in_a_clear_error_and_a_skipped_list(tmp_path):
    root = _toy_with(tmp_path, "valid", "fake", b"junk")
    config = TrainConfig(arch="small_cnn", input_size=32, epochs=1, fine_tune_epochs=0, batch_size=8)
    with pytest.raises(ValueError, match="no readable fake image in the valid split"):
        train(root, tmp_path / "run", config, verbose=0)
    assert (tmp_path / "run" / "best_model.keras").is_file()
    assert len((tmp_path / "run" / "skipped.csv").read_text().splitlines()) == 1 + 3


def test_evaluating_a_split_that_cannot_be_read_says_so(tiny_model_path, tmp_path):
    root = _toy_with(tmp_path, "test", "real", b"junk")
    with pytest.raises(ValueError, match=r"no readable real image in the test split \(3 unreadable"):
        evaluate_model(tiny_model_path, root)


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_learning_rates_must_be_positive_numbers(rate):
    with pytest.raises(ValueError, match="learning_rate"):
        TrainConfig(learning_rate=rate)


def test_evaluate_refuses_models_that_are_not_detectors_and_damaged_configs(tmp_path, data_dir):
    from fakescope.train.evaluate import spec_for

    vector = keras.Model(inputs := keras.Input((10,)), keras.layers.Dense(1)(inputs))
    vector.save(tmp_path / "vector.keras")
    with pytest.raises(ValueError, match=r"image input of shape \(N, H, W, 3\)"):
        evaluate_model(tmp_path / "vector.keras", data_dir)
    two = keras.Model(image := keras.Input((32, 32, 3)), keras.layers.Dense(2)(keras.layers.Flatten()(image)))
    two.save(tmp_path / "two.keras")
    with pytest.raises(ValueError, match=r"one P\(fake\) per image"):
        evaluate_model(tmp_path / "two.keras", data_dir)
    (tmp_path / "train_config.json").write_text("{}")
    with pytest.raises(ValueError, match="not a fakescope training config"):
        spec_for(tmp_path / "two.keras")
    (tmp_path / "text.keras").write_text("hi")
    with pytest.raises(ValueError, match=r"is not a \.keras file"):
        evaluate_model(tmp_path / "text.keras", data_dir)


def test_evaluate_keeps_the_runs_metrics_and_reports_unwritable_output_in_one_line(run, data_dir, tmp_path):
    out, _, _ = run
    before = (out / "metrics.json").read_bytes()
    runner = CliRunner()
    result = runner.invoke(evaluate_command, [str(out / "best_model.keras"), str(data_dir)])
    assert result.exit_code == 0, result.output
    assert (out / "metrics.json").read_bytes() == before and (out / "best_model.metrics.json").is_file()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = runner.invoke(
        evaluate_command, [str(out / "best_model.keras"), str(data_dir), "--out", str(blocker / "m.json")]
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Error:" in result.output
