"""`Detector`: verdicts and CAMs against a numpy reference, batching, threads and refusing bad models."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
import pytest
from image_factory import encode, random_rgb
from onnx_fixtures import reference_outputs, tiny_card, tiny_model, write_tiny_model

from fakescope.export.card_io import seal_model
from fakescope.runtime import (
    Detector,
    InvalidImageError,
    ModelCardError,
    ModelError,
    Prediction,
    Rejected,
    jet,
    normalize_cams,
    overlay,
    preprocess,
)

IMAGES = [random_rgb(60 + 7 * i, 50 + 5 * i, seed=i) for i in range(6)]


def test_probability_and_cam_match_a_numpy_reference(tiny_model_path):
    detector = Detector(tiny_model_path)
    batch = np.stack([preprocess(image, detector.spec) for image in IMAGES])
    prob, _, cam = reference_outputs(batch)
    results = detector.predict_batch(IMAGES, batch_size=4)
    np.testing.assert_allclose([r.prob_fake for r in results], prob, atol=1e-6)
    expected_cams = normalize_cams(cam.astype(np.float32), (32, 32))
    for result, expected in zip(results, expected_cams, strict=True):
        assert result.cam.shape == (32, 32) and result.cam.dtype == np.float32
        np.testing.assert_allclose(result.cam, expected, atol=1e-5)
        assert result.cam.min() >= 0.0 and result.cam.max() <= 1.0


def test_label_confidence_and_threshold(tiny_model_path):
    result = Detector(tiny_model_path).predict(IMAGES[0])
    assert result.label == ("FAKE" if result.prob_fake >= 0.5 else "REAL")
    assert result.confidence == pytest.approx(max(result.prob_fake, result.prob_real))
    above = result.with_threshold(min(0.99, result.prob_fake + 0.01))
    below = result.with_threshold(max(0.01, result.prob_fake - 0.01))
    assert (above.label, below.label) == ("REAL", "FAKE")
    assert above.prob_fake == result.prob_fake and above.cam is result.cam
    with pytest.raises(ValueError, match="threshold"):
        result.with_threshold(1.0)


def test_threshold_comes_from_the_card_unless_overridden(tmp_path):
    path = write_tiny_model(tmp_path / "t.onnx", threshold=0.42)
    assert Detector(path).threshold == 0.42
    assert Detector(path, threshold=0.7).threshold == 0.7


def test_batch_equals_single_predictions_and_keeps_order(tiny_model_path):
    detector = Detector(tiny_model_path)
    singles = [detector.predict(image).prob_fake for image in IMAGES]
    batched = [r.prob_fake for r in detector.predict_batch(IMAGES, batch_size=4)]
    np.testing.assert_allclose(batched, singles, atol=1e-6)


def test_bad_inputs_raise_or_are_returned_in_place(tiny_model_path):
    detector = Detector(tiny_model_path)
    inputs = [IMAGES[0], b"garbage", encode(IMAGES[1], "PNG")]
    with pytest.raises(InvalidImageError):
        detector.predict_batch(inputs)
    results = detector.predict_batch(inputs, names=["a", "b", "c"], on_error="return")
    assert [type(r) for r in results] == [Prediction, Rejected, Prediction]
    assert results[1].source == "b" and "not a PNG" in results[1].message
    assert results[2].info.name == "c"


def test_greyscale_cards_make_the_detector_see_grey(tiny_grey_model_path):
    result = Detector(tiny_grey_model_path).predict(IMAGES[2])
    assert np.array_equal(result.view[..., 0], result.view[..., 1])


def test_sixteen_threads_share_one_detector(tiny_model_path):
    detector = Detector(tiny_model_path, threads=1)
    images = [random_rgb(64, 64, seed=i) for i in range(48)]
    expected = [detector.predict(image).prob_fake for image in images]
    with ThreadPoolExecutor(16) as pool:
        got = list(pool.map(lambda image: detector.predict(image).prob_fake, images))
    assert got == expected


def test_timings_and_info_are_reported(tiny_model_path):
    result = Detector(tiny_model_path).predict(encode(IMAGES[0], "JPEG"), name="x.jpg")
    assert result.info.name == "x.jpg" and result.info.format == "JPEG"
    assert 0 < result.timings.inference_ms <= result.timings.total_ms


def test_overlay_blends_the_jet_heatmap(tiny_model_path):
    result = Detector(tiny_model_path).predict(IMAGES[0])
    np.testing.assert_array_equal(result.overlay(alpha=0.0), result.view)
    np.testing.assert_array_equal(result.overlay(alpha=1.0), jet(result.cam))
    big = overlay(IMAGES[0], result.cam, 0.5)
    assert big.shape == IMAGES[0].shape
    with pytest.raises(ValueError, match="alpha"):
        overlay(IMAGES[0], result.cam, 2.0)


def test_jet_runs_from_blue_to_red():
    colours = jet(np.array([0.0, 0.5, 1.0]))
    assert colours[0].argmax() == 2 and colours[2].argmax() == 0
    assert colours[1][1] == 255


def test_constant_cams_normalise_to_zero():
    assert not normalize_cams(np.zeros((1, 4, 4), np.float32), (8, 8)).any()


def test_unreadable_model_paths_are_model_errors(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "loop.onnx").symlink_to(tmp_path / "loop.onnx")
    for path in [tmp_path / "file.txt" / "m.onnx", tmp_path / "loop.onnx", "m\x00.onnx"]:
        with pytest.raises(ModelError, match="cannot read model"):
            Detector(path)


def test_wrong_argument_types_are_refused_with_clear_messages(tiny_model_path):
    with pytest.raises(TypeError, match="ImageLimits"):
        Detector(tiny_model_path, limits="10 MB")
    detector = Detector(tiny_model_path)
    with pytest.raises(TypeError, match="for one image call `predict`"):
        detector.predict_batch("photo.png")
    with pytest.raises(TypeError, match="must be a number"):
        Detector(tiny_model_path, threshold="0.5")
    result = detector.predict(random_rgb(40, 40))
    with pytest.raises(ValueError, match="alpha"):
        result.overlay(alpha=None)


def test_missing_and_corrupt_models_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        Detector(tmp_path / "nope.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00\x01 definitely not onnx" * 10)
    with pytest.raises(ModelError):
        Detector(junk)


def test_a_flipped_weight_byte_is_refused(tmp_path, tiny_model_path):
    data = bytearray(tiny_model_path.read_bytes())
    model = onnx.load_from_string(bytes(data))
    raw = model.graph.initializer[0].raw_data
    offset = bytes(data).index(raw[:32]) + 5
    data[offset] ^= 0x01
    tampered = tmp_path / "tampered.onnx"
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelCardError, match="modified after export"):
        Detector(tampered)


def test_removed_or_foreign_cards_are_refused(tmp_path):
    model = tiny_model(seed=0)
    unsealed = tmp_path / "no_card.onnx"
    unsealed.write_bytes(model.SerializeToString())
    with pytest.raises(ModelCardError, match="no fakescope model card"):
        Detector(unsealed)
    other = onnx.load_from_string(seal_model(tiny_model(seed=1), tiny_card()))
    onnx.helper.set_model_props(model, {p.key: p.value for p in other.metadata_props})  # card and seal
    swapped = tmp_path / "swapped.onnx"
    swapped.write_bytes(model.SerializeToString())
    with pytest.raises(ModelCardError, match="modified after export"):
        Detector(swapped)


def test_models_without_the_fakescope_outputs_are_refused(tmp_path):
    model = tiny_model()
    model.graph.output[2].name = "heatmap"
    model.graph.node[-1].output[0] = "heatmap"
    path = tmp_path / "renamed.onnx"
    path.write_bytes(seal_model(model, tiny_card()))
    with pytest.raises(ModelError, match="needs input"):
        Detector(path)


def test_card_input_size_must_match_the_graph(tmp_path):
    path = tmp_path / "mismatch.onnx"
    path.write_bytes(seal_model(tiny_model(size=32), tiny_card(size=64)))
    with pytest.raises(ModelCardError, match="input shape"):
        Detector(path)


def test_external_data_paths_are_never_followed(tmp_path):
    model = tiny_model()
    weights = model.graph.initializer[0]
    weights.ClearField("raw_data")
    weights.data_location = onnx.TensorProto.EXTERNAL
    for key, value in {"location": "../../../../etc/hostname", "offset": "0", "length": "432"}.items():
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    path = tmp_path / "external.onnx"
    path.write_bytes(seal_model(model, tiny_card()))
    with pytest.raises(ModelError) as caught:
        Detector(path)
    assert "\n" not in str(caught.value)
