"""The edge runtime never pulls in training, EDA or dashboard packages."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("tensorflow", "keras", "tf2onnx", "cv2", "pandas", "plotly", "ipywidgets", "cryptography")


def test_runtime_predicts_without_heavy_packages(tiny_model_path):
    code = f"""
import json, sys
import numpy as np
import fakescope.runtime as rt
detector = rt.Detector({str(tiny_model_path)!r})
result = detector.predict(np.full((64, 64, 3), 128, np.uint8))
import fakescope.runtime.scan
print(json.dumps({{"prob": result.prob_fake, "loaded": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert 0.0 <= report["prob"] <= 1.0
    assert report["loaded"] == []


def test_cli_predict_does_not_import_heavy_packages():
    code = f"""
import sys
import fakescope.cli.main
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
