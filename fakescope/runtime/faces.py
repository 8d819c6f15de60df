"""Find faces with MediaPipe's BlazeFace (short range) on onnxruntime, and crop them as the model was trained.

BlazeFace takes a 128x128 RGB tensor with values in [-1, 1] (pixel / 127.5 - 1), NHWC, named `input`. The
photo is letterboxed into it as MediaPipe's ImageToTensorCalculator does (keep the aspect ratio, scale to fit,
centre, pad with black, i.e. -1), here with Pillow (box `reduce`, then antialiased bilinear). It returns
`regressors` (1, 896, 16) and `classificators` (1, 896, 1), one row per SSD anchor (strides 8, 16, 16, 16:
16x16x2 + 8x8x6 anchors). Each row holds the box centre offset, width and height, then 6 keypoints, in tensor
pixels relative to its anchor; scores are sigmoid(logit). Overlapping boxes are merged by MediaPipe's weighted
NMS (IoU > 0.3). Keypoints, in the subject's terms: right eye, left eye, nose tip, mouth centre, right ear
tragion, left ear tragion (in an upright, unmirrored photo the subject's right eye is on the image's left).

Range: the short-range model is made for selfie-like framing. Faces wider than an eighth of the image's longer
side (16 px in the 128 px tensor) are found reliably; under a tenth they are mostly missed (group photos).

Example:
    >>> finder = FaceFinder()
    >>> faces = select_faces(finder.find(pixels), min_score=0.5)
    >>> left, top, right, bottom = face_crop_box(faces[0], (width, height), margin=0.3)
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort
from PIL import Image

from fakescope.runtime.errors import InvalidImageError, ModelError
from fakescope.runtime.files import FileOverLimitError, read_regular_file
from fakescope.runtime.models import models_dir

INPUT_SIZE = 128
STRIDES = (8, 16, 16, 16)
ANCHORS_PER_CELL = 2
NUM_ANCHORS = 896
NUM_KEYPOINTS = 6
KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")
MODEL_FILE = Path("blazeface") / "face_detection_short_range.onnx"
MODEL_INPUT, MODEL_BOXES, MODEL_SCORES = "input", "regressors", "classificators"
MIN_SCORE = 0.5
IOU_THRESHOLD = 0.3
SCORE_CLIP = 100.0
MAX_MODEL_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Face:
    """One detected face, in the original image's pixel coordinates (x right, y down, edges not centres).

    `box` is (x0, y0, x1, y1); `keypoints` is float32 (6, 2) of (x, y) in `KEYPOINT_NAMES` order.
    """

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray = field(compare=False, repr=False)

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)

    @property
    def eye_angle(self) -> float:
        """Angle in degrees of the line from the subject's right eye to the left eye (0 = level, y down)."""
        (x0, y0), (x1, y1) = self.keypoints[0], self.keypoints[1]
        return math.degrees(math.atan2(y1 - y0, x1 - x0))

    def as_dict(self) -> dict:
        """A JSON-friendly record (box rounded to 0.1 px)."""
        return {
            "box": [round(float(v), 1) for v in self.box],
            "score": round(self.score, 4),
            "keypoints": {
                n: [round(float(v), 1) for v in p]
                for n, p in zip(KEYPOINT_NAMES, self.keypoints, strict=True)
            },
        }


@dataclass(frozen=True)
class Letterbox:
    """The model's input tensor and how to map its coordinates back to the photo's."""

    tensor: np.ndarray
    scale: tuple[float, float]
    offset: tuple[float, float]

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Map (..., 2) points from normalised tensor coordinates in [0, 1] to photo pixels."""
        offset = np.asarray(self.offset, np.float64)
        return (points * INPUT_SIZE - offset) / np.asarray(self.scale, np.float64)


def ssd_anchors(input_size: int = INPUT_SIZE, strides: tuple[int, ...] = STRIDES) -> np.ndarray:
    """Anchor centres (N, 2) as (x, y) in [0, 1], in the output order of MediaPipe's SsdAnchorsCalculator.

    Consecutive layers with the same stride share one grid with 2 anchors per layer per cell; anchors have a
    fixed size of 1, so only centres matter. For BlazeFace short range: 16*16*2 + 8*8*6 = 896 anchors.
    """
    grids, layer = [], 0
    while layer < len(strides):
        same = layer
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
        cells = input_size // strides[layer]
        centres = (np.arange(cells, dtype=np.float64) + 0.5) / cells
        ys, xs = np.meshgrid(centres, centres, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        grids.append(np.repeat(grid, ANCHORS_PER_CELL * (same - layer), axis=0))
        layer = same
    return np.concatenate(grids).astype(np.float32)


def letterbox(pixels: np.ndarray, size: int = INPUT_SIZE) -> Letterbox:
    """Fit uint8 (H, W, 3) `pixels` into a black size x size square: float32 (1, size, size, 3) in [-1, 1]."""
    height, width = pixels.shape[:2]
    scale = size / max(width, height)
    new_w, new_h = max(1, min(size, round(width * scale))), max(1, min(size, round(height * scale)))
    # reducing_gap=1.0: Pillow box-averages by the whole factor first, then interpolates the rest: an area
    # resize (tested against Image.BOX), and a 1024 px photo letterboxes in 0.7 ms instead of 1.2 ms with 2.0.
    resized = Image.fromarray(pixels).resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=1.0)
    left, top = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.full((1, size, size, 3), -1.0, np.float32)
    canvas[0, top : top + new_h, left : left + new_w] = np.asarray(resized, np.float32) / 127.5 - 1.0
    return Letterbox(canvas, scale=(new_w / width, new_h / height), offset=(left, top))


def decode(
    regressors: np.ndarray, classificators: np.ndarray, anchors: np.ndarray, input_size: int = INPUT_SIZE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw outputs → boxes (N, 4) x0 y0 x1 y1, keypoints (N, 6, 2), scores (N,), all normalised to the tensor.

    Scores are sigmoid(logit) with the logit clipped to ±100 as in MediaPipe, computed in float64.
    """
    raw = regressors.reshape(-1, 2 + NUM_KEYPOINTS, 2).astype(np.float64) / input_size
    centre = raw[:, 0] + anchors
    half = raw[:, 1] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 2:] + anchors[:, None, :]
    logits = np.clip(classificators.reshape(-1).astype(np.float64), -SCORE_CLIP, SCORE_CLIP)
    return boxes, keypoints, 1.0 / (1.0 + np.exp(-logits))


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in `a` (N, 4) with every box in `b` (M, 4); 0 for empty boxes."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter, dtype=np.float64), where=union > 0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = IOU_THRESHOLD) -> np.ndarray:
    """Greedy NMS: the kept boxes' indices, best first; a box goes if its IoU with a kept one > threshold."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best = order[0]
        keep.append(best)
        order = order[1:][iou_matrix(boxes[best : best + 1], boxes[order[1:]])[0] <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def weighted_nms(
    boxes: np.ndarray, scores: np.ndarray, values: np.ndarray, iou_threshold: float = IOU_THRESHOLD
) -> tuple[np.ndarray, np.ndarray]:
    """MediaPipe's weighted NMS: each cluster (the best remaining box and every box whose IoU with it exceeds
    the threshold) becomes the score-weighted mean of its `values` (N, D) rows, with the best score.

    Returns:
        (values (K, D), scores (K,)), best first.
    """
    order = np.argsort(-scores, kind="stable")
    merged, kept_scores = [], []
    while order.size:
        best = order[0]
        close = iou_matrix(boxes[best : best + 1], boxes[order])[0] > iou_threshold
        close[0] = True
        members = order[close]
        weights = scores[members]
        merged.append(weights @ values[members] / weights.sum())
        kept_scores.append(scores[best])
        order = order[~close]
    width = values.shape[1] if values.ndim == 2 else 0
    return np.asarray(merged, np.float64).reshape(-1, width), np.asarray(kept_scores, np.float64)


class FaceFinder:
    """BlazeFace short range on onnxruntime; `find` is safe to call from several threads.

    Args:
        model: path of the BlazeFace ONNX file. Defaults to `default_face_model_path()`.
        min_score: detections below this score are dropped. Defaults to 0.5 (MediaPipe's).
        iou_threshold: boxes overlapping more than this are merged or suppressed. Defaults to 0.3.
        nms_mode: "weighted" (MediaPipe's blend of overlapping boxes) or "plain" (greedy). Defaults to
            "weighted".
        threads: onnxruntime intra-op threads. Defaults to 1 (the model is small; one thread is fastest).

    Raises:
        ModelError: the file is missing or is not the BlazeFace graph.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        min_score: float = MIN_SCORE,
        iou_threshold: float = IOU_THRESHOLD,
        nms_mode: Literal["weighted", "plain"] = "weighted",
        threads: int = 1,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"`min_score` must be in [0, 1]. Received: min_score={min_score}")
        if not 0.0 <= iou_threshold <= 1.0:
            raise ValueError(f"`iou_threshold` must be in [0, 1]. Received: iou_threshold={iou_threshold}")
        if nms_mode not in ("weighted", "plain"):
            raise ValueError(f"`nms_mode` must be 'weighted' or 'plain'. Received: nms_mode={nms_mode!r}")
        if threads < 1:
            raise ValueError(f"`threads` must be >= 1. Received: threads={threads}")
        self.model_path = Path(model) if model is not None else default_face_model_path()
        self.session = _make_session(self.model_path, threads)
        self.min_score, self.iou_threshold, self.nms_mode = float(min_score), float(iou_threshold), nms_mode
        self.anchors = ssd_anchors()

    def __repr__(self) -> str:
        return (
            f"FaceFinder(model={str(self.model_path)!r}, min_score={self.min_score}, nms={self.nms_mode!r})"
        )

    def raw(self, tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Run the model on a float32 (1, 128, 128, 3) tensor in [-1, 1]: (regressors, classificators)."""
        boxes, scores = self.session.run([MODEL_BOXES, MODEL_SCORES], {MODEL_INPUT: tensor})
        return boxes, scores

    def find(self, pixels: np.ndarray) -> list[Face]:
        """The faces in a uint8 (H, W, 3) RGB image, best score first; [] when there is none.

        Raises:
            InvalidImageError: `pixels` is not a non-empty uint8 (H, W, 3) array.
        """
        if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 3:
            raise InvalidImageError(_bad_pixels(pixels))
        if pixels.shape[2] != 3 or min(pixels.shape[:2]) < 1:
            raise InvalidImageError(_bad_pixels(pixels))
        boxed = letterbox(np.ascontiguousarray(pixels))
        return self.faces_from(*self.raw(boxed.tensor), boxed)

    def faces_from(self, regressors: np.ndarray, classificators: np.ndarray, boxed: Letterbox) -> list[Face]:
        """Decode raw model outputs, keep scores >= min_score, run NMS and map the faces back to the photo."""
        boxes, keypoints, scores = decode(regressors, classificators, self.anchors)
        sure = (scores >= self.min_score) & np.all(boxes[:, 2:] > boxes[:, :2], axis=1)
        boxes, scores = boxes[sure], scores[sure]
        points = np.concatenate([boxes.reshape(-1, 2, 2), keypoints[sure]], axis=1)
        values = points.reshape(len(boxes), 2 * (2 + NUM_KEYPOINTS))
        if self.nms_mode == "weighted":
            values, scores = weighted_nms(boxes, scores, values, self.iou_threshold)
        else:
            keep = nms(boxes, scores, self.iou_threshold)
            values, scores = values[keep], scores[keep]
        points = boxed.to_image(values.reshape(-1, 2 + NUM_KEYPOINTS, 2)).astype(np.float32)
        return [_face(p, s) for p, s in zip(points, scores, strict=True)]


def default_face_model_path() -> Path:
    """The bundled BlazeFace model: `models_dir() / "blazeface" / "face_detection_short_range.onnx"`."""
    path = models_dir() / MODEL_FILE
    if not path.is_file():
        raise ModelError(f"the face detector {path} is missing; rebuild it with `fakescope faces build`")
    return path


_default_finder: FaceFinder | None = None
_default_lock = threading.Lock()


def find_faces(pixels: np.ndarray) -> list[Face]:
    """The faces in a uint8 (H, W, 3) image with the bundled detector and MediaPipe's settings, best first."""
    global _default_finder
    with _default_lock:
        if _default_finder is None:
            _default_finder = FaceFinder()
    return _default_finder.find(pixels)


def select_faces(faces: list[Face], min_score: float = MIN_SCORE) -> list[Face]:
    """The faces scoring at least `min_score`, largest box first (ties: higher score first)."""
    return sorted((f for f in faces if f.score >= min_score), key=lambda f: (-f.area, -f.score))


def face_crop_box(face: Face, image_size: tuple[int, int], margin: float = 0.3) -> tuple[int, int, int, int]:
    """The square (left, top, right, bottom) crop of `face` inside an image of (width, height) pixels.

    The side is the face box's longer side times (1 + 2 * margin): `margin` is added on every side (the DFDC
    winner added about a third). Policy: never pad. The square is centred on the face box, shifted to lie
    inside the image when it sticks out, and shrunk to the image's shorter side when it cannot fit; so the
    crop holds only real pixels, stays square, and keeps the face as central as the photo allows.

    Example:
        >>> face_crop_box(Face((40, 40, 60, 60), 0.9, np.zeros((6, 2))), (100, 100), margin=0.5)
        (30, 30, 70, 70)
    """
    if margin < 0:
        raise ValueError(f"`margin` must be >= 0. Received: margin={margin}")
    width, height = image_size
    side = min(max(1, round(max(face.width, face.height) * (1 + 2 * margin))), width, height)
    cx, cy = face.center
    left = min(max(round(cx - side / 2), 0), width - side)
    top = min(max(round(cy - side / 2), 0), height - side)
    return (left, top, left + side, top + side)


def crop_face(pixels: np.ndarray, face: Face, margin: float = 0.3, align: bool = False) -> np.ndarray:
    """The uint8 square crop of `face` (see `face_crop_box`), rotated upright by the eyes when `align`."""
    if align:
        return align_by_eyes(pixels, face, margin)
    left, top, right, bottom = face_crop_box(face, (pixels.shape[1], pixels.shape[0]), margin)
    return np.ascontiguousarray(pixels[top:bottom, left:right])


def crop_transform(
    face: Face, image_size: tuple[int, int], margin: float = 0.3, align: bool = False
) -> np.ndarray:
    """The 3x3 matrix taking (x, y, 1) in `crop_face`'s crop to the photo's pixels (continuous coordinates).

    Use it to draw the crop on the photo or to map a heatmap of the crop back (Pillow's AFFINE transform wants
    the inverse's first two rows). Without `align` it is a translation by the crop box's top-left corner.

    Example:
        >>> crop_transform(face, (512, 512)) @ [0, 0, 1]  # the crop's top-left corner in the photo
        array([149., 52., 1.])
    """
    left, top, right, _ = face_crop_box(face, image_size, margin)
    side = right - left
    angle = math.radians(face.eye_angle) if align else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = left + side / 2, top + side / 2
    return np.array(
        [
            [cos, -sin, cx - (cos - sin) * side / 2],
            [sin, cos, cy - (sin + cos) * side / 2],
            [0.0, 0.0, 1.0],
        ]
    )


def align_by_eyes(pixels: np.ndarray, face: Face, margin: float = 0.3) -> np.ndarray:
    """The uint8 square crop of `face_crop_box`'s size and centre, rotated so that the eyes are level.

    Corners the rotation brings in from outside the photo repeat its edge pixels (no black wedges).
    """
    image_size = (pixels.shape[1], pixels.shape[0])
    left, top, right, bottom = face_crop_box(face, image_size, margin)
    side = right - left
    reach = math.ceil(side * math.sqrt(0.5)) + 2  # half the diagonal, so any rotation stays in the window
    x0, y0 = (left + right) // 2 - reach, (top + bottom) // 2 - reach
    window = _edge_padded(pixels, x0, y0, 2 * reach)
    (a, b, c), (d, e, f), _ = crop_transform(face, image_size, margin, align=True)
    # Pillow's affine maps output (x, y) to input (a x + b y + c, d x + e y + f), in continuous coordinates.
    rotated = Image.fromarray(window).transform(
        (side, side), Image.Transform.AFFINE, (a, b, c - x0, d, e, f - y0), Image.Resampling.BILINEAR
    )
    return np.asarray(rotated, dtype=np.uint8)


def _edge_padded(pixels: np.ndarray, x0: int, y0: int, size: int) -> np.ndarray:
    """The size x size window of `pixels` at (x0, y0); parts outside the image repeat the nearest edge."""
    top, bottom, above = _span(y0, size, pixels.shape[0])
    left, right, before = _span(x0, size, pixels.shape[1])
    inside = pixels[top:bottom, left:right]
    pads = ((above, size - above - (bottom - top)), (before, size - before - (right - left)), (0, 0))
    if pads == ((0, 0), (0, 0), (0, 0)):
        return np.ascontiguousarray(inside)
    return np.pad(inside, pads, mode="edge")


def _span(start: int, size: int, limit: int) -> tuple[int, int, int]:
    """(first, end, edge copies before) of the pixels read by the window [start, start + size) of a side."""
    first = min(max(start, 0), limit - 1)
    end = max(min(start + size, limit), first + 1)
    return first, end, min(max(first - start, 0), size - (end - first))


def _face(points: np.ndarray, score: float) -> Face:
    box = (float(points[0, 0]), float(points[0, 1]), float(points[1, 0]), float(points[1, 1]))
    keypoints = points[2:].copy()
    keypoints.setflags(write=False)
    return Face(box=box, score=float(score), keypoints=keypoints)


def _make_session(path: Path, threads: int) -> ort.InferenceSession:
    try:
        data = read_regular_file(path, MAX_MODEL_BYTES)
    except FileOverLimitError as err:
        raise ModelError(
            f"face detector {path} is {err.size / 1e6:.0f} MB or more; BlazeFace is under 1 MB"
        ) from None
    except FileNotFoundError:
        raise ModelError(f"face detector not found: {path}") from None
    except OSError as err:
        raise ModelError(f"cannot read face detector {path}: {err.strerror or err}") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as err:
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ModelError(f"{path} is not a usable ONNX model: {first_line[:200]}") from None
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    if (
        inputs.get(MODEL_INPUT) != [1, INPUT_SIZE, INPUT_SIZE, 3]
        or outputs.get(MODEL_BOXES) != [1, NUM_ANCHORS, 16]
        or outputs.get(MODEL_SCORES) != [1, NUM_ANCHORS, 1]
    ):
        raise ModelError(f"{path} is not BlazeFace short range: inputs {inputs}, outputs {outputs}")
    return session


def _bad_pixels(pixels: object) -> str:
    shape = getattr(pixels, "shape", None)
    dtype = getattr(pixels, "dtype", type(pixels).__name__)
    return f"face search needs a uint8 (H, W, 3) array. Received: dtype={dtype}, shape={shape}"
