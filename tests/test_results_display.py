"""Result types print in one line, show a small HTML card, keep their arrays read-only and compare safely."""

from __future__ import annotations

import base64
import io
from dataclasses import replace

import numpy as np
import pytest
from image_factory import encode, random_rgb
from PIL import Image

from fakescope.runtime import Detector, FaceVerdict, Prediction, Rejected, overlay
from fakescope.runtime.display import THUMBNAIL_SIDE


def _faces(prediction: Prediction, probs: tuple[float, ...]) -> tuple[FaceVerdict, ...]:
    eye = np.eye(3)
    return tuple(
        FaceVerdict((10 * i, 5, 10 * i + 8, 13), (0, 0, 20, 20), 0.9, p, prediction.cam, prediction.view, eye)
        for i, p in enumerate(probs)
    )


def _decoded_thumbnail(markup: str) -> np.ndarray:
    data = markup.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_prediction_repr_is_one_line_with_the_verdict_first(tiny_model_path):
    detector = Detector(tiny_model_path)
    result = detector.predict(encode(random_rgb(48, 64), "JPEG"), name="a.jpg")
    text = repr(result)
    assert text == (
        f"Prediction({result.label}, prob_fake={result.prob_fake:.3f}, threshold={result.threshold:.3f}, "
        "'a.jpg' 64x48 JPEG)"
    )
    with_faces = replace(result, faces=_faces(result, (0.2, 0.97312)))
    assert repr(with_faces).endswith("'a.jpg' 64x48 JPEG, 2 faces)")
    assert repr(with_faces.face) == "FaceVerdict(prob_fake=0.973, box=(10, 5, 18, 13), score=0.900)"
    assert "\n" not in repr(with_faces) and len(repr(with_faces)) < 120


def test_equal_results_compare_equal_without_raising(tiny_model_path):
    detector = Detector(tiny_model_path)
    image = random_rgb(40, 40, seed=3)
    first, second = detector.predict(image), detector.predict(image)
    assert first.cam is not second.cam
    assert first == second and hash(first) == hash(second)
    assert first != first.with_threshold(0.25 if first.threshold != 0.25 else 0.75)
    assert first != "not a result"
    faces = _faces(first, (0.5,))
    assert faces[0] == _faces(second, (0.5,))[0]


def test_arrays_are_read_only_views_of_the_callers_arrays(tiny_model_path):
    result = Detector(tiny_model_path).predict(random_rgb(40, 40))
    with pytest.raises(ValueError, match="read-only"):
        result.cam[0, 0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result.view[0, 0] = 0
    mine = result.view.copy()
    face = FaceVerdict((0, 0, 1, 1), (0, 0, 1, 1), 1.0, 0.5, result.cam, mine, np.eye(3))
    with pytest.raises(ValueError, match="read-only"):
        face.transform[0, 0] = 2.0
    mine[0, 0] = 7
    assert face.view[0, 0, 0] == 7 and mine.flags.writeable
    assert result.with_threshold(0.3).cam is result.cam


def test_html_card_shows_label_probability_and_the_overlay(tiny_model_path):
    result = Detector(tiny_model_path).predict(random_rgb(40, 40), name="<b>x</b>.png")
    markup = result._repr_html_()
    assert result.label in markup and f"P(fake) {result.prob_fake:.3f}" in markup
    assert "<b>x</b>" not in markup and "&lt;b&gt;x&lt;/b&gt;.png" in markup
    thumbnail = _decoded_thumbnail(markup)
    assert thumbnail.shape == (THUMBNAIL_SIDE, THUMBNAIL_SIDE, 3)
    step = THUMBNAIL_SIDE // result.view.shape[0]
    np.testing.assert_array_equal(thumbnail[::step, ::step], overlay(result.view, result.cam, 0.45))


def test_a_scan_result_without_cam_shows_the_bare_view(tiny_model_path):
    detector = Detector(tiny_model_path)
    framed = detector.prepare(random_rgb(40, 40))
    (result,) = detector.judge([framed], with_cam=False)
    step = THUMBNAIL_SIDE // result.view.shape[0]
    np.testing.assert_array_equal(_decoded_thumbnail(result._repr_html_())[::step, ::step], result.view)


def test_rejected_repr_names_the_source_and_the_reason(tiny_model_path):
    detector = Detector(tiny_model_path)
    (rejected,) = detector.predict_batch([b"nope"], names=["bad.png"], on_error="return")
    assert isinstance(rejected, Rejected)
    assert repr(rejected) == f"Rejected('bad.png', UnsupportedFormatError: {rejected.message})"
    assert rejected == detector.predict_batch([b"nope"], names=["bad.png"], on_error="return")[0]
    assert rejected.message in rejected._repr_html_() and "REJECTED" in rejected._repr_html_()
