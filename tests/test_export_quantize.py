"""INT8 (static QDQ, per-channel, calibrated through the runtime's preprocessing) and FP16 exports are
validated against the FP32 model, scored, and sealed with cards that record the metric change."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from sklearn.metrics import roc_auc_score
from support.export_runs import save_run, write_dataset

from fakescope.data.layout import discover
from fakescope.export.errors import QuantizationError
from fakescope.export.evaluate_onnx import evaluate_onnx
from fakescope.export.pipeline import export_model
from fakescope.export.quantize import ImageCalibrationReader, QuantizeConfig
from fakescope.export.samples import image_paths
from fakescope.runtime import Detector, InputSpec, preprocess
from fakescope.train.datasets import TRAINING_LIMITS

GREY32 = InputSpec(32, 32, greyscale=True)
HEAD_OPS = {
    "GlobalAveragePool",
    "Squeeze",
    "Gemm",
    "MatMul",
    "Add",
    "Sigmoid",
    "Conv",
    "Relu",
    "Mul",
    "Identity",
    "Transpose",
    "Slice",
    "Unsqueeze",
    "Neg",
    "Div",
    "ReduceSum",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("quant")
    data = write_dataset(root / "data")
    model = save_run(root / "run")
    result = export_model(model, root / "out" / "model.onnx", int8=True, fp16=True, calib=data)
    return result, data


def _producers(model: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in model.graph.node for out in node.output}


def test_int8_model_is_static_qdq_with_per_channel_weights_and_a_float_head(exported):
    result, _ = exported
    model = onnx.load(result["int8"].path)
    producers = _producers(model)
    gap = next(n for n in model.graph.node if n.op_type == "GlobalAveragePool")
    assert producers[gap.input[0]].op_type == "DequantizeLinear"
    features = gap.input[0]
    head, frontier = set(), [features]
    while frontier:
        name = frontier.pop()
        for node in model.graph.node:
            if name in node.input and node.name not in head:
                head.add(node.name)
                frontier.extend(node.output)
    head_nodes = [n for n in model.graph.node if n.name in head]
    assert {n.op_type for n in head_nodes} <= HEAD_OPS
    initializers = {t.name: t for t in model.graph.initializer}
    backbone_convs = [n for n in model.graph.node if n.op_type == "Conv" and n.name not in head]
    assert len(backbone_convs) >= 3
    for conv in backbone_convs:
        weight = producers[conv.input[1]]
        assert weight.op_type == "DequantizeLinear"
        scale = initializers[weight.input[1]]
        out_channels = initializers[weight.input[0]].dims[0]
        assert list(scale.dims) == [out_channels] and out_channels > 1  # one scale per output channel
        assert initializers[weight.input[0]].data_type == onnx.TensorProto.INT8
    assert all(producers.get(i, conv).op_type != "QuantizeLinear" for n in head_nodes for i in n.input[1:])


def test_quantised_models_pass_validation_against_fp32_and_are_smaller(exported):
    result, _ = exported
    fp32 = result["fp32"]
    for precision in ("int8", "fp16"):
        variant = result[precision]
        assert variant.report.ok and variant.report.against == "fp32 onnx"
        assert variant.size_bytes < 0.6 * fp32.size_bytes
        assert variant.card.precision == precision and variant.path.name == f"model-{precision}.onnx"
        assert Detector(variant.path).card == variant.card


def test_fp16_model_stores_half_weights_behind_float32_io(exported):
    result, _ = exported
    model = onnx.load(result["fp16"].path)
    floats = [t.data_type for t in model.graph.initializer if t.data_type in (1, 10)]
    assert floats and set(floats) == {onnx.TensorProto.FLOAT16}
    io = [v.type.tensor_type.elem_type for v in (*model.graph.input, *model.graph.output)]
    assert set(io) == {onnx.TensorProto.FLOAT}


def test_quantised_cards_record_the_test_metrics_and_their_change(exported):
    result, data = exported
    card = result["int8"].card
    measured = evaluate_onnx(result["int8"].path, data)
    fp32 = evaluate_onnx(result["fp32"].path, data)
    change = card.metrics_quantized
    assert change["roc_auc"] == pytest.approx(measured["roc_auc"])
    assert change["fp32_roc_auc"] == pytest.approx(fp32["roc_auc"])
    assert change["roc_auc_change"] == pytest.approx(measured["roc_auc"] - fp32["roc_auc"])
    assert change["accuracy_change"] == pytest.approx(measured["accuracy"] - fp32["accuracy"])
    assert result["fp32"].card.metrics_quantized == {}


def test_evaluate_onnx_matches_an_independent_onnxruntime_scoring(exported):
    result, data = exported
    records = [r for r in discover(data) if r.split == "test"]
    batch = np.stack([preprocess(r.path, GREY32, TRAINING_LIMITS) for r in records])
    session = ort.InferenceSession(str(result["int8"].path), providers=["CPUExecutionProvider"])
    probs = session.run(["prob_fake"], {"image": batch})[0][:, 0]
    labels = np.array([r.label for r in records])
    metrics = evaluate_onnx(result["int8"].path, data)
    assert metrics["n"] == len(records) and metrics["threshold"] == 0.4 and metrics["unreadable"] == 0
    assert metrics["roc_auc"] == pytest.approx(roc_auc_score(labels, probs), abs=1e-6)
    assert metrics["accuracy"] == pytest.approx(np.mean((probs >= 0.4) == labels), abs=1e-6)


def test_calibration_reader_yields_preprocessed_batches_then_none(tmp_path):
    paths = image_paths(write_dataset(tmp_path, per_class=5), 10)
    reader = ImageCalibrationReader(paths, GREY32, batch_size=4)
    batches = [reader.get_next() for _ in range(3)]
    assert reader.get_next() is None
    assert [b["image"].shape[0] for b in batches] == [4, 4, 2]
    expected = np.stack([preprocess(p, GREY32, TRAINING_LIMITS) for p in paths])
    np.testing.assert_array_equal(np.concatenate([b["image"] for b in batches]), expected)
    reader.rewind()
    np.testing.assert_array_equal(reader.get_next()["image"], expected[:4])


def test_an_empty_calibration_set_is_refused():
    with pytest.raises(QuantizationError, match="empty"):
        ImageCalibrationReader([], GREY32)


@pytest.mark.parametrize(
    "options",
    [
        {"activation_type": "int4"},
        {"quant_format": "qint"},
        {"quant_format": "qoperator", "activation_type": "int8"},
    ],
)
def test_invalid_quantisation_options_are_refused(options):
    with pytest.raises(QuantizationError):
        QuantizeConfig(**options)


def test_int8_without_calibration_images_is_refused_before_any_work(tmp_path):
    model = tmp_path / "model.keras"
    model.write_bytes(b"not read")
    with pytest.raises(QuantizationError, match="--calib"):
        export_model(model, tmp_path / "out.onnx", int8=True)
    assert not (tmp_path / "out.onnx").exists()
