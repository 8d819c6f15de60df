"""Pictures for display: PNG bytes for `ipywidgets.Image`, sized for the page, and Grad-CAM views.

The heatmap and the overlay come from the runtime's `overlay` (jet colour map, red = high attention);
this module only scales pictures for the screen.

Example:
    >>> cam_png, overlay_png = cam_pictures(prediction, side=200, alpha=0.45)
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from fakescope.report.style import CLASS_COLORS
from fakescope.runtime import Prediction, overlay, place_cams
from fakescope.runtime.spec import class_name

DISPLAY_SIDE = 200
"""Side in pixels of the pictures of a result card."""


def png_bytes(pixels: np.ndarray) -> bytes:
    """Encode uint8 (H, W, 3) pixels as PNG."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def fit(pixels: np.ndarray, side: int) -> np.ndarray:
    """Scale uint8 (H, W, 3) pixels up or down so the longer side is `side`, keeping the aspect ratio."""
    height, width = pixels.shape[:2]
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if size == (width, height):
        return pixels
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def cam_pictures(
    prediction: Prediction, side: int = DISPLAY_SIDE, alpha: float = 0.45
) -> tuple[bytes, bytes]:
    """PNGs of the Grad-CAM heatmap and of its overlay on the model's view, both `side` x `side`."""
    view = fit(prediction.view, side)
    return png_bytes(overlay(view, prediction.cam, 1.0)), png_bytes(overlay(view, prediction.cam, alpha))


def overlay_png(prediction: Prediction, side: int = DISPLAY_SIDE, alpha: float = 0.45) -> bytes:
    """PNG of the Grad-CAM overlay alone (for opacity changes)."""
    return png_bytes(overlay(fit(prediction.view, side), prediction.cam, alpha))


def mark_faces(pixels: np.ndarray, prediction: Prediction) -> np.ndarray:
    """`pixels` (the photo at any scale) with a box around each face the front-end found, coloured by that
    face's verdict; the face that decided the image's verdict gets the thicker box.
    """
    if not prediction.faces:
        return pixels
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    scale_x, scale_y = image.width / prediction.info.width, image.height / prediction.info.height
    thin = max(1, round(min(image.size) / 90))
    for face in prediction.faces:
        label = class_name(face.prob_fake, prediction.threshold)
        x0, y0, x1, y1 = face.box
        draw.rectangle(
            (x0 * scale_x, y0 * scale_y, x1 * scale_x, y1 * scale_y),
            outline=CLASS_COLORS[label],
            width=2 * thin if face is prediction.face else thin,
        )
    return np.asarray(image)


def photo_overlay_png(photo: np.ndarray, prediction: Prediction, alpha: float = 0.45) -> bytes:
    """PNG of every face's Grad-CAM drawn back onto `photo` (the photo at display scale), where it lies."""
    faces = prediction.faces
    scale = photo.shape[1] / prediction.info.width
    size = (photo.shape[1], photo.shape[0])
    cam = place_cams([f.cam for f in faces], [f.transform for f in faces], size, scale)
    return png_bytes(overlay(photo, cam, alpha))


def face_overlay_png(view: np.ndarray, cam: np.ndarray, side: int, alpha: float = 0.45) -> bytes:
    """PNG of one face's Grad-CAM overlay on the crop the model saw, `side` pixels wide."""
    return png_bytes(overlay(fit(view, side), cam, alpha))
