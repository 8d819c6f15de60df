"""Only the head whose Grad-CAM the graph computes exactly (last_conv → gap → dropout → logit → prob_fake) is
exported; anything else is refused with a message naming what differs."""

from __future__ import annotations

import re

import keras
import pytest
from keras import layers

from fakescope.export.errors import UnsupportedHeadError
from fakescope.export.head import check_head
from fakescope.export.pipeline import export_model


def _model(
    *, pool=None, logit=None, prob=None, order="standard", extra_output=False, dtype="float32"
) -> keras.Model:
    inputs = keras.Input((16, 16, 3), name="image", dtype=dtype)
    features = layers.Conv2D(4, 3, padding="same", activation="relu", name="last_conv")(inputs)
    pool = pool or layers.GlobalAveragePooling2D(name="gap")
    dropout = layers.Dropout(0.2, name="dropout")
    # "dropout_first": dropout on the feature map, pooling after it.
    x = dropout(pool(features)) if order == "standard" else pool(dropout(features))
    logit_out = (logit or layers.Dense(1, name="logit"))(x)
    out = (prob or layers.Activation("sigmoid", name="prob_fake"))(logit_out)
    if extra_output:
        return keras.Model(inputs, [out, logit_out])
    return keras.Model(inputs, out)


def test_the_contract_head_is_accepted():
    head = check_head(_model())
    assert head.input_shape == (16, 16, 3) and head.feature_shape == (16, 16, 4)
    assert head.kernel.shape == (4, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: _model(pool=layers.GlobalMaxPooling2D(name="gap")),
            "GlobalMaxPooling2D, expected GlobalAverage",
        ),
        (lambda: _model(pool=layers.Flatten(name="flatten")), "no layer named 'gap'"),
        (lambda: _model(pool=layers.GlobalAveragePooling2D(name="gap", keepdims=True)), "without keepdims"),
        (lambda: _model(logit=layers.Dense(2, name="logit")), "Dense(1)"),
        (lambda: _model(logit=layers.Dense(1, activation="relu", name="logit")), "linear activation"),
        (lambda: _model(prob=layers.Activation("relu", name="prob_fake")), "sigmoid"),
        (lambda: _model(prob=layers.Dense(1, activation="sigmoid", name="prob_fake")), "expected Activation"),
        (lambda: _model(order="dropout_first"), "on the output of 'last_conv'"),
        (lambda: _model(extra_output=True), "1 output"),
        (lambda: _model(dtype="uint8"), "float32 image input; got uint8"),
    ],
)
def test_other_heads_are_refused_with_what_differs(build, message):
    with pytest.raises(UnsupportedHeadError, match=re.escape(message)):
        check_head(build())


def test_a_sequential_model_is_refused():
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(2, 3, name="last_conv")])
    with pytest.raises(UnsupportedHeadError, match="functional"):
        check_head(model)


def test_an_extra_layer_after_the_sigmoid_is_refused():
    base = _model()
    out = layers.Activation("linear", name="after")(base.output)
    with pytest.raises(UnsupportedHeadError, match="output must be the 'prob_fake'"):
        check_head(keras.Model(base.inputs, out))


def test_export_refuses_before_writing_anything(tmp_path):
    path = tmp_path / "model.keras"
    _model(pool=layers.GlobalMaxPooling2D(name="gap")).save(path)
    with pytest.raises(UnsupportedHeadError):
        export_model(path, tmp_path / "out.onnx")
    assert not (tmp_path / "out.onnx").exists()
