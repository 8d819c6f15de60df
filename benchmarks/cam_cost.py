"""Cost of the CAM family and of the faithfulness scores, per image, on one CPU thread.

1. In-graph overhead: the session run that `predict` does (prob_fake + cam) on the graph as exported
   before the CAM family (its extra outputs removed, so onnxruntime drops their nodes) against the exported
   graph returning every closed-form map too. The target is <= 5% added to inference.
2. Each method's map alone (`explain_view`, no faithfulness), and ROAD + deletion/insertion for one map.

Usage:
    python -m benchmarks.cam_cost [--archs small_cnn,mobilenet_v2] [--size 160] [--runs 30]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from benchmarks.timing import measure
from fakescope.export.card_io import seal_model
from fakescope.runtime import Detector, ModelCard
from fakescope.runtime.explain import explain_view, method_names
from fakescope.runtime.spec import EXPLAIN_OUTPUTS, INPUT_IMAGE, OUTPUT_CAM, OUTPUT_NAMES, OUTPUT_PROB

MAPS = [name for name in EXPLAIN_OUTPUTS if name.startswith("cam")]


def exported(arch: str, size: int) -> onnx.ModelProto:
    from fakescope.export.convert import convert
    from fakescope.train.models import build_model

    return convert(build_model(arch, size, seed=0))


def without_family(model: onnx.ModelProto) -> bytes:
    """The same graph with only the outputs models had before the CAM family."""
    pruned = onnx.ModelProto()
    pruned.CopyFrom(model)
    keep = [o for o in pruned.graph.output if o.name in OUTPUT_NAMES]
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
    before = measure(lambda: base.run([OUTPUT_PROB, OUTPUT_CAM], {INPUT_IMAGE: batch}), runs=runs)
    same = measure(lambda: full.run([OUTPUT_PROB, OUTPUT_CAM], {INPUT_IMAGE: batch}), runs=runs)
    every = measure(lambda: full.run([OUTPUT_PROB, OUTPUT_CAM, *MAPS], {INPUT_IMAGE: batch}), runs=runs)
    return {"before_ms": before.median_ms, "predict_ms": same.median_ms, "all_maps_ms": every.median_ms}


def method_costs(model: onnx.ModelProto, size: int, runs: int) -> dict[str, tuple[float, float]]:
    card = ModelCard(name="bench", version="0", architecture="bench", input_height=size, input_width=size)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.onnx"
        path.write_bytes(seal_model(model, card))
        detector = Detector(path, threads=1)
    view = np.random.default_rng(1).integers(0, 256, (size, size, 3), dtype=np.uint8)
    costs = {}
    for method in method_names():
        alone = measure(lambda m=method: explain_view(detector, view, [m], faithfulness=False), runs=runs)
        scored = measure(lambda m=method: explain_view(detector, view, [m]), runs=3, warmup=1)
        costs[method] = (alone.median_ms, scored.median_ms - alone.median_ms)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--archs", default="small_cnn,mobilenet_v2")
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    for arch in args.archs.split(","):
        model = exported(arch, args.size)
        o = overhead(model, args.size, args.runs)
        added = 100.0 * (o["all_maps_ms"] - o["before_ms"]) / o["before_ms"]
        print(
            f"{arch} {args.size}px, 1 thread: predict run {o['before_ms']:.2f} ms before the family, "
            f"{o['predict_ms']:.2f} ms on the new graph, {o['all_maps_ms']:.2f} ms with all 5 maps "
            f"({added:+.1f}%; target <= +5%)"
        )
        print("| method | map alone, ms | faithfulness (ROAD + deletion/insertion), ms |")
        print("| --- | --- | --- |")
        for method, (alone, faith) in method_costs(model, args.size, args.runs).items():
            print(f"| {method} | {alone:.2f} | {faith:.0f} |")


if __name__ == "__main__":
    main()
