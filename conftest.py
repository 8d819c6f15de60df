"""The world the docstring examples run in (`pytest --doctest-modules fakescope/runtime fakescope/report`).

Each example runs in a folder holding a tiny sealed model (`model.onnx`), a few generated pictures
(`face.jpg`, `photo.jpg`, `a.jpg`, `scan.png`) and a small labelled dataset (`data/demo`), with the names
the examples use (`detector`, `model`, `dataset`, `scores`, `pixels`, ...) already defined. Nothing is
downloaded; the tests' own fixtures build it all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from _pytest.doctest import DoctestItem

sys.path.insert(0, str(Path(__file__).parent / "tests"))


@pytest.fixture(scope="session")
def doctest_world(tmp_path_factory) -> Path:
    from browser_support import FAKE_LOOK, MODEL_SEED, REAL_LOOK, face_image, write_dataset
    from onnx_fixtures import write_tiny_model
    from PIL import Image

    world = tmp_path_factory.mktemp("doctest-world")
    write_tiny_model(world / "model.onnx", seed=MODEL_SEED)
    face_image(*FAKE_LOOK, size=480).resize((640, 480)).save(world / "face.jpg", quality=92)
    face_image(*REAL_LOOK, size=480).resize((640, 480)).save(world / "photo.jpg", quality=92)
    face_image(*REAL_LOOK, size=256).save(world / "a.jpg", quality=92)
    Image.fromarray((np.tile(np.arange(512), (300, 1)) * 128).astype(np.uint16)).save(world / "scan.png")
    write_dataset(world / "data" / "demo", per_class=2)
    return world


@pytest.fixture(scope="session")
def _doctest_names(doctest_world) -> dict:
    import fakescope.report
    import fakescope.runtime
    from fakescope.data.layout import discover
    from fakescope.report import score_records
    from fakescope.runtime import Detector, load_image

    detector = Detector(doctest_world / "model.onnx")
    public = {
        name: getattr(package, name)
        for package in (fakescope.runtime, fakescope.report)
        for name in package.__all__
    }
    return {
        **public,
        "np": np,
        "Path": Path,
        "card": detector.card,
        "model": doctest_world / "model.onnx",
        "dataset": doctest_world / "data" / "demo",
        "detector": detector,
        "scores": score_records(detector, discover(doctest_world / "data" / "demo")),
        "pixels": load_image(doctest_world / "photo.jpg").pixels,
    }


@pytest.fixture(autouse=True)
def _doctest_folder(request, monkeypatch):
    """Docstring examples run inside the doctest world with its names defined; tests are left alone."""
    if isinstance(request.node, DoctestItem):
        world = request.getfixturevalue("doctest_world")
        monkeypatch.chdir(world)
        request.node.dtest.globs.update(request.getfixturevalue("_doctest_names"))
