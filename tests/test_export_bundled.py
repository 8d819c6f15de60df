"""The bundled demo model that `make model` builds: `Detector()` loads it, its card is honest, and it gives
the same prob_fake as the Keras model it was exported from."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.data.layout import iter_images
from fakescope.export.samples import generated_batch
from fakescope.runtime import Detector, preprocess
from fakescope.runtime.models import models_dir

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


def test_bundled_int8_model_records_its_metric_change():
    card = Detector(INT8).card
    assert card.precision == "int8" and "roc_auc_change" in card.metrics_quantized


def test_bundled_model_matches_its_keras_source_on_sample_and_generated_images():
    import keras

    detector = Detector()
    spec = detector.spec
    samples = list(iter_images(MODELS / "samples", recursive=False)) if (MODELS / "samples").is_dir() else []
    generated = [np.rint(x * 255).astype(np.uint8) for x in generated_batch(spec, 6, seed=3)]
    images = [*samples, *generated]
    batch = np.stack([preprocess(image, spec) for image in images])
    expected = np.asarray(keras.models.load_model(SOURCE, compile=False)(batch, training=False))[:, 0]
    got = [detector.predict(image).prob_fake for image in images]
    np.testing.assert_allclose(got, expected, atol=1e-5)
