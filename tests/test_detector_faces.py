"""The Detector's face front-end: each face judged on its own crop, the most fake face decides, no face falls
back to the centre crop, and every box and heatmap lands in the original photo's coordinates."""

from __future__ import annotations

import numpy as np
import pytest
from image_factory import encode
from onnx_fixtures import write_tiny_model
from PIL import Image

from fakescope.runtime import DecodedImage, Detector, load_image, place_cams
from fakescope.runtime.faces import iou_matrix

skdata = pytest.importorskip("skimage.data")
HEAD = (120, 20, 330, 240)  # the astronaut's head in her 512x512 photo
FACE_IN_HEAD = (55, 45, 165, 175)  # roughly where her face lies inside that patch


@pytest.fixture(scope="module")
def head() -> np.ndarray:
    photo = skdata.astronaut()
    return photo[HEAD[1] : HEAD[3], HEAD[0] : HEAD[2]]


@pytest.fixture(scope="module")
def face_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("face_model") / "faces.onnx"
    return write_tiny_model(path, face_crop={"enabled": True, "margin": 0.3})


def canvas(width: int, height: int, heads: list[tuple[int, int]], head: np.ndarray) -> np.ndarray:
    pixels = np.full((height, width, 3), (90, 104, 120), np.uint8)
    for x, y in heads:
        pixels[y : y + head.shape[0], x : x + head.shape[1]] = head
    return pixels


def expected_box(x: int, y: int, scale: float = 1.0) -> np.ndarray:
    return np.array([[c * scale for c in (x + 55, y + 45, x + 165, y + 175)]])


def test_the_card_turns_the_front_end_on(face_model, tiny_model_path):
    assert Detector(face_model).face_finder is not None
    assert Detector(tiny_model_path).face_finder is None
    assert Detector(face_model, face_crop=False).face_finder is None


def test_one_face_is_judged_on_its_own_crop(face_model, head):
    pixels = canvas(640, 480, [(300, 150)], head)
    result = Detector(face_model).predict(pixels)
    assert result.face is not None and len(result.faces) == 1
    assert iou_matrix(expected_box(300, 150), np.array([result.face.box], float))[0, 0] > 0.4
    left, top, right, bottom = result.face.crop
    assert right - left == bottom - top  # a square crop
    crop = pixels[top:bottom, left:right]
    plain = Detector(face_model, face_crop=False).predict(DecodedImage(crop, load_image(crop).info))
    assert result.prob_fake == pytest.approx(plain.prob_fake, abs=1e-6)
    np.testing.assert_array_equal(result.view, plain.view)


def test_no_face_falls_back_to_the_centre_crop(face_model):
    pixels = np.random.default_rng(0).integers(0, 256, (300, 400, 3), dtype=np.uint8)
    with_front_end = Detector(face_model).predict(pixels)
    without = Detector(face_model, face_crop=False).predict(pixels)
    assert with_front_end.face is None and with_front_end.faces == ()
    assert with_front_end.prob_fake == without.prob_fake


def test_several_faces_each_get_a_verdict_and_the_most_fake_decides(face_model, head):
    pixels = canvas(720, 420, [(20, 100), (480, 150)], head)
    pixels[150:370, 480:690] = np.asarray(Image.fromarray(head).rotate(8))  # the second face differs a little
    result = Detector(face_model).predict(pixels)
    assert len(result.faces) == 2
    assert result.prob_fake == max(face.prob_fake for face in result.faces)
    assert result.face.prob_fake == result.prob_fake
    boxes = np.array([face.box for face in result.faces], float)
    expected = np.vstack([expected_box(20, 100), expected_box(480, 150)])
    assert (iou_matrix(expected, boxes).max(axis=1) > 0.3).all()


def test_boxes_and_cams_are_in_original_photo_coordinates(face_model, head):
    small = canvas(640, 480, [(300, 150)], head)
    big = np.asarray(Image.fromarray(small).resize((3200, 2400), Image.Resampling.BILINEAR))
    result = Detector(face_model).predict(encode(big, "JPEG", quality=92))
    assert result.info.width == 3200
    assert iou_matrix(expected_box(300, 150, scale=5.0), np.array([result.face.box], float))[0, 0] > 0.4
    view_side = result.view.shape[0]
    corners = np.array([[0, 0, 1], [view_side, view_side, 1]], float).T
    mapped = (result.face.transform @ corners)[:2].T
    left, top, right, bottom = result.face.crop
    np.testing.assert_allclose(mapped, [[left, top], [right, bottom]], atol=6.0)


def test_face_cams_are_drawn_back_where_each_face_lies(face_model, head):
    pixels = canvas(720, 420, [(20, 100), (480, 150)], head)
    result = Detector(face_model).predict(pixels)
    cams = [np.ones_like(face.cam) for face in result.faces]  # a flat map shows exactly where each view lands
    placed = place_cams(cams, [face.transform for face in result.faces], (720, 420))
    for face in result.faces:
        left, top, right, bottom = face.crop
        assert placed[top + 2 : bottom - 2, left + 2 : right - 2].min() > 0.99
    outside = np.ones((420, 720), bool)
    for face in result.faces:
        left, top, right, bottom = face.crop
        outside[max(0, top - 2) : bottom + 2, max(0, left - 2) : right + 2] = False
    assert placed[outside].max() == 0.0
    half = place_cams(cams, [face.transform for face in result.faces], (360, 210), scale=0.5)
    left, top, right, bottom = (v // 2 for v in result.faces[0].crop)
    assert half[top + 2 : bottom - 2, left + 2 : right - 2].min() > 0.99
