"""BlazeFace's numeric parts against written-out references: anchors, decoding, letterbox, IoU, NMS, crops."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from fakescope.runtime import face_crop, faces
from fakescope.runtime.faces import Face


def mediapipe_anchors() -> list[tuple[float, float]]:
    """ssd_anchors_calculator.cc as configured by face_detection_short_range_common.pbtxt, loop by loop."""
    strides, num_layers, size = [8, 16, 16, 16], 4, 128
    anchors, layer_id = [], 0
    while layer_id < num_layers:
        anchor_count, last_same = 0, layer_id
        while last_same < num_layers and strides[last_same] == strides[layer_id]:
            anchor_count += (
                2  # aspect_ratios: [1.0] plus the interpolated scale (interpolated_scale_aspect_ratio 1)
            )
            last_same += 1
        feature_map = math.ceil(size / strides[layer_id])
        for y in range(feature_map):
            for x in range(feature_map):
                for _ in range(anchor_count):
                    anchors.append(((x + 0.5) / feature_map, (y + 0.5) / feature_map))
        layer_id = last_same
    return anchors


def brute_iou(a, b) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def brute_nms(boxes, scores, threshold) -> list[int]:
    kept: list[int] = []
    for i in sorted(range(len(scores)), key=lambda i: -scores[i]):
        if all(brute_iou(boxes[i], boxes[k]) <= threshold for k in kept):
            kept.append(i)
    return kept


def mediapipe_weighted_nms(boxes, scores, values, threshold):
    """WeightedNonMaxSuppression of non_max_suppression_calculator.cc, one detection at a time."""
    remaining = sorted(range(len(scores)), key=lambda i: -scores[i])
    out_values, out_scores = [], []
    while remaining:
        top = remaining[0]
        candidates = [i for i in remaining if brute_iou(boxes[i], boxes[top]) > threshold]
        rest = [i for i in remaining if brute_iou(boxes[i], boxes[top]) <= threshold]
        total = sum(scores[i] for i in candidates)
        out_values.append(
            [sum(scores[i] * values[i][d] for i in candidates) / total for d in range(len(values[0]))]
        )
        out_scores.append(scores[top])
        remaining = rest
    return out_values, out_scores


def random_boxes(rng, count: int) -> np.ndarray:
    """Clustered boxes with positive sizes, so that NMS has overlaps to resolve."""
    centres = rng.uniform(0.2, 0.8, (3, 2))[rng.integers(0, 3, count)] + rng.normal(0, 0.04, (count, 2))
    sizes = rng.uniform(0.05, 0.3, (count, 1)) * rng.uniform(0.7, 1.3, (count, 2))
    return np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1)


def test_anchors_match_mediapipe_ssd_anchor_loop():
    anchors = faces.ssd_anchors()
    assert anchors.shape == (faces.NUM_ANCHORS, 2) == (896, 2)
    np.testing.assert_allclose(anchors, np.asarray(mediapipe_anchors()), atol=1e-7)


def test_decode_recovers_a_box_and_keypoints_written_relative_to_their_anchor():
    anchors = faces.ssd_anchors()
    regressors = np.zeros((1, 896, 16), np.float32)
    classificators = np.full((1, 896, 1), -1000.0, np.float32)
    index = 600  # an anchor of the stride-16 grid
    ax, ay = anchors[index] * 128
    # a box centred 5 px right and 3 px below the anchor, 40 x 50 px; keypoints at known offsets
    keypoints = np.array([[-10, -8], [10, -8], [0, 2], [0, 14], [-20, 0], [20, 0]], np.float32)
    regressors[0, index, :4] = [5, 3, 40, 50]
    regressors[0, index, 4:] = keypoints.ravel()
    classificators[0, index, 0] = 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # logits clipped to ±100 before a float64 sigmoid: no overflow
        boxes, points, scores = faces.decode(regressors, classificators, anchors)
    expected_box = np.array([ax + 5 - 20, ay + 3 - 25, ax + 5 + 20, ay + 3 + 25]) / 128
    np.testing.assert_allclose(boxes[index], expected_box, atol=1e-6)
    np.testing.assert_allclose(points[index], (keypoints + np.array([ax, ay])) / 128, atol=1e-6)
    assert scores[index] == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert scores[np.arange(896) != index].max() < 1e-40


def test_letterbox_scales_values_to_minus_one_one_pads_black_and_maps_points_back():
    pixels = np.zeros((60, 200, 3), np.uint8)
    pixels[:, :100] = 255
    boxed = faces.letterbox(pixels)
    assert boxed.tensor.shape == (1, 128, 128, 3) and boxed.tensor.dtype == np.float32
    assert boxed.tensor.min() == -1.0 and boxed.tensor.max() == 1.0
    top = boxed.offset[1]
    assert top == (128 - 38) // 2  # 200 x 60 → 128 x 38, centred vertically
    assert np.all(boxed.tensor[0, :top] == -1.0) and np.all(boxed.tensor[0, top + 38 :] == -1.0)
    assert np.all(boxed.tensor[0, top + 5 : top + 33, :60] == 1.0)  # the white left half, away from the edge
    # a point's tensor position, mapped back, is the point itself
    photo_points = np.array([[0.0, 0.0], [200.0, 60.0], [37.5, 12.25]])
    tensor_points = (photo_points * boxed.scale + boxed.offset) / 128
    np.testing.assert_allclose(boxed.to_image(tensor_points), photo_points, atol=1e-9)


@pytest.mark.parametrize("shape", [(1, 1), (1, 500), (700, 3), (128, 128), (4096, 4096)])
def test_letterbox_handles_extreme_shapes(shape):
    boxed = faces.letterbox(np.full((*shape, 3), 200, np.uint8))
    assert boxed.tensor.shape == (1, 128, 128, 3)
    assert np.isclose(boxed.tensor.max(), 200 / 127.5 - 1, atol=1e-6)


def test_iou_matrix_matches_pairwise_reference():
    rng = np.random.default_rng(1)
    a, b = random_boxes(rng, 30), random_boxes(rng, 20)
    expected = np.array([[brute_iou(x, y) for y in b] for x in a])
    np.testing.assert_allclose(faces.iou_matrix(a, b), expected, atol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_nms_matches_brute_force_greedy_reference(seed):
    rng = np.random.default_rng(seed)
    boxes = random_boxes(rng, int(rng.integers(1, 40)))
    scores = rng.uniform(0.5, 1.0, len(boxes))
    threshold = float(rng.choice([0.1, 0.3, 0.5]))
    assert faces.nms(boxes, scores, threshold).tolist() == brute_nms(boxes, scores, threshold)


@pytest.mark.parametrize("seed", range(40))
def test_weighted_nms_matches_mediapipe_reference(seed):
    rng = np.random.default_rng(100 + seed)
    boxes = random_boxes(rng, int(rng.integers(1, 40)))
    scores = rng.uniform(0.5, 1.0, len(boxes))
    values = np.concatenate([boxes, rng.uniform(0, 1, (len(boxes), 12))], axis=1)
    merged, kept = faces.weighted_nms(boxes, scores, values, 0.3)
    expected_values, expected_scores = mediapipe_weighted_nms(boxes, scores, values, 0.3)
    np.testing.assert_allclose(merged, np.asarray(expected_values).reshape(merged.shape), atol=1e-12)
    np.testing.assert_allclose(kept, expected_scores, atol=0)


def test_nms_of_nothing_is_nothing():
    empty = np.zeros((0, 4))
    assert faces.nms(empty, np.zeros(0)).shape == (0,)
    values, scores = faces.weighted_nms(empty, np.zeros(0), np.zeros((0, 16)))
    assert values.shape == (0, 16) and scores.shape == (0,)


def face_at(box, score=0.9, angle_deg=0.0) -> Face:
    """A Face with eyes a third of the box apart, level or turned by `angle_deg`."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = (box[2] - box[0]) / 6
    dx, dy = half * math.cos(math.radians(angle_deg)), half * math.sin(math.radians(angle_deg))
    keypoints = np.array([[cx - dx, cy - dy], [cx + dx, cy + dy], *[[cx, cy]] * 4], np.float32)
    return Face(tuple(float(v) for v in box), score, keypoints)


@settings(max_examples=200, deadline=None)
@given(
    width=st.integers(1, 3000),
    height=st.integers(1, 3000),
    fx=st.floats(-0.2, 1.0),
    fy=st.floats(-0.2, 1.0),
    fw=st.floats(0.01, 1.2),
    fh=st.floats(0.01, 1.2),
    margin=st.floats(0.0, 1.0),
)
def test_face_crop_box_is_a_square_inside_the_image_around_the_face(width, height, fx, fy, fw, fh, margin):
    box = (fx * width, fy * height, (fx + fw) * width, (fy + fh) * height)
    face = face_at(box)
    left, top, right, bottom = face_crop.face_crop_box(face, (width, height), margin)
    side = right - left
    assert bottom - top == side >= 1
    assert min(left, top) >= 0 and right <= width and bottom <= height
    wanted = max(1, round(max(face.width, face.height) * (1 + 2 * margin)))
    assert side == min(wanted, width, height)
    cx, cy = face.center
    if (
        side == wanted
        and side / 2 + 1 <= cx <= width - side / 2 - 1
        and side / 2 + 1 <= cy <= height - side / 2 - 1
    ):
        assert (
            abs((left + right) / 2 - cx) <= 0.5 and abs((top + bottom) / 2 - cy) <= 0.5
        )  # centred when it fits


def test_face_crop_box_example_and_border_policy():
    assert face_crop.face_crop_box(face_at((40, 40, 60, 60)), (100, 100), margin=0.5) == (30, 30, 70, 70)
    # near the left edge: shifted inside, not padded
    assert face_crop.face_crop_box(face_at((0, 40, 20, 60)), (100, 100), margin=0.5) == (0, 30, 40, 70)
    # bigger than the image's short side: shrunk to it
    assert face_crop.face_crop_box(face_at((10, 10, 90, 50)), (100, 60), margin=0.3) == (20, 0, 80, 60)
    with pytest.raises(ValueError, match="margin"):
        face_crop.face_crop_box(face_at((0, 0, 10, 10)), (100, 100), margin=-0.1)


def test_crop_face_slices_the_crop_box():
    pixels = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    face = face_at((50, 30, 90, 80))
    left, top, right, bottom = face_crop.face_crop_box(face, (160, 120), 0.3)
    np.testing.assert_array_equal(face_crop.crop_face(pixels, face, 0.3), pixels[top:bottom, left:right])


def test_align_by_eyes_with_level_eyes_is_the_plain_crop():
    pixels = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    face = face_at((50, 30, 90, 80))
    np.testing.assert_array_equal(
        face_crop.align_by_eyes(pixels, face, 0.3), face_crop.crop_face(pixels, face, 0.3)
    )


@pytest.mark.parametrize("angle", [-40.0, -12.0, 25.0, 60.0])
def test_align_by_eyes_undoes_a_rotation_made_by_pillow(angle):
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    upright = np.asarray(Image.fromarray(small).resize((240, 240), Image.Resampling.BICUBIC))
    # Pillow turns counter-clockwise for positive angles; in y-down coordinates the eye line then has -angle
    turned = np.asarray(Image.fromarray(upright).rotate(angle, Image.Resampling.BILINEAR, center=(120, 120)))
    face = face_at((90, 90, 150, 150), angle_deg=-angle)
    aligned = face_crop.align_by_eyes(turned, face, margin=0.3).astype(float)
    reference = face_crop.crop_face(upright, face_at((90, 90, 150, 150)), margin=0.3).astype(float)
    assert aligned.shape == reference.shape == (96, 96, 3)
    inner = (slice(8, -8), slice(8, -8))  # away from the corners the rotation filled
    assert np.abs(aligned[inner] - reference[inner]).mean() < 3.0  # 40+ when turned the wrong way


def test_align_by_eyes_fills_outside_corners_from_the_edge_not_black():
    pixels = np.full((100, 100, 3), 200, np.uint8)
    aligned = face_crop.align_by_eyes(pixels, face_at((0, 0, 100, 100), angle_deg=45.0), margin=0.0)
    assert aligned.shape == (100, 100, 3) and aligned.min() == 200


def test_crop_transform_without_align_is_the_crop_box_offset():
    face = face_at((50, 30, 90, 80))
    left, top, right, bottom = face_crop.face_crop_box(face, (160, 120), 0.3)
    corners = (
        face_crop.crop_transform(face, (160, 120), 0.3)
        @ np.array([[0, 0, 1], [right - left, bottom - top, 1]]).T
    )
    np.testing.assert_allclose(corners[:2].T, [[left, top], [right, bottom]], atol=1e-12)


@pytest.mark.parametrize("angle", [-35.0, 20.0])
def test_crop_transform_levels_the_eyes_and_is_what_align_by_eyes_samples(angle):
    # a ramp photo: red = column index, green = row index, so a sample's value tells where it was taken
    ys, xs = np.mgrid[0:200, 0:200]
    ramp = np.stack([xs, ys, np.zeros_like(xs)], axis=2).astype(np.uint8)
    face = face_at((70, 70, 130, 130), angle_deg=angle)
    matrix = face_crop.crop_transform(face, (200, 200), margin=0.0, align=True)
    eyes = np.linalg.inv(matrix) @ np.c_[face.keypoints[:2], np.ones(2)].T
    assert eyes[1, 0] == pytest.approx(eyes[1, 1], abs=1e-9) and eyes[0, 0] < eyes[0, 1]
    aligned = face_crop.align_by_eyes(ramp, face, margin=0.0).astype(float)
    v, u = np.mgrid[0:60, 0:60] + 0.5
    where = np.einsum("ij,jhw->ihw", matrix, np.stack([u, v, np.ones_like(u)]))
    for channel in (0, 1):  # Pillow samples pixel centres (x + 0.5) and truncates to uint8
        below = where[channel] - 0.5 - aligned[..., channel]
        assert below.min() > -1e-6 and below.max() < 1.0


def test_select_faces_filters_by_score_and_orders_largest_first():
    small, large, weak = (
        face_at((0, 0, 10, 10), 0.99),
        face_at((0, 0, 50, 40), 0.6),
        face_at((0, 0, 90, 90), 0.3),
    )
    assert faces.select_faces([small, weak, large], min_score=0.5) == [large, small]
    assert faces.select_faces([small, weak, large], min_score=0.0) == [weak, large, small]
    assert faces.select_faces([], 0.5) == []


def test_face_as_dict_names_the_keypoints():
    record = face_at((10, 20, 50, 70)).as_dict()
    assert record["box"] == [10.0, 20.0, 50.0, 70.0] and record["score"] == 0.9
    assert list(record["keypoints"]) == list(faces.KEYPOINT_NAMES)
