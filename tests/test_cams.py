"""The CAM family: every in-graph closed form equals its method's definition computed with tf.GradientTape
(or, for Ablation-CAM, by actually zeroing channels in Keras), the forward-only methods equal their plain
definitions, on small trained models of every architecture; and the maps fail Adebayo et al.'s randomisation
check only where the method is known to (Eigen-CAM is class-agnostic)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from cam_support import SIZES, ablation_drops, by_max, patch_task, tape_parts, trained_model
from PIL import Image

from fakescope.export.convert import convert
from fakescope.export.validate import run_onnx
from fakescope.runtime.explain import CamInputs, cam_method, method_names
from fakescope.runtime.spec import INPUT_IMAGE, OUTPUT_FEATURES, OUTPUT_LOGIT

ARCHS = [
    "small_cnn",
    pytest.param("mobilenet_v2", marks=pytest.mark.slow),
    pytest.param("efficientnet_b0", marks=pytest.mark.slow),
]


class Exported:
    """A trained model, its ONNX graph, a batch and every graph output on it."""

    def __init__(self, arch: str) -> None:
        self.model = trained_model(arch)
        self.onnx = convert(self.model).SerializeToString()
        self.batch, _ = patch_task(SIZES[arch], 6, seed=5)
        self.outputs = run_onnx(self.onnx, self.batch)
        self.session = ort.InferenceSession(self.onnx, providers=["CPUExecutionProvider"])

    def logits(self, batch: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT_LOGIT], {INPUT_IMAGE: batch.astype(np.float32)})[0][:, 0]

    def inputs(self) -> CamInputs:
        return CamInputs(self.batch, self.outputs, self.logits)


@pytest.fixture(scope="module")
def exported(request):
    cache = {}

    def get(arch):
        if arch not in cache:
            cache[arch] = Exported(arch)
        return cache[arch]

    return get


def test_the_family_is_registered_by_name():
    assert set(method_names()) == {
        "gradcam",
        "gradcam++",
        "layercam",
        "ablationcam",
        "scorecam",
        "eigencam",
        "realcam",
    }
    with pytest.raises(ValueError, match="unknown CAM method 'hirescam'; choose from gradcam"):
        cam_method("hirescam")
    with pytest.raises(ValueError, match="top_k"):
        cam_method("scorecam", top_k=0)


@pytest.mark.parametrize("arch", ARCHS)
def test_closed_forms_equal_their_gradient_tape_definitions(exported, arch):
    e = exported(arch)
    a, g, y = tape_parts(e.model, e.batch)
    assert np.ptp(y) > 1e-3  # the trained logits differ between images
    alpha = g.mean(axis=(1, 2), keepdims=True)
    gradcam = np.maximum((alpha * a).sum(-1), 0)
    hirescam = np.maximum((g * a).sum(-1), 0)
    live = a.sum(axis=(1, 2), keepdims=True) != 0  # XGrad-CAM's weight of a dead channel is 0/0
    xgradcam_alpha = (g * a).sum(axis=(1, 2), keepdims=True) / np.where(
        live, a.sum(axis=(1, 2), keepdims=True), 1
    )
    realcam = np.maximum((-alpha * a).sum(-1), 0)
    layercam = np.maximum((np.maximum(g, 0) * a).sum(-1), 0)
    # Grad-CAM++ as Chattopadhyay et al. write it with the exponential score, from the gradient alone.
    g2, g3 = g**2, g**3
    denominator = 2 * g2 + a.sum(axis=(1, 2), keepdims=True) * g3
    coefficients = np.where(g != 0, g2 / np.where(denominator != 0, denominator, 1), 0)
    weights = (coefficients * np.maximum(g, 0)).sum(axis=(1, 2), keepdims=True)
    plusplus = np.maximum((weights * a).sum(-1), 0)
    scale = max(gradcam.max(), realcam.max())
    for name, expected in (("cam", gradcam), ("cam_realcam", realcam), ("cam_layercam", layercam)):
        np.testing.assert_allclose(e.outputs[name], expected, atol=1e-4 * scale, err_msg=name)
    np.testing.assert_allclose(hirescam, gradcam, atol=1e-6 * scale)  # they coincide for this head
    np.testing.assert_allclose(xgradcam_alpha[live], alpha[live], rtol=1e-4, atol=1e-9)
    np.testing.assert_allclose(e.outputs["cam_gradcampp"], plusplus, atol=1e-4 * plusplus.max())
    assert gradcam.max() > 0 and realcam.max() > 0


@pytest.mark.parametrize("arch", ARCHS)
def test_ablation_cam_equals_zeroing_each_channel_in_keras(exported, arch):
    e = exported(arch)
    a, _, y = tape_parts(e.model, e.batch)
    drops = ablation_drops(e.model, a)
    expected = np.maximum(np.einsum("nhwk,nk->nhw", a, drops), 0) / (a.shape[1] * a.shape[2])
    np.testing.assert_allclose(e.outputs["cam_ablationcam"], expected, atol=1e-4 * expected.max())
    # The paper's weights (y - y_k) / y give the same normalised map wherever the image leans FAKE (y > 0).
    paper = np.maximum(np.einsum("nhwk,nk->nhw", a, drops / y[:, None]), 0)
    fake = y > 0
    np.testing.assert_allclose(by_max(paper[fake]), by_max(expected[fake]), atol=1e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_every_method_returns_float32_maps_in_unit_range(exported, arch):
    e = exported(arch)
    size = SIZES[arch]
    for name in method_names():
        maps = cam_method(name)(e.inputs())
        assert maps.dtype == np.float32 and maps.shape == (6, size, size), name
        assert maps.min() >= 0.0 and maps.max() <= 1.0, name
        # Each map is min-max normalised, or all zero where the method sees no evidence at all.
        peaks = maps.reshape(len(maps), -1).max(axis=1)
        assert np.all((np.abs(peaks - 1.0) < 1e-6) | (peaks == 0.0)), name
    assert cam_method("gradcam")(e.inputs()).max() == pytest.approx(1.0)


def _upsampled(channel: np.ndarray, size: int) -> np.ndarray:
    resized = np.asarray(
        Image.fromarray(channel.astype(np.float32), "F").resize((size, size), Image.BILINEAR)
    )
    span = resized.max() - resized.min()
    return (resized - resized.min()) / span if span > 1e-7 else np.zeros_like(resized)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("top_k", [4, 128])
def test_score_cam_equals_its_plain_definition(exported, arch, top_k):
    e = exported(arch)
    features = e.outputs[OUTPUT_FEATURES].astype(np.float64)  # means in float64: exact ties stay ties
    size = SIZES[arch]
    k = min(top_k, features.shape[-1])  # 128: every channel of small_cnn at 32 px
    # The masked inputs are scored by the same ONNX model: on the barely trained backbones they are far out of
    # distribution, the logit is a cancellation of huge activations, and Keras and onnxruntime then disagree
    # in its last bits (steps of 0.25), which is the model's arithmetic, not Score-CAM's.
    expected = []
    for image, a in zip(e.batch, features, strict=True):
        chosen = np.argsort(-a.mean(axis=(0, 1)), kind="stable")[:k]
        masked = np.stack([image * _upsampled(a[..., c], size)[..., None] for c in chosen])
        scores = np.asarray(e.logits(masked.astype(np.float32)), np.float64)
        weights = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        expected.append(np.maximum((a[..., chosen] * weights).sum(-1), 0))
    raw = cam_method("scorecam", top_k=k).raw(e.inputs())
    np.testing.assert_allclose(by_max(raw), by_max(np.stack(expected)), atol=2e-4)


@pytest.mark.parametrize("arch", ARCHS)
def test_eigen_cam_is_the_projection_on_the_covariance_eigenvector(exported, arch):
    e = exported(arch)
    features = e.outputs[OUTPUT_FEATURES].astype(np.float64)
    expected = []
    for a in features:
        flat = a.reshape(-1, a.shape[-1])
        centred = flat - flat.mean(axis=0)
        vector = np.linalg.eigh(centred.T @ centred)[1][:, -1]  # the largest eigenvalue's eigenvector
        projection = centred @ vector
        if np.corrcoef(projection, flat.sum(axis=1))[0, 1] < 0:
            projection = -projection
        expected.append(np.maximum(projection, 0).reshape(a.shape[:2]))
    raw = cam_method("eigencam").raw(e.inputs())
    np.testing.assert_allclose(by_max(raw), by_max(np.stack(expected)), atol=1e-5)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ranks = [np.argsort(np.argsort(x.ravel(), kind="stable")) for x in (a, b)]
    return float(np.corrcoef(*ranks)[0, 1])


def _maps(model, batch) -> dict[str, np.ndarray]:
    onnx_bytes = convert(model).SerializeToString()
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    inputs = CamInputs(
        batch,
        run_onnx(onnx_bytes, batch),
        lambda x: session.run([OUTPUT_LOGIT], {INPUT_IMAGE: x.astype(np.float32)})[0][:, 0],
    )
    return {name: cam_method(name)(inputs) for name in method_names()}


def test_maps_change_when_the_weights_are_randomised(exported):
    """Adebayo et al. 2018: a map that survives randomising the model's weights does not explain the model."""
    from fakescope.train.models import build_model

    e = exported("small_cnn")
    trained = _maps(e.model, e.batch)
    random_model = build_model("small_cnn", SIZES["small_cnn"], seed=123)  # every layer re-initialised
    import keras

    top_randomised = keras.models.clone_model(e.model)
    top_randomised.set_weights(e.model.get_weights())
    kernel, bias = top_randomised.get_layer("logit").get_weights()
    rng = np.random.default_rng(7)
    top_randomised.get_layer("logit").set_weights([rng.normal(0, kernel.std() + 1e-3, kernel.shape), bias])
    for label, model, methods in (
        ("all layers", random_model, method_names()),
        # Only the signed maps follow the logit layer. Eigen-CAM never reads it (class-agnostic); LayerCAM
        # and Grad-CAM++ keep the channels with w_k > 0, and Score-CAM's softmax over masked logits is near
        # uniform, so all four mostly show where A is large: on this model they fail the top-layer test.
        ("the logit layer", top_randomised, ["gradcam", "ablationcam", "realcam"]),
    ):
        randomised = _maps(model, e.batch)
        for name in methods:
            similarity = np.mean(
                [_spearman(a, b) for a, b in zip(trained[name], randomised[name], strict=True)]
            )
            assert similarity < 0.9, f"{name} barely changed when {label} were randomised ({similarity:.2f})"
    unchanged = _maps(top_randomised, e.batch)["eigencam"]
    np.testing.assert_allclose(unchanged, trained["eigencam"], atol=1e-5)
