"""Training on whole photos with `--face-crop`: the runtime's face front-end cuts the training inputs, the
exported card declares it, and `Detector` then serves exactly what the model was trained on."""

from __future__ import annotations

import numpy as np
import pytest
from image_factory import encode
from PIL import Image

from fakescope.export.pipeline import export_model
from fakescope.runtime import Detector
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.preprocess import model_view_to_tensor
from fakescope.train.datasets import load_tensor
from fakescope.train.run_config import TrainConfig
from fakescope.train.training import train

skdata = pytest.importorskip("skimage.data")
pytestmark = pytest.mark.slow
MARGIN = 0.1


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Face photos in the 140k layout: the astronaut's head at a random spot, tinted by class."""
    head = skdata.astronaut()[20:240, 120:330]
    root = tmp_path_factory.mktemp("photos")
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("valid", 3), ("test", 3)):
        for label, tint in (("real", (1.0, 1.0, 1.0)), ("fake", (1.15, 0.9, 0.9))):
            folder = root / split / label
            folder.mkdir(parents=True)
            for i in range(count):
                canvas = np.full((320, 420, 3), rng.integers(60, 200, 3), np.uint8)
                x, y = rng.integers(0, 420 - 210), rng.integers(0, 320 - 220)
                canvas[y : y + 220, x : x + 210] = np.clip(head * np.array(tint), 0, 255).astype(np.uint8)
                (folder / f"{i}.png").write_bytes(encode(canvas, "PNG"))
    return root


@pytest.fixture(scope="module")
def exported(photos, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    config = TrainConfig(
        input_size=32,
        greyscale=True,
        epochs=1,
        fine_tune_epochs=0,
        batch_size=4,
        augment=None,
        face_crop_margin=MARGIN,
    )
    result = train(photos, out, config, verbose=0)
    onnx_path = out / "model.onnx"
    export_model(result.best_model, onnx_path)
    return result, onnx_path


def test_training_inputs_are_the_face_views_the_runtime_cuts(photos, exported):
    _, onnx_path = exported
    detector = Detector(onnx_path)
    path = next((photos / "test" / "real").glob("*.png"))
    result = detector.predict(path)
    assert result.face is not None
    tensor = load_tensor(path, detector.spec, face_crop=detector.card.face_crop)
    np.testing.assert_array_equal(tensor, model_view_to_tensor(result.view, detector.spec))
    plain = load_tensor(path, detector.spec)
    assert not np.array_equal(tensor, plain)  # a centre crop of the photo would be another input


def test_the_card_declares_the_front_end_and_serving_matches_keras(photos, exported):
    import keras

    result, onnx_path = exported
    card = Detector(onnx_path).card
    assert card.face_crop == FaceCrop(enabled=True, margin=MARGIN, align=False)
    model = keras.models.load_model(result.best_model, compile=False)
    detector = Detector(onnx_path)
    paths = sorted((photos / "test").rglob("*.png"))
    batch = np.stack([load_tensor(p, detector.spec, face_crop=card.face_crop) for p in paths])
    expected = np.asarray(model(batch, training=False))[:, 0]
    np.testing.assert_allclose([detector.predict(p).prob_fake for p in paths], expected, atol=1e-5)
    assert Image.open(paths[0]).size == (420, 320)
