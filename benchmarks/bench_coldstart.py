"""Cold start and peak memory: a fresh process that loads a model and predicts one image.

fakescope's runtime (onnxruntime) against the path it replaces (TensorFlow loading the .keras model).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUNTIME = """
import sys, json
from benchmarks.peak import peak_rss_mb
from fakescope.runtime import Detector
result = Detector(sys.argv[1]).predict(sys.argv[2])
print(json.dumps({"rss_mb": peak_rss_mb(), "p": result.prob_fake}))
"""

KERAS = """
import os, sys, json
from benchmarks.peak import peak_rss_mb
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras
from fakescope.runtime import InputSpec, preprocess
model = keras.models.load_model(sys.argv[1], compile=False)
size = model.input_shape[1]
greyscale = sys.argv[3] == "1"
x = preprocess(sys.argv[2], InputSpec(size, size, greyscale))[None]
p = float(model.predict(x, verbose=0)[0, 0])
print(json.dumps({"rss_mb": peak_rss_mb(), "p": p}))
"""


def _cold(code: str, args: list[str], repeats: int) -> dict:
    walls, rss = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        command = [sys.executable, "-c", code, *args]
        out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        rss.append(json.loads(out.stdout.strip().splitlines()[-1])["rss_mb"])
    return {"wall_s": statistics.median(walls), "peak_rss_mb": statistics.median(rss)}


def run(onnx_model: Path, keras_model: Path | None, image: Path, greyscale: bool, repeats: int = 5) -> dict:
    result = {"runtime": _cold(RUNTIME, [str(onnx_model), str(image)], repeats)}
    if keras_model is not None:
        result["keras"] = _cold(
            KERAS, [str(keras_model), str(image), "1" if greyscale else "0"], max(2, repeats // 2)
        )
    return result
