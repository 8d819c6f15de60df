"""Model card round trip and the graph hash that seals it."""

from __future__ import annotations

import hashlib
import json

import onnx
import pytest
from onnx_fixtures import tiny_card, tiny_model

from fakescope.export.card_io import read_card, seal_model
from fakescope.runtime import ModelCard, ModelCardError
from fakescope.runtime.integrity import ProtobufError, graph_sha256


def test_card_round_trips_through_json():
    card = tiny_card(size=48, greyscale=True, threshold=0.3)
    assert ModelCard.from_json(card.to_json()) == card
    assert card.input_spec.size == (48, 48) and card.input_spec.greyscale


def test_graph_hash_equals_the_hash_of_the_model_without_metadata():
    sealed = onnx.load_from_string(seal_model(tiny_model(), tiny_card()))
    stripped = onnx.ModelProto()
    stripped.CopyFrom(sealed)
    del stripped.metadata_props[:]
    expected = hashlib.sha256(stripped.SerializeToString()).hexdigest()
    assert graph_sha256(sealed.SerializeToString()) == expected
    assert read_card(sealed).graph_sha256 == expected


def test_graph_hash_ignores_metadata_but_not_weights():
    model = tiny_model()
    base = graph_sha256(model.SerializeToString())
    onnx.helper.set_model_props(model, {"note": "anything"})
    assert graph_sha256(model.SerializeToString()) == base
    model.graph.initializer[0].raw_data = b"\x00" + model.graph.initializer[0].raw_data[1:]
    assert graph_sha256(model.SerializeToString()) != base


def test_graph_hash_rejects_malformed_bytes():
    with pytest.raises(ProtobufError):
        graph_sha256(b"\x0a\xff\xff\xff\xff\x0f")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unknown": 1}, "unknown keys"),
        ({"threshold": 1.5}, "threshold"),
        ({"input_height": "160"}, "wrong type"),
        ({"schema_version": 99}, "schema"),
        ({"class_names": ["FAKE", "REAL"]}, "class names"),
        ({"value_range": ["a", "b"]}, "value_range"),
        ({"value_range": [0, 1, 2]}, "value_range"),
        ({"face_crop": {"enabled": True, "margin": None}}, "margin"),
        ({"face_crop": {"enabled": True, "margin": -5}}, "margin"),
        ({"face_crop": {"enabled": True, "margin": "x"}}, "margin"),
        ({"face_crop": {"enabled": "yes"}}, "enabled"),
        ({"face_crop": {"enabled": True, "pad": 1}}, "unknown keys"),
    ],
)
def test_invalid_cards_are_refused(change, message):
    data = json.loads(tiny_card().to_json()) | change
    with pytest.raises(ModelCardError, match=message):
        ModelCard.from_json(json.dumps(data))


def test_missing_fields_and_bad_json_are_refused():
    data = json.loads(tiny_card().to_json())
    del data["architecture"]
    with pytest.raises(ModelCardError, match="missing"):
        ModelCard.from_json(json.dumps(data))
    with pytest.raises(ModelCardError, match="JSON"):
        ModelCard.from_json("{not json")
