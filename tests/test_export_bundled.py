"""The bundled demo model that `make model` builds: `Detector()` loads it, its card is honest, and it gives
the same prob_fake as the Keras model it was exported from."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.data.layout import iter_images
from fakescope.export.samples import generated_batch
from fakescope.runtime import Detector, preprocess
from fakescope.runtime.models import models_dir
from fakescope.runtime.preprocess import model_view_to_tensor

MODELS = models_dir()
BUNDLED, INT8, SOURCE = (MODELS / f"fakescope-demo{s}" for s in (".onnx", "-int8.onnx", ".keras"))

pytestmark = pytest.mark.skipif(
    not (BUNDLED.is_file() and INT8.is_file() and SOURCE.is_file()),
    reason="the bundled demo model is not built yet: run `make model`",
)


def test_default_detector_loads_the_bundled_model_with_an_honest_card():
    detector = Detector()
    card = detector.card
    assert detector.model_path.name == BUNDLED.name and card.precision == "fp32"
    assert (card.input_height, card.input_width, card.greyscale) == (32, 32, True)
    assert "not a real-world deepfake detector" in card.limitations
    assert card.metrics and BUNDLED.stat().st_size < 5_000_000


def test_the_bundled_card_carries_its_calibration_and_says_it_is_rough():
    for path in (BUNDLED, INT8):
        card = Detector(path).card
        assert card.temperature != 1.0 and card.conformal and card.ood["threshold"] > 0
        assert card.intervals["n_real"] == 15 and card.intervals["n_fake"] == 75
        assert any("fewer than 50 per class" in warning for warning in card.warnings)
        assert {"jpeg50", "jpeg75", "blur1", "half", "png"} <= set(card.robustness)


def test_bundled_int8_model_records_its_metric_change():
    card = Detector(INT8).card
    assert card.precision == "int8" and "roc_auc_change" in card.metrics_quantized


def test_bundled_model_matches_its_keras_source_on_sample_and_generated_images():
    import keras

    source = keras.models.load_model(SOURCE, compile=False)
    logit_of = keras.Model(source.inputs[0], source.get_layer("logit").output)
    samples = list(iter_images(MODELS / "samples", recursive=False)) if (MODELS / "samples").is_dir() else []
    assert len(samples) >= 2
    for face_crop in (None, False):  # as the card declares (face front-end on), and centre crops only
        detector = Detector(face_crop=face_crop)
        spec = detector.spec
        generated = [np.rint(x * 255).astype(np.uint8) for x in generated_batch(spec, 6, seed=3)]
        results = [detector.predict(image) for image in [*samples, *generated]]
        batch = np.stack([model_view_to_tensor(result.view, spec) for result in results])
        logits = np.asarray(logit_of(batch, training=False), np.float64)[:, 0]
        np.testing.assert_allclose([r.evidence.logit for r in results], logits, rtol=1e-4, atol=1e-4)
        # The card's temperature is applied to the logit before any threshold.
        expected = 1 / (1 + np.exp(-logits / detector.card.temperature))
        np.testing.assert_allclose([r.prob_fake for r in results], expected, atol=1e-5)
    plain = [preprocess(image, spec) for image in samples]
    np.testing.assert_array_equal(np.stack(plain), batch[: len(samples)])


def test_sample_images_get_their_class():
    detector = Detector()
    for path in iter_images(MODELS / "samples", recursive=False):
        expected = "REAL" if path.name.startswith("real") else "FAKE"
        assert detector.predict(path).label == expected, path.name
