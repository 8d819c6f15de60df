"""Single-image latency, end to end (decode a 256x256 JPEG, preprocess, P(fake) and Grad-CAM), side by side:

- fakescope `Detector` on the exported ONNX model, FP32 and INT8, with its in-graph CAM;
- the original app's path on the same Keras model: `model.predict(x)` plus a tf.GradientTape Grad-CAM;
- TensorFlow Lite (XNNPACK) FP32 and full-integer INT8 of the same model, P(fake) only (it has no CAM).

Every engine is measured at 1 thread and at all cores, on the same image, in the same process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.images import write_jpegs
from benchmarks.timing import Stats, measure
from fakescope.runtime import Detector, InputSpec, preprocess

ARCHS = ("small_cnn", "mobilenet_v2")
INPUT_SIZE = 160


def _keras_model(arch: str, folder: Path) -> Path:
    """A model with random weights and a non-trivial head, saved as .keras."""
    from fakescope.train.models import build_model

    model = build_model(arch, INPUT_SIZE, seed=0)
    dense = model.get_layer("logit")
    kernel, bias = dense.get_weights()
    dense.set_weights([np.random.default_rng(0).normal(0, 1, kernel.shape).astype(np.float32), bias])
    path = folder / f"{arch}.keras"
    model.save(path)
    return path


def _keras_path(keras_file: Path, image: Path, threads: int, runs: int) -> Stats:
    """The original app's path, in a fresh process so TensorFlow's thread count can be set."""
    command = [sys.executable, "-m", "benchmarks.keras_path", str(keras_file), str(image)]
    command += ["--threads", str(threads), "--runs", str(runs)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    return Stats(**json.loads(out.stdout.strip().splitlines()[-1]))


def _tflite_runners(
    model, spec: InputSpec, image: Path, calib: list[Path], threads: int
) -> dict[str, object]:
    import tensorflow as tf

    runners = {}
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    fp32 = converter.convert()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([preprocess(p, spec)[None]] for p in calib[:64])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    int8 = converter.convert()
    for precision, flatbuffer in (("fp32", fp32), ("int8", int8)):
        interpreter = tf.lite.Interpreter(model_content=flatbuffer, num_threads=threads)
        interpreter.allocate_tensors()
        inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]

        def run(interpreter=interpreter, inp=inp, out=out):
            x = preprocess(image, spec)[None]
            if inp["dtype"] != np.float32:
                scale, zero = inp["quantization"]
                x = np.clip(np.round(x / scale + zero), -128, 127).astype(inp["dtype"])
            interpreter.set_tensor(inp["index"], x)
            interpreter.invoke()
            return interpreter.get_tensor(out["index"])

        runners[precision] = run
    return runners


def _quantized_variants(onnx_file: Path, card, calib: list[Path]) -> None:
    """INT8 and FP16 files beside `onnx_file`, for timing only.

    `export_model` holds quantised models to accuracy gates against the FP32 model, which random-weight
    backbones fail (their features are not what calibration expects); speed does not depend on the weights.
    """
    from dataclasses import replace

    from fakescope.export.card_io import seal_model
    from fakescope.export.quantize import ImageCalibrationReader, convert_fp16, quantize_int8

    source = onnx_file.read_bytes()
    variants = {
        "int8": quantize_int8(source, ImageCalibrationReader(calib, card.input_spec)),
        "fp16": convert_fp16(source),
    }
    for precision, model in variants.items():
        path = onnx_file.with_name(f"{onnx_file.stem}-{precision}.onnx")
        path.write_bytes(seal_model(model, replace(card, precision=precision)))


def run(runs: int = 100, keep: Path | None = None) -> dict:
    """Latency rows {arch: {engine: {threads: Stats}}}; the exported models stay in `keep` when given."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from fakescope.export.pipeline import export_model

    all_cores = os.cpu_count() or 1
    thread_counts = sorted({1, all_cores})
    results: dict = {"threads": thread_counts}
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        calib = write_jpegs(folder / "calib", 64)
        image = calib[0]
        for arch in ARCHS:
            keras_file = _keras_model(arch, folder)
            onnx_file = folder / f"{arch}.onnx"
            fp32 = export_model(keras_file, onnx_file)["fp32"]  # converted and validated against Keras
            _quantized_variants(onnx_file, fp32.card, calib)
            model = keras.models.load_model(keras_file, compile=False)
            spec = InputSpec(INPUT_SIZE, INPUT_SIZE)
            rows: dict[str, dict[int, Stats]] = {}
            for threads in thread_counts:
                for precision, path in (
                    ("fp32", onnx_file),
                    ("int8", onnx_file.with_name(f"{arch}-int8.onnx")),
                ):
                    detector = Detector(path, threads=threads)
                    rows.setdefault(f"fakescope {precision} + CAM", {})[threads] = measure(
                        lambda d=detector: d.predict(image), runs=runs
                    )
                for precision, runner in _tflite_runners(model, spec, image, calib, threads).items():
                    rows.setdefault(f"TFLite {precision} (no CAM)", {})[threads] = measure(runner, runs=runs)
                rows.setdefault("Keras predict + GradientTape", {})[threads] = _keras_path(
                    keras_file, image, threads, runs=max(10, runs // 5)
                )
            results[arch] = rows
    return results
