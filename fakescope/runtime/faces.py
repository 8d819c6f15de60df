"""Find faces with MediaPipe's BlazeFace (short range) on onnxruntime: decode, NMS, `FaceFinder`.

Cutting the found faces out (crop geometry, eye alignment, the `FaceCrop` settings) is
`fakescope.runtime.face_crop`'s job.

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
from fakescope.runtime.models import models_dir
from fakescope.runtime.sessions import make_session, read_model_bytes

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
"""BlazeFace short range is under 1 MB."""


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


def _face(points: np.ndarray, score: float) -> Face:
    box = (float(points[0, 0]), float(points[0, 1]), float(points[1, 0]), float(points[1, 1]))
    keypoints = points[2:].copy()
    keypoints.setflags(write=False)
    return Face(box=box, score=float(score), keypoints=keypoints)


def _make_session(path: Path, threads: int) -> ort.InferenceSession:
    data = read_model_bytes(path, MAX_MODEL_BYTES, what="face detector")
    session = make_session(data, path, threads=threads)
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
