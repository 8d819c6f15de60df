"""The seal over graph and card, the card's value ranges, and the refusal of external tensor data."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import external_data_helper, helper, numpy_helper
from onnx_fixtures import tiny_card, tiny_model

from fakescope.export.card_io import seal_model
from fakescope.runtime import Detector, ModelCard, ModelCardError, ModelError, default_model_path
from fakescope.runtime.errors import ModelSealError
from fakescope.runtime.integrity import external_tensors, metadata_entries, metadata_field, without_metadata
from fakescope.runtime.seal import SEAL_METADATA_KEY, open_sealed, seal_value
from fakescope.runtime.sessions import make_session
from fakescope.runtime.spec import CARD_METADATA_KEY


def _props(data: bytes) -> dict[str, str]:
    return {p.key: p.value for p in onnx.load_from_string(data).metadata_props}


def _with_props(data: bytes, props: dict[str, str]) -> bytes:
    model = onnx.load_from_string(data)
    helper.set_model_props(model, props)
    return model.SerializeToString()


def test_the_seal_is_the_hash_of_graph_and_card_text():
    data = seal_model(tiny_model(), tiny_card())
    props = _props(data)
    card = ModelCard.from_json(props[CARD_METADATA_KEY])
    assert props[SEAL_METADATA_KEY] == seal_value(card.graph_sha256, props[CARD_METADATA_KEY])
    sealed = open_sealed(data, "tiny.onnx")
    assert sealed.card == card and not sealed.signed
    assert repr(sealed).startswith("SealedModel('tiny-test' v0.0.1, sha256:")


@pytest.mark.parametrize(
    "edit",
    [
        {"threshold": 0.999999},
        {"name": "trusted-detector"},
        {"metrics": {"roc_auc": 0.999, "accuracy": 0.998}},
        {"limitations": "none"},
        {"value_range": [-1.0, 1.0]},
    ],
)
def test_an_edited_card_is_refused_by_the_seal(tmp_path, edit):
    data = seal_model(tiny_model(), tiny_card())
    props = _props(data)
    props[CARD_METADATA_KEY] = json.dumps(json.loads(props[CARD_METADATA_KEY]) | edit)
    path = tmp_path / "edited.onnx"
    path.write_bytes(_with_props(data, props))
    with pytest.raises(ModelSealError, match="graph or card does not match the seal"):
        Detector(path)


def test_a_card_and_seal_copied_from_another_model_are_refused(tmp_path):
    donor = _props(seal_model(tiny_model(seed=1), tiny_card(threshold=0.3)))
    path = tmp_path / "swapped.onnx"
    path.write_bytes(_with_props(seal_model(tiny_model(seed=0), tiny_card()), donor))
    with pytest.raises(ModelSealError, match="modified after export"):
        Detector(path)


def test_a_card_without_a_seal_and_repeated_entries_are_refused(tmp_path):
    data = seal_model(tiny_model(), tiny_card())
    path = tmp_path / "unsealed.onnx"
    path.write_bytes(without_metadata(data, {SEAL_METADATA_KEY}))
    with pytest.raises(ModelSealError, match="no seal"):
        Detector(path)
    card = _props(data)[CARD_METADATA_KEY]
    forged = card.replace('"threshold": 0.5', '"threshold": 0.01')
    path.write_bytes(data + metadata_field(CARD_METADATA_KEY, forged))  # a second card after the sealed one
    with pytest.raises(ModelCardError, match=r"two 'fakescope\.model_card' entries"):
        Detector(path)


def test_metadata_helpers_agree_with_onnx():
    data = seal_model(tiny_model(), tiny_card())
    appended = data + metadata_field("note", "héllo")
    parsed = onnx.load_from_string(appended)
    assert metadata_entries(appended) == [(p.key, p.value) for p in parsed.metadata_props]
    stripped = onnx.load_from_string(without_metadata(appended, {"note", SEAL_METADATA_KEY}))
    assert [p.key for p in stripped.metadata_props] == [CARD_METADATA_KEY]
    assert stripped.graph == parsed.graph


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value_range": [-1000, 1000]}, "value_range must be low < high"),
        ({"value_range": [1, 0]}, "value_range must be low < high"),
        ({"name": "x" * 101}, "name is 101 characters long"),
        ({"name": "evil\u001b[31m"}, "name holds control characters"),
        ({"name": " "}, "name must not be empty"),
        ({"limitations": ""}, "limitations must not be empty"),
        ({"metrics": {"roc_auc": 1.5}}, "metrics entry 'roc_auc' must be in \\[0, 1\\]"),
        ({"metrics": {"accuracy": float("nan")}}, "must be a finite number"),
        ({"metrics": {"n": -3}}, "must be a whole number >= 0"),
        ({"metrics": {"confusion": {"tp": 2.5}}}, "tp must be a whole number"),
        ({"metrics": {"scores": {"a": 1}}}, "must not be a table"),
        ({"metrics_quantized": {"roc_auc_change": -2}}, "must be in \\[-1, 1\\]"),
        ({"metrics_quantized": {"fp32_eer": 7}}, "must be in \\[0, 1\\]"),
        ({"input_height": 100000}, "input_height must be a whole number in"),
        ({"precision": "fp64"}, "precision must be one of"),
        ({"created": "yesterday"}, "created must be an ISO 8601 time"),
        ({"graph_sha256": "abc"}, "graph_sha256 must be 64 lowercase hex digits"),
        ({"versions": {"onnx": "1" * 65}}, "versions entry 'onnx'"),
    ],
)
def test_card_values_out_of_range_are_refused(change, message):
    data = json.loads(tiny_card().to_json()) | {"graph_sha256": "0" * 64} | change
    with pytest.raises(ModelCardError, match=message):
        ModelCard.from_json(json.dumps(data))


def test_the_bundled_models_are_sealed_and_their_cards_in_range():
    for path in (default_model_path(), default_model_path().with_name("fakescope-demo-int8.onnx")):
        sealed = Detector(path).sealed
        assert sealed.seal == seal_value(sealed.graph_sha256, sealed.card_text)


def test_external_weights_are_refused_even_when_their_file_is_there(tmp_path, monkeypatch):
    model = tiny_model()
    weights = next(t for t in model.graph.initializer if t.name == "conv_w")
    (tmp_path / "weights.bin").write_bytes(weights.raw_data)
    external_data_helper.set_external_data(weights, location="weights.bin", length=len(weights.raw_data))
    weights.ClearField("raw_data")
    weights.data_location = onnx.TensorProto.EXTERNAL
    sealed = seal_model(model, tiny_card())  # the graph hash covers the reference, not the weights
    (tmp_path / "sealed.onnx").write_bytes(sealed)
    assert external_tensors(sealed) == ["conv_w"]
    monkeypatch.chdir(tmp_path)  # onnxruntime would read weights.bin from here and run the model
    with pytest.raises(
        ModelError, match=r"keeps tensor data in other files \('conv_w'\).*external data is refused"
    ):
        Detector("sealed.onnx")
    with pytest.raises(ModelError, match="keeps tensor data in other files"):  # any session (e.g. BlazeFace)
        make_session(sealed, "face.onnx")


def test_external_tensors_are_found_in_subgraphs_and_constants():
    inner = numpy_helper.from_array(np.zeros(3, np.float32), "branch_const")
    inner.ClearField("raw_data")
    inner.data_location = onnx.TensorProto.EXTERNAL
    entry = inner.external_data.add()
    entry.key, entry.value = "location", "elsewhere.bin"
    branch = helper.make_graph(
        [helper.make_node("Constant", [], ["y"], value=inner)],
        "then",
        [],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3])],
    )
    model = tiny_model()
    model.graph.node.append(helper.make_node("If", ["cond"], ["z"], then_branch=branch, else_branch=branch))
    assert external_tensors(model.SerializeToString()) == ["branch_const", "branch_const"]
    assert external_tensors(tiny_model().SerializeToString()) == []
