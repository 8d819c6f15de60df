"""Cost of the CAM family and of the faithfulness scores, per image, on one CPU thread.

1. In-graph overhead: the session run that `predict` does (logit, OOD score, cam) on the graph as exported
   before the CAM family (its extra outputs removed, so onnxruntime drops their nodes) against the exported
   graph returning every closed-form map too. The target is <= 5% added to inference.
2. Each method's map alone (`explain_view`, no faithfulness), and ROAD + deletion/insertion for one map.

Usage:
    python -m benchmarks.cam_cost [--archs small_cnn,mobilenet_v2] [--size 160] [--runs 100] [--bundled]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from benchmarks.timing import measure
from fakescope.export.card_io import seal_model
from fakescope.runtime import Detector, ModelCard
from fakescope.runtime.explain import explain_view, method_names
from fakescope.runtime.spec import EXPLAIN_OUTPUTS, INPUT_IMAGE, OUTPUT_CAM, OUTPUT_LOGIT, OUTPUT_OOD

MAPS = [name for name in EXPLAIN_OUTPUTS if name.startswith("cam")]


def exported(arch: str, size: int) -> onnx.ModelProto:
    from fakescope.export.convert import convert
    from fakescope.train.models import build_model

    return convert(build_model(arch, size, seed=0))


def without_family(model: onnx.ModelProto) -> bytes:
    """The same graph without the CAM family's outputs (as models were exported before it)."""
    pruned = onnx.ModelProto()
    pruned.CopyFrom(model)
    keep = [o for o in pruned.graph.output if o.name not in EXPLAIN_OUTPUTS]
    del pruned.graph.output[:]
    pruned.graph.output.extend(keep)
    return pruned.SerializeToString()


def session(model: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def overhead(model: onnx.ModelProto, size: int, runs: int) -> dict[str, float]:
    batch = np.random.default_rng(0).random((1, size, size, 3), dtype=np.float32)
    base, full = session(without_family(model)), session(model.SerializeToString())
    # What Detector.predict asks for: the logit, the OOD score when the graph has one, and the CAM.
    names = [n for n in (OUTPUT_LOGIT, OUTPUT_OOD, OUTPUT_CAM) if n in {o.name for o in base.get_outputs()}]
    calls = {
        "before_ms": lambda: base.run(names, {INPUT_IMAGE: batch}),
        "predict_ms": lambda: full.run(names, {INPUT_IMAGE: batch}),
        "all_maps_ms": lambda: full.run([*names, *MAPS], {INPUT_IMAGE: batch}),
    }
    return interleaved(calls, runs)


def interleaved(calls: dict, runs: int) -> dict[str, float]:
    """Median ms of each call, the calls taking turns so that a change in machine load hits them alike."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(3):
        for call in calls.values():
            call()
    for _ in range(runs):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - started) * 1000.0)
    return {name: statistics.median(values) for name, values in samples.items()}


def sealed_detector(model: onnx.ModelProto, size: int) -> Detector:
    card = ModelCard(
        name="bench",
        version="0",
        architecture="bench",
        input_height=size,
        input_width=size,
        limitations="random weights; for benchmarks only",
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.onnx"
        path.write_bytes(seal_model(model, card))
        return Detector(path, threads=1)


def method_costs(detector: Detector, size: int, runs: int) -> dict[str, tuple[float, float]]:
    view = np.random.default_rng(1).integers(0, 256, (size, size, 3), dtype=np.uint8)
    costs = {}
    for method in method_names():
        alone = measure(lambda m=method: explain_view(detector, view, [m], faithfulness=False), runs=20)
        scored = measure(lambda m=method: explain_view(detector, view, [m]), runs=3, warmup=1)
        costs[method] = (alone.median_ms, scored.median_ms - alone.median_ms)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="small_cnn,mobilenet_v2")
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--bundled", action="store_true", help="Also the bundled demo model (32 px).")
    args = parser.parse_args()
    models = [
        (f"{arch} {args.size}px", exported(arch, args.size), args.size) for arch in args.archs.split(",")
    ]
    if args.bundled:
        path = Detector().model_path
        models.append(("bundled demo 32px", onnx.load(path), 32))
    for label, model, size in models:
        o = overhead(model, size, args.runs)
        added = 100.0 * (o["all_maps_ms"] - o["before_ms"]) / o["before_ms"]
        print(
            f"{label}, 1 thread: predict run {o['before_ms']:.2f} ms before the family, "
            f"{o['predict_ms']:.2f} ms on the new graph, {o['all_maps_ms']:.2f} ms with all 5 maps "
            f"({added:+.1f}%; target <= +5%)"
        )
        detector = Detector(threads=1) if label.startswith("bundled") else sealed_detector(model, size)
        print("| method | map alone, ms | faithfulness (ROAD + deletion/insertion), ms |")
        print("| --- | --- | --- |")
        for method, (alone, faith) in method_costs(detector, size, args.runs).items():
            print(f"| {method} | {alone:.2f} | {faith:.0f} |")


if __name__ == "__main__":
    main()
