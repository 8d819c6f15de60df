"""FIFOs, devices and oversized files are refused for images and models alike, without hanging or reading
without bound."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from image_factory import fakescope_command

from fakescope.runtime import Detector, InvalidImageError, ModelError, load_image
from fakescope.runtime.files import FileOverLimitError, NotRegularFileError, read_regular_file

pytestmark = [
    pytest.mark.timeout(30),
    pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX only"),
]


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "model.onnx"
    os.mkfifo(path)  # nobody ever writes: reading it would block forever
    return path


def test_a_fifo_is_refused_without_blocking(fifo):
    with pytest.raises(NotRegularFileError, match="a FIFO"):
        read_regular_file(fifo, 100)
    with pytest.raises(ModelError, match="is a FIFO, not a regular file"):
        Detector(fifo)
    with pytest.raises(InvalidImageError, match="a FIFO"):
        load_image(fifo.rename(fifo.with_suffix(".png")))


def test_dev_zero_is_refused_not_read_without_bound():
    with pytest.raises(ModelError, match="a character device"):
        Detector("/dev/zero")
    with pytest.raises(InvalidImageError, match="a character device"):
        load_image("/dev/zero")


def test_fakescope_info_on_a_fifo_prints_one_line(fifo):
    out = subprocess.run(
        [*fakescope_command(), "info", str(fifo)], capture_output=True, text=True, timeout=20
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [f"Error: model {fifo} is a FIFO, not a regular file"]


def test_reading_stops_at_the_limit(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 1000)
    assert read_regular_file(path, 1000) == b"x" * 1000
    with pytest.raises(FileOverLimitError) as caught:
        read_regular_file(path, 999)
    assert (caught.value.size, caught.value.limit) == (1000, 999)
    with pytest.raises(IsADirectoryError):
        read_regular_file(tmp_path, 10)


def test_a_model_over_the_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.onnx"
    with path.open("wb") as handle:  # sparse: 600 MB declared, nothing written
        handle.truncate(600 * 10**6)
    with pytest.raises(ModelError, match="over the 537 MB limit"):
        Detector(path)


def test_fakescope_predict_rejects_fifos_named_like_images_or_videos(tmp_path):
    for name in ("still.png", "clip.mp4"):
        os.mkfifo(tmp_path / name)
    paths = [str(tmp_path / "still.png"), str(tmp_path / "clip.mp4")]
    out = subprocess.run(
        [*fakescope_command(), "predict", *paths], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert out.stderr.count("not a regular file (a FIFO)") == 2


def test_the_dask_worker_plugin_reads_models_with_the_same_bounds(fifo):
    pytest.importorskip("distributed")
    from fakescope.cluster.plugin import DetectorPlugin

    for path in (fifo, "/dev/zero"):
        with pytest.raises(ModelError, match="not a regular file"):
            DetectorPlugin.from_file(path)
