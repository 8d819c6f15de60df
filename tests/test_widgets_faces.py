"""The DetectorDashboard on a group photo: every face boxed, its Grad-CAM drawn back on the photo, and a
gallery giving each face its own verdict."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pytest
from image_factory import encode
from onnx_fixtures import write_tiny_model
from PIL import Image

pytest.importorskip("ipywidgets")
skdata = pytest.importorskip("skimage.data")

from fakescope.runtime import Detector  # noqa: E402
from fakescope.widgets import DetectorDashboard  # noqa: E402


@pytest.fixture(scope="module")
def group_photo() -> bytes:
    head = skdata.astronaut()[20:240, 120:330]
    pixels = np.full((420, 720, 3), (90, 104, 120), np.uint8)
    pixels[100:320, 20:230] = head
    pixels[150:370, 480:690] = head
    return encode(pixels, "PNG")


def _png(value: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(value)).convert("RGB"))


def test_each_face_gets_a_tile_with_its_verdict_and_the_photo_shows_every_cam(tmp_path, group_photo):
    model = write_tiny_model(tmp_path / "faces.onnx", face_crop={"enabled": True, "margin": 0.3})
    dashboard = DetectorDashboard(model, samples_folder=tmp_path / "none")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    dashboard.upload.value = (
        {
            "name": "group.png",
            "type": "image/png",
            "size": len(group_photo),
            "content": memoryview(group_photo),
            "last_modified": when,
        },
    )
    (card,) = dashboard.results.children
    expected = Detector(model).predict(group_photo, name="group.png")
    assert len(expected.faces) == 2
    tiles = card.gallery.children
    assert len(tiles) == 2
    for tile, face in zip(tiles, expected.faces, strict=True):
        caption = tile.children[1].value
        assert f"{face.prob_fake:.3f}" in caption
        assert ("FAKE" if face.prob_fake >= expected.threshold else "REAL") in caption
    overlay = _png(card.overlay.value)
    photo = _png(card.picture.value)
    assert overlay.shape == photo.shape  # the CAMs are drawn on the photo, not on one crop
    card.threshold = 0.999
    assert all("REAL" in tile.children[1].value for tile in card.gallery.children)
