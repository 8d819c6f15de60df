"""The edge runtime loads numpy, onnxruntime and Pillow only; the CLI starts without the heavy extras."""

from __future__ import annotations

import json
import subprocess
import sys

RUNTIME_ALLOWED = {"numpy", "onnxruntime", "PIL", "fakescope"}
HEAVY = (
    "tensorflow",
    "keras",
    "tf2onnx",
    "cv2",
    "pandas",
    "plotly",
    "ipywidgets",
    "sklearn",
    "scipy",
    "onnx",
    "cryptography",
)

_THIRD_PARTY_LOADED = """
import sys
_before = set(sys.modules)


def third_party_loaded():
    tops = {name.split(".")[0] for name in set(sys.modules) - _before}
    return sorted(t for t in tops if t not in sys.stdlib_module_names and t not in sys.builtin_module_names)
"""


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _THIRD_PARTY_LOADED + code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_runtime_and_a_prediction_load_only_numpy_onnxruntime_and_pillow(tiny_model_path):
    report = _run(f"""
import json
import numpy as np
import fakescope.runtime as rt
result = rt.Detector({str(tiny_model_path)!r}).predict(np.full((64, 64, 3), 128, np.uint8))
import fakescope.runtime.scan
print(json.dumps({{"prob": result.prob_fake, "loaded": third_party_loaded()}}))
""")
    assert 0.0 <= report["prob"] <= 1.0
    assert set(report["loaded"]) <= RUNTIME_ALLOWED, set(report["loaded"]) - RUNTIME_ALLOWED


def test_the_allowlist_check_would_catch_a_runtime_that_imported_more(tiny_model_path):
    report = _run("""
import json
import fakescope.runtime
import onnx  # what a careless runtime import would add
print(json.dumps({"loaded": third_party_loaded()}))
""")
    assert "onnx" in set(report["loaded"]) - RUNTIME_ALLOWED


def test_cli_predict_does_not_import_heavy_packages():
    report = _run(f"""
import json
import fakescope.cli.main
print(json.dumps({{"loaded": sorted(m for m in {HEAVY!r} if m in sys.modules)}}))
""")
    assert report["loaded"] == []
