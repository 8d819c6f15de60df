"""FaceCrop: the one face front-end settings type, from the training run through the card to the runtime."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from onnx_fixtures import tiny_card, write_tiny_model

from fakescope.runtime import Detector
from fakescope.runtime.card import ModelCard
from fakescope.runtime.errors import ModelCardError
from fakescope.runtime.face_crop import DEFAULT_MARGIN, FaceCrop, crop_face, crop_transform, face_crop_box
from fakescope.runtime.framing import frame


def test_a_missing_entry_means_the_same_defaults_everywhere():
    assert FaceCrop.from_dict({}) == FaceCrop() == FaceCrop(enabled=False, margin=DEFAULT_MARGIN, align=False)
    assert FaceCrop.from_dict({"enabled": True}).margin == DEFAULT_MARGIN == 0.3
    for function in (face_crop_box, crop_face, crop_transform):
        assert inspect.signature(function).parameters["margin"].default == DEFAULT_MARGIN
    assert ModelCard.from_json(_card_json({})).face_crop == FaceCrop()


def test_settings_are_frozen_and_survive_the_card_round_trip():
    settings = FaceCrop(enabled=True, margin=0.12, align=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.margin = 0.5
    card = tiny_card(face_crop=settings)
    assert ModelCard.from_json(card.to_json()).face_crop == settings
    assert FaceCrop.from_dict(settings.as_dict()) == settings


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"margin": -1}, "margin"),
        ({"margin": True}, "margin"),
        ({"margin": float("nan")}, "margin"),
        ({"align": 1}, "align"),
        ({"enabled": True, "pad": 2}, "unknown keys: pad"),
    ],
)
def test_bad_settings_are_refused_in_the_card_with_one_line(entry, message):
    with pytest.raises(ValueError, match=message):
        FaceCrop.from_dict(entry)
    with pytest.raises(ModelCardError, match=message):
        ModelCard.from_json(_card_json(entry))


def test_the_detector_crops_as_its_card_declares_and_can_turn_faces_off(tmp_path):
    settings = FaceCrop(enabled=True, margin=0.09, align=True)
    detector = Detector(write_tiny_model(tmp_path / "f.onnx", face_crop=settings))
    assert detector.face_crop == settings and detector.face_finder is not None
    plain = Detector(detector.model_path, face_crop=False)
    assert plain.face_crop == dataclasses.replace(settings, enabled=False) and plain.face_finder is None
    assert inspect.signature(frame).parameters["crop"].default is None  # None: FaceCrop()


def _card_json(face_crop: dict) -> str:
    import json

    data = json.loads(tiny_card().to_json())
    data["face_crop"] = face_crop
    data["graph_sha256"] = "0" * 64
    return json.dumps(data)
