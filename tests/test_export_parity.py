"""Every architecture exports to ONNX whose prob_fake matches Keras and whose in-graph CAM matches an
independent tf.GradientTape Grad-CAM."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from support.export_runs import contract_model

from fakescope.export.card import check_onnx
from fakescope.export.convert import convert
from fakescope.export.errors import ToleranceError
from fakescope.export.reference import keras_reference
from fakescope.export.samples import generated_batch
from fakescope.export.spec import DEFAULT_SPEC
from fakescope.export.validate import run_onnx, validate
from fakescope.runtime.preprocess import InputSpec

SIZES = {"small_cnn": 32, "mobilenet_v2": 64, "efficientnet_b0": 64}


@pytest.fixture(scope="module")
def small_cnn():
    model = contract_model("small_cnn", 32)
    return model, convert(model)


@pytest.mark.parametrize(
    "arch",
    [
        "small_cnn",
        pytest.param("mobilenet_v2", marks=pytest.mark.slow),
        pytest.param("efficientnet_b0", marks=pytest.mark.slow),
    ],
)
def test_every_architecture_matches_keras_prob_and_gradient_tape_cam(arch):
    from fakescope.train.models import ARCHITECTURES

    assert set(SIZES) == set(ARCHITECTURES)
    size = SIZES[arch]
    model = contract_model(arch, size)
    batch = generated_batch(InputSpec(size, size), 8, seed=1)
    reference = keras_reference(model, batch)
    # The head is non-trivial: probabilities spread, and each CAM batch has positive and zero regions.
    assert reference["prob_fake"].std() > 0.05
    assert 0.1 < (reference["cam"] > 0).mean() < 0.9
    onnx_model = convert(model)
    check_onnx(onnx_model)
    report = validate(onnx_model, reference, batch, DEFAULT_SPEC.tolerance("fp32"))
    _, height, width, channels = model.get_layer("last_conv").output.shape
    assert report.ok
    maps = [(8, height, width)] * 5
    assert [c.actual_shape for c in report.checks] == [(8, 1), (8, 1), *maps, (8, height, width, channels)]
    assert report.differences()["prob_fake"] <= 1e-5
    assert max(v for k, v in report.differences().items() if k.startswith("cam")) <= 1e-4


def test_gradient_tape_reference_equals_the_closed_form_cam(small_cnn):
    import keras

    model, _ = small_cnn
    batch = generated_batch(InputSpec(32, 32), 4, seed=2)
    features = np.asarray(keras.Model(model.inputs[0], model.get_layer("last_conv").output)(batch))
    kernel = model.get_layer("logit").get_weights()[0][:, 0]
    closed_form = np.maximum(features @ kernel, 0) / (features.shape[1] * features.shape[2])
    np.testing.assert_allclose(keras_reference(model, batch)["cam"], closed_form, rtol=1e-4, atol=1e-6)


def test_graph_takes_nhwc_and_runs_convolutions_behind_a_single_transpose(small_cnn):
    _, onnx_model = small_cnn
    transposes = [n for n in onnx_model.graph.node if n.op_type == "Transpose"]
    # The other one gives the `features` output its NHWC layout; nothing reads it back.
    assert len(transposes) == 2 and list(transposes[0].input) == ["image"]
    assert list(transposes[1].output) == ["features"]
    dims = onnx_model.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["N", 32, 32, 3]


def test_batch_dimension_is_dynamic(small_cnn):
    _, onnx_model = small_cnn
    for n in (1, 5):
        outputs = run_onnx(onnx_model, generated_batch(InputSpec(32, 32), n))
        assert outputs["prob_fake"].shape == (n, 1) and outputs["cam"].shape == (n, 8, 8)
    assert {o.type.tensor_type.shape.dim[0].dim_param for o in onnx_model.graph.output} == {"N"}


def test_exporting_twice_gives_identical_bytes(small_cnn):
    model, onnx_model = small_cnn
    assert convert(model).SerializeToString() == onnx_model.SerializeToString()


def test_validation_fails_loudly_on_a_wrong_cam(small_cnn):
    model, onnx_model = small_cnn
    broken = onnx.ModelProto()
    broken.CopyFrom(onnx_model)
    last = next(n for n in broken.graph.node if "cam" in n.output)
    last.output[:] = ["cam_before_scale"]
    scale = onnx.numpy_helper.from_array(np.array(1.001, np.float32), "wrong_scale")
    broken.graph.initializer.append(scale)
    broken.graph.node.append(onnx.helper.make_node("Mul", ["cam_before_scale", "wrong_scale"], ["cam"]))
    batch = generated_batch(InputSpec(32, 32), 4)
    with pytest.raises(ToleranceError) as caught:
        validate(broken, keras_reference(model, batch), batch, DEFAULT_SPEC.tolerance("fp32"))
    message = str(caught.value)
    assert "x cam " in message and "✓ prob_fake" in message and "✓ logit" in message
    assert "✓ cam_layercam" in message
