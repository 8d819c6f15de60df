"""The exported model carries a card built from the training run; the runtime reads it back and refuses a
model whose weights, card or graph were changed after export."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import keras
import numpy as np
import onnx
import pytest
from onnx_fixtures import write_tiny_model
from support.export_runs import save_run, write_dataset

from fakescope.export.card import DEMO_TEXT, build_card, check_onnx, read_run_files
from fakescope.export.card_io import read_card
from fakescope.export.errors import ExportError
from fakescope.export.head import check_head
from fakescope.export.pipeline import export_model
from fakescope.runs import METRICS_FILE, Evaluation, TrainRecord, read_run_file
from fakescope.runtime import Detector, InputSpec, ModelCard, ModelCardError, preprocess
from fakescope.runtime.integrity import graph_sha256
from fakescope.train.datasets import TRAINING_LIMITS


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("card")
    model = save_run(root / "run", threshold=0.4)
    data = write_dataset(root / "data", per_class=8)
    result = export_model(model, root / "model.onnx", images=data)
    return model, result["fp32"], data


def test_card_declares_input_threshold_metrics_and_tool_versions(run):
    model_path, exported, _ = run
    card = Detector(exported.path).card
    assert card == exported.card
    assert (card.input_height, card.input_width, card.greyscale) == (32, 32, True)
    assert card.threshold == 0.4 and card.architecture == "small_cnn" and card.cam_layer == "last_conv"
    test = read_run_file(model_path.with_name(METRICS_FILE), Evaluation).test
    assert card.metrics == {k: v for k, v in test.as_dict().items() if k != "threshold"} and test.n == 30
    assert {"tensorflow", "keras", "tf2onnx", "onnx"} <= set(card.versions)
    assert datetime.fromisoformat(card.created).tzinfo is not None
    assert card.limitations and card.intended_use and "data/generated" in card.training_data
    assert card.graph_sha256 == graph_sha256(exported.path.read_bytes())


def test_card_round_trips_through_the_onnx_metadata(run):
    _, exported, _ = run
    stored = read_card(onnx.load(exported.path))
    assert ModelCard.from_json(stored.to_json()) == stored == exported.card


def test_detector_reproduces_the_keras_model_on_real_files(run):
    model_path, exported, data = run
    model = keras.models.load_model(model_path, compile=False)
    paths = sorted(data.rglob("*.png"))[:6]
    detector = Detector(exported.path, limits=TRAINING_LIMITS)
    batch = np.stack([preprocess(p, InputSpec(32, 32, greyscale=True), TRAINING_LIMITS) for p in paths])
    expected = np.asarray(model(batch, training=False))[:, 0]
    got = [detector.predict(p).prob_fake for p in paths]
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_flipped_weight_byte_is_refused(run, tmp_path):
    _, exported, _ = run
    model = onnx.load(exported.path)
    weight = max(model.graph.initializer, key=lambda t: len(t.raw_data))
    raw = bytearray(weight.raw_data)
    raw[len(raw) // 2] ^= 0x01
    weight.raw_data = bytes(raw)
    assert_refused(model, tmp_path / "tampered.onnx", "modified after export")


def test_a_removed_card_is_refused(run, tmp_path):
    _, exported, _ = run
    model = onnx.load(exported.path)
    del model.metadata_props[:]
    assert_refused(model, tmp_path / "stripped.onnx", "no fakescope model card")


def test_a_card_copied_from_another_model_is_refused(run, tmp_path):
    _, exported, _ = run
    other = onnx.load(write_tiny_model(tmp_path / "other.onnx"))
    model = onnx.load(exported.path)
    del model.metadata_props[:]
    model.metadata_props.extend(other.metadata_props)
    assert_refused(model, tmp_path / "swapped.onnx", "modified after export")


def test_exported_graph_passes_the_full_onnx_checker_and_a_broken_one_does_not(run):
    _, exported, _ = run
    model = onnx.load(exported.path)
    check_onnx(model)
    model.graph.node[1].input[0] = "no_such_tensor"
    with pytest.raises(ExportError, match=r"onnx\.checker"):
        check_onnx(model)


def test_the_threshold_comes_from_metrics_json_then_train_config_then_one_half(run):
    model_path, _, _ = run
    head = check_head(keras.models.load_model(model_path, compile=False))
    record, evaluation = read_run_files(model_path)
    assert build_card(head, record, evaluation, name="m").threshold == evaluation.threshold == 0.4
    assert build_card(head, replace(record, threshold=0.7), None, name="m").threshold == 0.7
    assert build_card(head, None, None, name="m").threshold == 0.5


def test_training_data_comes_from_the_run_before_the_generic_text(run):
    model_path, _, _ = run
    head = check_head(keras.models.load_model(model_path, compile=False))
    record = TrainRecord(arch="small_cnn", input_size=32, training_data="300 crops", data_dir="d")
    described = build_card(head, record, None, name="m", text=DEMO_TEXT)
    assert described.training_data == "300 crops" and described.limitations == DEMO_TEXT.limitations
    assert build_card(head, None, None, name="m", text=DEMO_TEXT).training_data == DEMO_TEXT.training_data
    assert (
        build_card(head, replace(record, training_data=""), None, name="m").training_data
        == "Trained with `fakescope train` on d."
    )


def test_run_files_are_read_next_to_the_model_and_bad_ones_are_refused(tmp_path):
    (tmp_path / "train_config.json").write_text(json.dumps({"arch": "small_cnn", "input_size": 32}))
    assert read_run_files(tmp_path / "best_model.keras") == (TrainRecord("small_cnn", 32), None)
    (tmp_path / "metrics.json").write_text("[1, 2]")
    with pytest.raises(ExportError, match="JSON object"):
        read_run_files(tmp_path / "best_model.keras")
    (tmp_path / "metrics.json").write_text(json.dumps({"threshold": 0.4}))
    with pytest.raises(ExportError, match="not a fakescope metrics file"):
        read_run_files(tmp_path / "best_model.keras")
    with pytest.raises(ExportError, match="does not exist"):
        read_run_files(tmp_path / "best_model.keras", tmp_path / "missing.json")


def test_source_date_epoch_pins_the_created_timestamp(run, tmp_path, monkeypatch):
    model_path, _, _ = run
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = export_model(model_path, tmp_path / "a.onnx")["fp32"]
    second = export_model(model_path, tmp_path / "b.onnx", name="a")["fp32"]
    assert first.card.created == "2023-11-14T22:13:20+00:00"
    assert first.path.read_bytes() == second.path.read_bytes()


def assert_refused(model: onnx.ModelProto, path: Path, message: str) -> None:
    """`model`, saved at `path`, is refused by the Detector with a ModelCardError saying `message`."""
    onnx.save(model, path)
    with pytest.raises(ModelCardError, match=message):
        Detector(path)
