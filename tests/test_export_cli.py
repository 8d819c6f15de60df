"""`fakescope export` prints the validation table, writes sealed models, and fails with one line."""

from __future__ import annotations

import keras
import pytest
from click.testing import CliRunner
from keras import layers
from support.export_runs import save_run, write_dataset

from fakescope.cli.main import cli


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    return save_run(root / "run"), write_dataset(root / "data", per_class=8)


def test_export_writes_fp32_and_int8_models_with_the_demo_card(run, tmp_path):
    model, data = run
    out = tmp_path / "fakescope-demo.onnx"
    args = ["export", str(model), "--out", str(out), "--int8", "--calib", str(data), "--demo"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (
        "✓ prob_fake" in result.output and "✓ cam" in result.output and "int8 vs fp32 onnx" in result.output
    )
    assert out.is_file() and (tmp_path / "fakescope-demo-int8.onnx").is_file()
    info = CliRunner().invoke(cli, ["info", str(tmp_path / "fakescope-demo-int8.onnx")])
    assert (
        info.exit_code == 0 and "int8" in info.output and "not a real-world deepfake detector" in info.output
    )


def test_an_unsupported_head_fails_with_one_line(tmp_path):
    inputs = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(4, 3, name="last_conv")(inputs)
    x = layers.Flatten(name="gap")(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid", name="prob_fake")(x))
    model.save(tmp_path / "bad.keras")
    result = CliRunner().invoke(
        cli, ["export", str(tmp_path / "bad.keras"), "--out", str(tmp_path / "x.onnx")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: the model has no layer named 'dropout'; "
        "the head must be last_conv → gap → dropout → logit → prob_fake"
    )
    assert not (tmp_path / "x.onnx").exists()


def test_int8_without_calib_fails_with_one_line(run, tmp_path):
    model, _ = run
    result = CliRunner().invoke(cli, ["export", str(model), "--out", str(tmp_path / "x.onnx"), "--int8"])
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: INT8 quantisation needs calibration images: pass --calib DIR"
    )
