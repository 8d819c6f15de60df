"""The bundled BlazeFace finds faces where they were pasted, where an independent detector finds them too.

Every picture is generated here from scikit-image's bundled data: the astronaut's face pasted (scaled,
rotated, several times) at known positions on flat or noisy canvases of many sizes, and the LFW crops. The
independent reference is scikit-image's LBP frontal-face cascade (test environment only).
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from fakescope.runtime import face_crop, faces
from fakescope.runtime.errors import InvalidImageError, ModelError

skdata = pytest.importorskip("skimage.data")
skfeature = pytest.importorskip("skimage.feature")

PATCH = (
    120,
    20,
    330,
    240,
)  # (left, top, right, bottom) of the astronaut's head and hair in her 512x512 photo


@pytest.fixture(scope="module")
def finder() -> faces.FaceFinder:
    return faces.FaceFinder()


@pytest.fixture(scope="module")
def cascade():
    return skfeature.Cascade(skdata.lbp_frontal_face_cascade_filename())


def lbp_boxes(cascade, pixels: np.ndarray, min_side: float, max_side: float) -> np.ndarray:
    found = cascade.detect_multi_scale(
        img=pixels,
        scale_factor=1.2,
        step_ratio=1,
        min_size=(int(min_side),) * 2,
        max_size=(int(max_side),) * 2,
    )
    return np.array(
        [[d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]] for d in found], float
    ).reshape(-1, 4)


@pytest.fixture(scope="module")
def patch_face(cascade) -> tuple[np.ndarray, np.ndarray]:
    """The head patch and the LBP cascade's face box in patch coordinates."""
    photo = skdata.astronaut()
    (box,) = lbp_boxes(cascade, photo, 60, 200)
    return photo[PATCH[1] : PATCH[3], PATCH[0] : PATCH[2]], box - [PATCH[0], PATCH[1], PATCH[0], PATCH[1]]


def canvas(size, background: str, seed: int = 0) -> np.ndarray:
    width, height = size
    rng = np.random.default_rng(seed)
    if background == "flat":
        return np.full((height, width, 3), (96, 110, 124), np.uint8)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def paste(pixels: np.ndarray, patch_face, x: int, y: int, scale: float) -> np.ndarray:
    """Paste the scaled head at (x, y); returns the expected face box there."""
    patch, box = patch_face
    width, height = round(patch.shape[1] * scale), round(patch.shape[0] * scale)
    pixels[y : y + height, x : x + width] = np.asarray(
        Image.fromarray(patch).resize((width, height), Image.Resampling.BILINEAR)
    )
    return box * scale + [x, y, x, y]


def boxes_of(found: list[faces.Face]) -> np.ndarray:
    return np.array([f.box for f in found], float).reshape(-1, 4)


def assert_matched(found: list[faces.Face], expected: np.ndarray, min_iou: float = 0.5) -> None:
    """One detection per expected box, each overlapping its box by at least `min_iou`."""
    assert len(found) == len(expected), [f.as_dict() for f in found]
    iou = faces.iou_matrix(expected, boxes_of(found))
    assert np.all(iou.max(axis=1) >= min_iou), iou.round(2)


@pytest.mark.parametrize(
    ("size", "background", "x", "y", "scale"),
    [
        ((640, 480), "flat", 200, 100, 1.0),
        ((640, 480), "noise", 40, 60, 1.5),
        ((480, 720), "noise", 100, 300, 1.2),
        ((220, 240), "flat", 5, 10, 1.0),
    ],
)
def test_one_face_is_found_where_pasted_and_where_the_lbp_cascade_finds_it(
    finder, cascade, patch_face, size, background, x, y, scale
):
    pixels = canvas(size, background)
    expected = paste(pixels, patch_face, x, y, scale)
    found = finder.find(pixels)
    assert_matched(found, expected[None])
    assert found[0].score > 0.75
    side = expected[2] - expected[0]
    independent = lbp_boxes(cascade, pixels, side * 0.7, side * 1.4)
    assert faces.iou_matrix(boxes_of(found), independent).max() >= 0.5


def test_several_faces_on_one_canvas_are_all_found_and_selected_largest_first(finder, cascade, patch_face):
    pixels = canvas((760, 520), "noise", seed=1)
    expected = np.stack(
        [paste(pixels, patch_face, x, y, s) for x, y, s in [(10, 20, 1.6), (360, 40, 1.0), (520, 260, 1.1)]]
    )
    found = finder.find(pixels)
    assert_matched(found, expected)
    largest = faces.select_faces(found)[0]
    assert faces.iou_matrix(expected[:1], boxes_of([largest]))[0, 0] >= 0.5
    independent = lbp_boxes(cascade, pixels, 70, 200)
    assert np.all(faces.iou_matrix(boxes_of(found), independent).max(axis=1) >= 0.5)


@pytest.mark.parametrize("angle", [-30.0, -15.0, 15.0, 30.0])
def test_a_rotated_face_is_found_its_eye_line_measured_and_aligned_upright(finder, patch_face, angle):
    photo = skdata.astronaut()
    upright = finder.find(photo)[0]
    cx, cy = upright.center
    turned = np.asarray(
        Image.fromarray(photo).rotate(
            angle, Image.Resampling.BILINEAR, center=(cx, cy), fillcolor=(110, 110, 110)
        )
    )
    (face,) = finder.find(turned)
    assert np.hypot(*np.subtract(face.center, (cx, cy))) < 0.1 * upright.width
    # Pillow turns counter-clockwise, which lowers the eye line's angle in y-down coordinates
    assert face.eye_angle == pytest.approx(upright.eye_angle - angle, abs=10.0)
    aligned = face_crop.crop_face(turned, face, margin=0.3, align=True)
    (again,) = finder.find(aligned)
    assert abs(again.eye_angle) < 8.0


def test_tiny_images_are_searched_and_degenerate_ones_give_no_face(finder, patch_face):
    pixels = canvas((48, 48), "flat")
    expected = paste(pixels, patch_face, 2, 1, 0.2)
    assert_matched(finder.find(pixels), expected[None])
    for shape in [(1, 1, 3), (2, 300, 3), (500, 3, 3)]:
        assert finder.find(np.full(shape, 128, np.uint8)) == []


def test_a_face_in_a_huge_image_is_found_in_full_resolution_coordinates(finder, patch_face):
    pixels = canvas((4096, 3072), "flat")
    expected = paste(pixels, patch_face, 1500, 900, 8.0)
    (face,) = finder.find(pixels)
    assert_matched([face], expected[None])
    assert 1500 < face.box[0] < face.box[2] < 1500 + 8 * 210


@pytest.mark.parametrize(("side", "scale"), [(1024, 2.0), (2048, 4.0), (4096, 8.0)])
def test_large_photos_find_the_face_of_a_full_resolution_area_resize(finder, patch_face, side, scale):
    """The letterbox downscales by area (Pillow's reducing step); the reference is Image.BOX."""
    pixels = canvas((side, side * 3 // 4), "noise", seed=side)
    paste(pixels, patch_face, side // 3, side // 8, scale)
    width, height = 128, round(128 * 3 / 4)
    full = np.asarray(Image.fromarray(pixels).resize((width, height), Image.Resampling.BOX), np.float32)
    tensor = np.full((1, 128, 128, 3), -1.0, np.float32)
    top = (128 - height) // 2
    tensor[0, top : top + height] = full / 127.5 - 1.0
    reference = faces.Letterbox(tensor, scale=(width / side, height / (side * 3 // 4)), offset=(0, top))
    (expected,) = finder.faces_from(*finder.raw(reference.tensor), reference)
    (face,) = finder.find(pixels)
    face_side = expected.box[2] - expected.box[0]
    np.testing.assert_allclose(face.box, expected.box, atol=0.01 * face_side)
    assert face.score == pytest.approx(expected.score, abs=0.02)


@pytest.mark.parametrize(
    "pixels",
    [
        np.zeros((256, 256, 3), np.uint8),
        np.full((300, 200, 3), 255, np.uint8),
        np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8),
        np.asarray(
            Image.fromarray(np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize(
                (512, 512)
            )
        ),
    ],
    ids=["black", "white", "noise", "smooth"],
)
def test_images_without_faces_give_an_empty_list(finder, pixels):
    assert finder.find(pixels) == []


def test_lfw_faces_are_found_and_lfw_non_faces_are_not(finder):
    """scikit-image's LFW subset: 100 face crops then 100 non-face crops, 25x25 greyscale in [0, 1]."""
    crops = np.round(skdata.lfw_subset() * 255).astype(np.uint8)
    found = [bool(finder.find(np.repeat(crop[..., None], 3, axis=2))) for crop in crops]
    assert sum(found[:100]) >= 95
    assert sum(found[100:]) <= 5


def test_face_coordinates_follow_the_image_when_it_is_flipped(finder):
    photo = skdata.astronaut()
    (face,) = finder.find(photo)
    (mirrored,) = finder.find(photo[:, ::-1])  # a strided view is fine
    width = photo.shape[1]
    np.testing.assert_allclose(
        [width - mirrored.box[2], mirrored.box[1], width - mirrored.box[0], mirrored.box[3]], face.box, atol=6
    )
    assert face.keypoints[0, 0] < face.keypoints[1, 0]  # keypoint 0 is the eye on the image's left
    assert face.keypoints[2, 1] < face.keypoints[3, 1]  # the nose above the mouth


def test_plain_and_weighted_nms_find_the_same_face(patch_face):
    pixels = canvas((640, 480), "flat")
    expected = paste(pixels, patch_face, 200, 100, 1.0)
    for mode in ("weighted", "plain"):
        assert_matched(faces.FaceFinder(nms_mode=mode).find(pixels), expected[None], min_iou=0.6)


def test_find_is_thread_safe_and_matches_sequential_results(finder):
    photo = skdata.astronaut()
    images = [
        photo,
        np.ascontiguousarray(photo[:, ::-1]),
        photo[50:400, 100:450].copy(),
        np.zeros((64, 64, 3), np.uint8),
    ]
    sequential = [finder.find(image) for image in images] * 8
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(finder.find, images * 8))
    assert parallel == sequential
    assert [len(r) for r in sequential[:4]] == [1, 1, 1, 0]


def test_find_faces_uses_the_bundled_model():
    assert faces.default_face_model_path().is_file()
    (face,) = faces.find_faces(skdata.astronaut())
    assert face.score > 0.8


def test_finding_faces_loads_no_training_or_dashboard_package():
    code = """
import sys
import numpy as np
from fakescope.runtime.face_crop import crop_face
from fakescope.runtime.faces import find_faces
faces = find_faces(np.full((64, 64, 3), 128, np.uint8))
heavy = ("tensorflow", "keras", "tf2onnx", "onnx", "cv2", "skimage", "pandas", "plotly", "ipywidgets")
print(sorted(m for m in heavy if m in sys.modules), len(faces))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] 0"


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((64, 64), np.uint8),
        np.zeros((64, 64, 4), np.uint8),
        np.zeros((64, 64, 3), np.float32),
        np.zeros((0, 64, 3), np.uint8),
        [[0, 0, 0]],
    ],
    ids=["grey", "rgba", "float", "empty", "list"],
)
def test_bad_pixels_raise_a_typed_error(finder, bad):
    with pytest.raises(InvalidImageError, match="uint8"):
        finder.find(bad)


def test_a_missing_or_foreign_model_raises_model_error(tmp_path, tiny_model_path):
    with pytest.raises(ModelError, match="not found"):
        faces.FaceFinder(tmp_path / "nope.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00not onnx" * 10)
    with pytest.raises(ModelError, match="not a usable ONNX model"):
        faces.FaceFinder(garbage)
    with pytest.raises(ModelError, match="not BlazeFace"):
        faces.FaceFinder(tiny_model_path)


@pytest.mark.parametrize(
    ("option", "value"), [("min_score", 1.5), ("iou_threshold", -0.1), ("nms_mode", "soft"), ("threads", 0)]
)
def test_bad_options_are_refused_before_loading(option, value):
    with pytest.raises(ValueError, match=option):
        faces.FaceFinder("never-read.onnx", **{option: value})
