"""Model builders: the functional contract the exporter relies on, sizes, seeds and the ImageNet fallback."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from fakescope.train.models import ARCHITECTURES, backbone_layers, build_model

SIZES = {"small_cnn": 32, "mobilenet_v2": 32, "efficientnet_b0": 32}


@pytest.fixture(scope="module", params=ARCHITECTURES)
def model(request):
    return build_model(request.param, SIZES[request.param], seed=0)


def test_models_are_functional_with_the_named_head(model):
    assert isinstance(model, keras.Model) and not isinstance(model, keras.Sequential)
    assert model.layers[0].name == "image" and model.input.name == "image"
    assert model.input_shape == (None, 32, 32, 3)
    assert model.output_shape == (None, 1)
    assert len(model.get_layer("last_conv").output.shape) == 4
    assert model.get_layer("gap").input is model.get_layer("last_conv").output
    assert model.get_layer("logit").get_config()["activation"] == "linear"
    assert model.get_layer("logit").units == 1
    assert model.get_layer("prob_fake").get_config()["activation"] == "sigmoid"
    assert model.outputs[0] is model.get_layer("prob_fake").output


def test_output_is_the_sigmoid_of_the_logit_of_the_pooled_feature_map(model):
    x = np.random.default_rng(1).random((2, 32, 32, 3), dtype=np.float32)
    probe = keras.Model(
        model.input, [model.get_layer("last_conv").output, model.get_layer("logit").output, model.output]
    )
    features, logit, prob = (np.asarray(t, dtype=np.float64) for t in probe(x, training=False))
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in model.get_layer("logit").get_weights())
    expected_logit = features.mean(axis=(1, 2)) @ kernel + bias
    np.testing.assert_allclose(logit, expected_logit, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(prob, 1 / (1 + np.exp(-expected_logit)), rtol=1e-4, atol=1e-6)


def test_gradcam_weights_of_the_head_are_the_dense_kernel_over_the_map_area(model):
    """d logit / d A[i, j, k] = w_k / (h w) everywhere: what lets the export compute Grad-CAM in the graph."""
    x = tf.constant(np.random.default_rng(2).random((1, 32, 32, 3), dtype=np.float32))
    cam_layer = model.get_layer("last_conv")
    head_input = keras.Input(cam_layer.output.shape[1:])
    y = head_input
    for name in ("gap", "dropout", "logit"):
        y = model.get_layer(name)(y)
    head = keras.Model(head_input, y)
    features = keras.Model(model.input, cam_layer.output)(x, training=False)
    with tf.GradientTape() as tape:
        tape.watch(features)
        logit = head(features, training=False)
    grads = tape.gradient(logit, features).numpy()[0]
    h, w, _ = grads.shape
    kernel = model.get_layer("logit").get_weights()[0][:, 0]
    np.testing.assert_allclose(grads, np.broadcast_to(kernel / (h * w), grads.shape), rtol=1e-5, atol=1e-9)


def test_small_cnn_is_small_and_has_an_8x8_map_at_32_px():
    model = build_model("small_cnn", 32)
    assert model.get_layer("last_conv").output.shape[1:3] == (8, 8)
    weight_bytes = sum(np.asarray(w).nbytes for w in model.weights)
    assert weight_bytes < 1_000_000
    assert backbone_layers(model) == []


def test_transfer_models_have_a_backbone_and_scale_inside_the_model():
    model = build_model("mobilenet_v2", 32)
    names = {layer.name for layer in backbone_layers(model)}
    assert "Conv1" in names and "gap" not in names and "logit" not in names
    scale = model.get_layer("scale")
    np.testing.assert_allclose(np.asarray(scale(np.array([[0.0, 0.5, 1.0]], np.float32))), [[-1.0, 0.0, 1.0]])


def test_same_seed_same_weights_other_seed_other_weights():
    first = build_model("small_cnn", 32, seed=5).get_weights()
    again = build_model("small_cnn", 32, seed=5).get_weights()
    other = build_model("small_cnn", 32, seed=6).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_imagenet_weights_fall_back_to_random_init_with_a_warning_when_unavailable(monkeypatch):
    import keras.src.applications.mobilenet_v2 as mobilenet_v2

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(mobilenet_v2.file_utils, "get_file", offline)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = build_model("mobilenet_v2", 32, weights="imagenet")
    messages = [str(w.message) for w in caught]
    assert any(
        "falling back to random initialisation" in m and "network is unreachable" in m for m in messages
    )
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"arch": "resnet"}, "arch"),
        ({"arch": "small_cnn", "input_size": 16}, "input_size"),
        ({"arch": "small_cnn", "dropout": 1.0}, "dropout"),
        ({"arch": "small_cnn", "weights": "imagenet"}, "pretrained"),
        ({"arch": "mobilenet_v2", "weights": "laion"}, "weights"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(**kwargs)
