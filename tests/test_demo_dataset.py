"""The demo dataset builder: framing, resampling, intensity match, files, shortcut check, the wheel."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from skimage import data as skdata

from fakescope.cli.data import data as data_command
from fakescope.data import demo, stylegan
from fakescope.data.demo import DemoConfig, Face, build_demo, match_intensity
from fakescope.data.faces_crop import (
    LFW_SIZE,
    Box,
    Framing,
    crop_like_lfw,
    detect_face,
    lfw_capture,
    lfw_framing,
)
from fakescope.data.layout import ImageRecord, discover
from fakescope.data.shortcut import shortcut_check
from fakescope.data.stylegan import FaceGenerator, GeneratorUnavailableError, fetch_wheel


def test_framing_places_the_crop_relative_to_the_box():
    crop = Framing(scale=1.2, offset_row=0.1, offset_col=-0.05).crop_box(Box(row=10, col=20, side=100))
    assert (crop.row, crop.col, crop.side) == pytest.approx((10.0, 5.0, 120.0))


@pytest.mark.parametrize("axis", [0, 1])
def test_crop_is_bilinear_point_sampling_at_pixel_centres(axis):
    ramp = np.indices((200, 200))[axis].astype(np.uint8)  # value = row (axis 0) or column (axis 1) index
    box = Box(row=30.0, col=40.0, side=50.0)
    crop = crop_like_lfw(ramp, Framing(1.0, 0.0, 0.0), box)
    start = (box.row, box.col)[axis]
    step = box.side / LFW_SIZE
    expected = start + (np.arange(LFW_SIZE) + 0.5) * step - 0.5  # centre of output pixel i in input pixels
    profile = crop[:, 0] if axis == 0 else crop[0, :]
    np.testing.assert_allclose(profile, expected, atol=1e-9)
    assert crop.shape == (LFW_SIZE, LFW_SIZE)


def test_crop_leaving_the_picture_is_refused():
    grey = np.zeros((100, 100), np.uint8)
    assert crop_like_lfw(grey, Framing(1.2, 0.0, 0.0), Box(row=0, col=10, side=80)) is None


def test_lfw_framing_is_close_to_the_detector_box():
    framing = lfw_framing()
    assert 0.95 < framing.scale < 1.2
    assert abs(framing.offset_row) < 0.15 and abs(framing.offset_col) < 0.15


def test_lfw_capture_is_a_250px_greyscale_of_the_picture():
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    picture = np.asarray(Image.fromarray(coarse).resize((1000, 1000), Image.Resampling.BICUBIC))
    grey = lfw_capture(picture)
    reference = np.asarray(Image.fromarray(picture).resize((250, 250), Image.Resampling.BOX).convert("L"))
    assert grey.shape == (250, 250) and grey.dtype == np.uint8
    assert np.abs(grey.astype(int) - reference).mean() < 3  # JPEG at quality 75 on a smooth picture


def test_match_intensity_gives_the_fakes_the_pooled_mean_and_std_of_the_reals():
    rng = np.random.default_rng(1)
    reals = [
        Face(rng.normal(110, 50, (25, 25)).clip(0, 255).round().astype(np.uint8), 0, "r", "r.png")
        for _ in range(30)
    ]
    fakes = [Face(rng.normal(140, 40, (25, 25)), 1, "f", f"{i}.png", i) for i in range(30)]
    mapped, stats = match_intensity(fakes, reals)
    fake_pixels = np.stack([f.pixels for f in mapped]).astype(float)
    real_pixels = np.stack([f.pixels for f in reals]).astype(float)
    assert fake_pixels.mean() == pytest.approx(real_pixels.mean(), abs=1.0)
    assert fake_pixels.std() == pytest.approx(real_pixels.std(), abs=1.0)
    assert mapped[0].pixels.dtype == np.uint8 and stats["gain"] == pytest.approx(
        real_pixels.std() / 40, rel=0.1
    )


def _write(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def test_shortcut_check_flags_a_size_difference_and_passes_alike_classes(tmp_path):
    rng = np.random.default_rng(2)
    alike, sized = [], []
    for i in range(40):
        for label in (0, 1):
            pixels = rng.integers(0, 256, (25, 25), dtype=np.uint8)
            alike.append(ImageRecord(_write(tmp_path / "a" / f"{label}_{i}.png", pixels), label, "train"))
            side = 25 if label == 0 else 30
            big = rng.integers(0, 256, (side, side), dtype=np.uint8)
            sized.append(ImageRecord(_write(tmp_path / "s" / f"{label}_{i}.png", big), label, "train"))
    assert shortcut_check(alike).near_chance
    report = shortcut_check(sized)
    assert not report.near_chance and report.worst_auc > 0.95
    assert "SHORTCUT" in report.summary()


class StandInGenerator:
    """The astronaut at 1024 px, shifted per seed: a face the detector finds, without the 37 MB wheel."""

    def __init__(self, ir_dir, truncation=0.5, threads=None):
        self.picture = np.asarray(Image.fromarray(skdata.astronaut()).resize((1024, 1024)))

    def face(self, seed):
        return np.roll(self.picture, 7 * seed, axis=1)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "fetch_wheel", lambda cache, wheel: tmp_path_factory.getbasetemp())
        patch.setattr(demo, "FaceGenerator", StandInGenerator)
        report = build_demo(out, DemoConfig(n_fake=6))
    return out, report


def test_demo_set_is_written_in_the_140k_layout_with_a_true_manifest(built):
    out, report = built
    records = discover(out)
    assert len(records) == 101 + 6
    assert sum(r.label == 0 for r in records) == 101
    assert report.counts == {
        "train": {"real": 71, "fake": 4},
        "valid": {"real": 15, "fake": 1},
        "test": {"real": 15, "fake": 1},
    }
    rows = list(csv.DictReader((out / "manifest.csv").read_text().splitlines()))
    assert len(rows) == len(records)
    for row in rows:
        path = out / row["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
        assert int(row["label"]) == (path.parent.name == "fake")
        assert (row["seed"] != "") == (row["label"] == "1")
    assert report.manifest_sha256 == hashlib.sha256((out / "manifest.csv").read_bytes()).hexdigest()


def test_both_classes_are_25px_greyscale_png(built):
    out, _ = built
    for record in discover(out):
        with Image.open(record.path) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "L", (25, 25))


def test_readme_states_provenance_licences_and_that_it_is_no_benchmark(built):
    out, report = built
    readme = (out / "README.md").read_text()
    for text in (
        "not a real-world benchmark",
        "BSD-3-Clause",
        "Apache-2.0",
        "public domain",
        "FFHQ",
        "random-face==2021.7.21.1",
        report.manifest_sha256,
        "Shortcut check",
    ):
        assert text in readme
    saved = json.loads((out / "build_report.json").read_text())
    assert saved["shortcut"]["roc_auc"] == report.shortcut.roc_auc


def test_rebuilding_needs_overwrite_and_is_reproducible(built, tmp_path):
    out, report = built
    with pytest.raises(FileExistsError, match="overwrite"):
        build_demo(out)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(demo, "fetch_wheel", lambda cache, wheel: tmp_path)
        patch.setattr(demo, "FaceGenerator", StandInGenerator)
        again = build_demo(out, DemoConfig(n_fake=6), overwrite=True)
    assert again.manifest_sha256 == report.manifest_sha256


def test_cli_refuses_a_non_empty_folder_in_one_line(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = CliRunner().invoke(data_command, ["demo", str(tmp_path)])
    assert result.exit_code == 1
    assert "not empty" in result.output and result.output.count("Error") == 1
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_a_wheel_that_is_not_the_pinned_file_is_refused(tmp_path):
    fake_wheel = tmp_path / stylegan.WHEEL_FILE
    with zipfile.ZipFile(fake_wheel, "w") as archive:
        archive.writestr("random_face/data/MappingNetwork.xml", "<net/>")
    with pytest.raises(GeneratorUnavailableError, match="sha256"):
        fetch_wheel(tmp_path / "cache", wheel=fake_wheel)


def test_offline_pip_gives_a_clear_message(tmp_path, monkeypatch):
    def offline(command, **kwargs):
        assert command[1:4] == ["-m", "pip", "download"] and "--no-deps" in command
        return subprocess.CompletedProcess(command, 1, "", "ERROR: Could not find a version (network down)")

    monkeypatch.setattr(stylegan.subprocess, "run", offline)
    with pytest.raises(GeneratorUnavailableError, match=r"offline\?.*--wheel"):
        fetch_wheel(tmp_path)


def test_cached_ir_files_are_used_without_pip(tmp_path, monkeypatch):
    ir_dir = tmp_path / "random_face-2021.7.21.1"
    ir_dir.mkdir()
    for name in stylegan.IR_FILES:
        (ir_dir / name).write_bytes(b"x")
    monkeypatch.setattr(stylegan.subprocess, "run", lambda *a, **k: pytest.fail("pip must not run"))
    monkeypatch.setenv("FAKESCOPE_CACHE", str(tmp_path))
    assert fetch_wheel() == ir_dir


def test_bad_demo_options_are_refused():
    with pytest.raises(ValueError, match="n_fake"):
        DemoConfig(n_fake=2)
    with pytest.raises(ValueError, match="first_seed"):
        DemoConfig(first_seed=99_500)


@pytest.mark.generator
def test_real_generator_builds_faces_the_detector_finds(tmp_path):
    generator = FaceGenerator(fetch_wheel(), truncation=0.5)
    face = generator.face(3)
    assert face.shape == (1024, 1024, 3) and face.dtype == np.uint8 and face.std() > 20
    assert np.array_equal(face, generator.face(3))
    found = [detect_face(lfw_capture(generator.face(seed)) / 255.0) for seed in range(4)]
    assert sum(box is not None for box in found) >= 3
    with pytest.raises(ValueError, match="seed"):
        generator.face(100_000)


@pytest.mark.generator
def test_demo_build_with_the_real_wheel(tmp_path):
    report = build_demo(tmp_path / "demo", DemoConfig(n_fake=5))
    fakes = [r for r in discover(tmp_path / "demo") if r.label == 1]
    assert len(fakes) == 5
    with Image.open(fakes[0].path) as image:
        assert image.size == (25, 25)
    assert report.seconds["total"] > 0


def test_png_encoding_is_lossless_8_bit_greyscale():
    pixels = np.arange(625, dtype=np.uint32).reshape(25, 25).astype(np.uint8)
    with Image.open(io.BytesIO(demo.encode_png(pixels))) as image:
        assert image.mode == "L" and np.array_equal(np.asarray(image), pixels)
