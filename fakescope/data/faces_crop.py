"""Crop faces to the framing of scikit-image's LFW subset, measured with the same face detector.

The detector is the runtime's face front-end (BlazeFace, `fakescope.runtime.faces`), the one `Detector` runs
on uploads. `lfw_framing` runs it on the 100 LFW crops (upscaled 4x, edge-padded) and records where the 25x25
crop sits relative to the detected box; `crop_like_lfw` applies
that framing to any greyscale picture; `lfw_capture` first gives a high-resolution photo LFW's history (a
250x250 JPEG). The LFW crops carry no anti-aliasing (a measured fact: their mean |Laplacian| matches
point-sampled bilinear resizing, not area averaging), so the crop is resampled the same way.

Example:
    >>> framing = lfw_framing()
    >>> crop = crop_like_lfw(grey, framing)
    >>> crop.shape
    (25, 25)
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

LFW_SIZE = 25
"""Side of the LFW subset's crops, in pixels."""

LFW_SOURCE_SIZE = 250
"""Side of the original LFW photographs (JPEG) the crops were cut from."""

LFW_JPEG_QUALITY = 75

CALIBRATION_UPSCALE = 4


@dataclass(frozen=True)
class Box:
    """A detected face: top-left (row, col) and side, in pixels."""

    row: float
    col: float
    side: float


@dataclass(frozen=True)
class Framing:
    """A crop relative to a detected face box.

    side = scale x box side; centre = box centre + offset x box side (row, column).
    """

    scale: float
    offset_row: float
    offset_col: float

    def crop_box(self, box: Box) -> Box:
        side = box.side * self.scale
        centre_row = box.row + box.side / 2 + self.offset_row * box.side
        centre_col = box.col + box.side / 2 + self.offset_col * box.side
        return Box(centre_row - side / 2, centre_col - side / 2, side)

    def as_dict(self) -> dict[str, float]:
        return {
            "scale": round(self.scale, 4),
            "offset_row": round(self.offset_row, 4),
            "offset_col": round(self.offset_col, 4),
        }


@cache
def _detector():
    from fakescope.runtime.faces import FaceFinder

    return FaceFinder(threads=1)


def detect_face(grey: np.ndarray, min_side: int = 40) -> Box | None:
    """The largest face in a greyscale float image in [0, 1] as a square box around BlazeFace's, or None.

    Args:
        grey: 2-D float array in [0, 1].
        min_side: smallest face side kept, in pixels. Defaults to 40.
    """
    from fakescope.runtime.faces import select_faces

    if grey.ndim != 2:
        raise ValueError(f"`grey` must be 2-D. Received: shape={grey.shape}")
    if min(grey.shape) < min_side:
        return None
    luma = np.clip(np.rint(grey * 255.0), 0, 255).astype(np.uint8)
    faces = [
        f
        for f in select_faces(_detector().find(np.repeat(luma[..., None], 3, axis=2)))
        if f.width >= min_side
    ]
    if not faces:
        return None
    side = max(faces[0].width, faces[0].height)
    centre_x, centre_y = faces[0].center
    return Box(centre_y - side / 2, centre_x - side / 2, side)


def lfw_framing(faces: np.ndarray | None = None) -> Framing:
    """Where the LFW crops sit relative to the detector's box (median over the faces it finds).

    Args:
        faces: (N, 25, 25) floats in [0, 1]. Defaults to the 100 faces of `skimage.data.lfw_subset()`.
    """
    from skimage import transform

    if faces is None:
        faces = lfw_faces() / 255.0
    k, pad = CALIBRATION_UPSCALE, LFW_SIZE * CALIBRATION_UPSCALE // 2
    rows = []
    for face in faces:
        canvas = np.pad(transform.rescale(face, k, order=1), pad, mode="edge")
        box = detect_face(canvas)
        if box is not None:
            centre = LFW_SIZE * k / 2 + pad
            side = box.side
            rows.append(
                (
                    LFW_SIZE * k / side,
                    (centre - box.row - side / 2) / side,
                    (centre - box.col - side / 2) / side,
                )
            )
    if len(rows) < len(faces) // 2:
        raise RuntimeError(f"the face detector found only {len(rows)} of {len(faces)} LFW faces")
    scale, offset_row, offset_col = np.median(np.array(rows), axis=0)
    return Framing(float(scale), float(offset_row), float(offset_col))


def lfw_faces() -> np.ndarray:
    """The 100 LFW face crops of scikit-image as uint8 (100, 25, 25)."""
    from skimage import data

    return np.clip(np.rint(data.lfw_subset()[:100] * 255.0), 0, 255).astype(np.uint8)


def lfw_capture(rgb: np.ndarray, jpeg_quality: int = LFW_JPEG_QUALITY) -> np.ndarray:
    """Put a high-resolution face photo through LFW's capture chain: 250x250, JPEG, then 8-bit luma.

    Args:
        rgb: uint8 (H, W, 3) picture, the face framed as in FFHQ/LFW (roughly centred, half the width).
        jpeg_quality: JPEG quality of the round trip. Defaults to 75 (Pillow's default).

    Returns:
        uint8 (250, 250) greyscale.
    """
    small = Image.fromarray(rgb).resize((LFW_SOURCE_SIZE, LFW_SOURCE_SIZE), Image.Resampling.BOX)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=jpeg_quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("L"), dtype=np.uint8)


def crop_like_lfw(grey: np.ndarray, framing: Framing, box: Box | None = None) -> np.ndarray | None:
    """The 25x25 float crop (values 0..255) of the face in `grey`, framed like LFW; None when it does not fit.

    Args:
        grey: 2-D uint8 greyscale picture.
        framing: from `lfw_framing`.
        box: the face box; detected when None. Defaults to None.
    """
    from skimage import transform

    box = box if box is not None else detect_face(grey / 255.0)
    if box is None:
        return None
    crop = framing.crop_box(box)
    height, width = grey.shape
    if crop.row < 0 or crop.col < 0 or crop.row + crop.side > height or crop.col + crop.side > width:
        return None
    step = crop.side / LFW_SIZE
    # output pixel centre (i + 0.5) samples input coordinate top + (i + 0.5) * step - 0.5
    mapping = transform.AffineTransform(
        scale=(step, step), translation=(crop.col + step / 2 - 0.5, crop.row + step / 2 - 0.5)
    )
    return transform.warp(
        grey.astype(np.float64), mapping, output_shape=(LFW_SIZE, LFW_SIZE), order=1, preserve_range=True
    )
