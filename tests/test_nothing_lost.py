"""Nothing lost: a scan of 10,000 files killed halfway and resumed reports every file exactly once, and
sixteen threads sharing one Detector give exactly the single-thread results."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from image_factory import fakescope_command
from PIL import Image

from fakescope.runtime import Detector

N_FILES = 10_000
CORRUPT_EVERY = 20  # 5 %


@pytest.fixture(scope="module")
def ten_thousand(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scan10k")
    rng = np.random.default_rng(0)
    tiles = [Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)) for _ in range(50)]
    encoded = []
    for tile in tiles:
        buffer = io.BytesIO()
        tile.save(buffer, "JPEG", quality=80)
        encoded.append(buffer.getvalue())
    for i in range(N_FILES):
        data = encoded[i % len(encoded)]
        if i % CORRUPT_EVERY == 0:
            data = data[: len(data) // 3]
        (folder / f"{i:05d}.jpg").write_bytes(data)
    return folder


def _rows(report):
    with report.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_killed_scan_resumes_with_every_file_exactly_once(tiny_model_path, ten_thousand, tmp_path):
    report = tmp_path / "report.csv"
    command = [
        *fakescope_command(),
        "scan",
        str(ten_thousand),
        "--model",
        str(tiny_model_path),
        "--out",
        str(report),
        "--batch-size",
        "16",
        "--workers",
        "1",
    ]
    env = {**os.environ, "TQDM_DISABLE": "1"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if report.exists() and report.stat().st_size > 0 and report.read_bytes().count(b"\n") > N_FILES // 2:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    assert process.wait(timeout=60) == -signal.SIGKILL, "the scan finished before it could be killed"
    partial = len(_rows(report))
    assert 0 < partial < N_FILES

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=600, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{partial} already in the report" in resumed.stderr
    rows = _rows(report)
    paths = [row["path"] for row in rows]
    assert len(paths) == N_FILES and len(set(paths)) == N_FILES
    errors = [row for row in rows if row["error"]]
    assert len(errors) == N_FILES // CORRUPT_EVERY
    assert all(int(os.path.basename(row["path"])[:5]) % CORRUPT_EVERY == 0 for row in errors)
    assert all(row["label"] in ("REAL", "FAKE") for row in rows if not row["error"])


def test_sixteen_threads_match_one_thread_on_500_images(tiny_model_path):
    detector = Detector(tiny_model_path)
    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (48 + i % 17, 48 + i % 13, 3), dtype=np.uint8) for i in range(500)]
    single = [detector.predict(image) for image in images]
    with ThreadPoolExecutor(max_workers=16) as pool:
        shared = list(pool.map(detector.predict, images))
    assert [r.prob_fake for r in shared] == [r.prob_fake for r in single]
    for a, b in zip(shared, single, strict=True):
        np.testing.assert_array_equal(a.cam, b.cam)
