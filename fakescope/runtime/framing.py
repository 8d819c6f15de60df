"""Framing: which pictures of an image the model sees — each face's crop, or the centre crop.

With a face front-end, every confident face (largest first, at most `MAX_FACES`) is cropped as the model card
declares (square, enlarged by a margin, optionally levelled by the eyes) and reduced to the model's input;
with none, or without a front-end, the model sees the centre crop. Each view carries the 3x3 matrix that maps
its pixels back to the original photo, so a heatmap can be drawn where it belongs.

Example:
    >>> framed = frame(load_image("photo.jpg"), InputSpec(160, 160), FaceFinder(), FaceCrop(True, 0.3))
    >>> len(framed.views), framed.views[0].shape, framed.faces[0].box   # one face: its crop, and where it is
    (1, (160, 160, 3), (135, 86, 496, 448))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fakescope.runtime.face_crop import FaceCrop, crop_face, crop_transform, face_crop_box
from fakescope.runtime.faces import FaceFinder, select_faces
from fakescope.runtime.images import DecodedImage, ImageInfo
from fakescope.runtime.preprocess import InputSpec, crop_box, model_view

MAX_FACES = 16


@dataclass(frozen=True)
class FacePlacement:
    """Where one face and its crop lie in the original photo, and how its view maps onto the photo."""

    box: tuple[int, int, int, int]
    crop: tuple[int, int, int, int]
    score: float
    transform: np.ndarray


@dataclass(frozen=True)
class Framed:
    """The model views of one image: one per face, or a single centre crop when `faces` is empty.

    `copies` holds the framings of degraded copies of the image (test-time augmentation), else empty.
    """

    info: ImageInfo
    views: list[np.ndarray]
    faces: list[FacePlacement]
    copies: tuple[Framed, ...] = ()


def frame(
    decoded: DecodedImage,
    spec: InputSpec,
    finder: FaceFinder | None = None,
    crop: FaceCrop | None = None,
) -> Framed:
    """The model views of `decoded`: face crops (cut as `crop` says) when `finder` finds faces, else the
    centre crop. `crop` defaults to `FaceCrop()`."""
    crop = crop if crop is not None else FaceCrop()
    margin, align = crop.margin, crop.align
    faces = select_faces(finder.find(decoded.pixels))[:MAX_FACES] if finder is not None else []
    if not faces:
        return Framed(decoded.info, [model_view(decoded, spec)], [])
    height, width = decoded.pixels.shape[:2]
    to_photo = np.diag([decoded.info.width / width, decoded.info.height / height, 1.0])
    views, placements = [], []
    for face in faces:
        crop = crop_face(decoded.pixels, face, margin, align)
        views.append(model_view(DecodedImage(crop, decoded.info), spec))
        view_to_crop = _view_to_crop(crop.shape[1], crop.shape[0], spec)
        transform = to_photo @ crop_transform(face, (width, height), margin, align) @ view_to_crop
        placements.append(
            FacePlacement(
                box=_scaled(face.box, to_photo, decoded.info),
                crop=_scaled(face_crop_box(face, (width, height), margin), to_photo, decoded.info),
                score=float(face.score),
                transform=transform,
            )
        )
    return Framed(decoded.info, views, placements)


def _view_to_crop(crop_width: int, crop_height: int, spec: InputSpec) -> np.ndarray:
    left, top, right, bottom = crop_box((crop_width, crop_height), spec)
    return np.array(
        [[(right - left) / spec.width, 0.0, left], [0.0, (bottom - top) / spec.height, top], [0.0, 0.0, 1.0]]
    )


def _scaled(box, to_photo: np.ndarray, info: ImageInfo) -> tuple[int, int, int, int]:
    """`box` in the photo's pixels, clipped to the photo (a detection may reach past its edge)."""
    x0, y0, x1, y1 = box
    sx, sy = to_photo[0, 0], to_photo[1, 1]
    return (
        _clip(x0 * sx, info.width),
        _clip(y0 * sy, info.height),
        _clip(x1 * sx, info.width),
        _clip(y1 * sy, info.height),
    )


def _clip(value: float, limit: int) -> int:
    return min(max(round(value), 0), limit)
