"""Run every benchmark side by side in one process tree and write `benchmarks/results.md` (and the README's
benchmark section with `--readme`).

Usage:
    python -m benchmarks [--quick] [--readme]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.md"
DASHBOARD_TIMINGS = ROOT / "artifacts" / "browser" / "timings.json"
"""Written by the browser tests (`pytest -m browser`); reported when present."""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        cpu = model
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def peak_flops_subprocess() -> float:
    """One core's matmul peak, measured with OPENBLAS_CORETYPE/L2_SIZE unset (see `bench_flops`)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    code = "from benchmarks.bench_flops import peak_flops_one_core as p; print(p())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    return float(out.stdout.strip())


def eda_rate(count: int) -> float:
    from benchmarks.eda_speed import write_jpegs
    from fakescope.eda.stats import collect_stats

    with tempfile.TemporaryDirectory() as tmp:
        write_jpegs(Path(tmp), count)
        started = time.perf_counter()
        table = collect_stats(tmp, workers=2)
        return len(table) / (time.perf_counter() - started)


def faces_ms(runs: int) -> dict:
    from benchmarks.faces_speed import with_face
    from benchmarks.timing import measure
    from fakescope.runtime.faces import FaceFinder

    finder = FaceFinder(threads=1)
    pictures = {side: with_face(side) for side in (256, 1024)}
    return {side: measure(lambda p=pixels: finder.find(p), runs=runs) for side, pixels in pictures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the harness)")
    parser.add_argument("--readme", action="store_true", help="also replace the README's benchmark section")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    from benchmarks import bench_coldstart, bench_flops, bench_latency, bench_scan, report
    from fakescope.runtime import default_model_path

    runs = 15 if args.quick else 100
    started = time.perf_counter()
    results: dict = {"machine": machine(), "load_before": os.getloadavg()[0]}
    print("latency (exports small_cnn and MobileNetV2 at 160 px, converts to TFLite) ...", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        latency = bench_latency.run(runs=runs, keep=Path(tmp))
        results["latency"] = latency
        print("model sizes, FLOPs and the one-core peak ...", flush=True)
        peak = peak_flops_subprocess()
        results["flops"] = {
            arch: {"flops": bench_flops.model_flops(Path(tmp) / f"{arch}.onnx"), "peak_flops": peak}
            for arch in bench_latency.ARCHS
        }
        results["sizes"] = report.model_sizes(Path(tmp), default_model_path())
        print("cold start ...", flush=True)
        image = Path(tmp) / "calib" / "000000.jpg"
        results["cold"] = {
            "bundled": bench_coldstart.run(
                default_model_path(), default_model_path().with_suffix(".keras"), image, greyscale=True
            ),
            "small_cnn-160": bench_coldstart.run(
                Path(tmp) / "small_cnn.onnx", Path(tmp) / "small_cnn.keras", image, greyscale=False
            ),
        }
    print("scan ...", flush=True)
    results["scan"] = bench_scan.run(None, count=500 if args.quick else 2000)
    print("EDA and face front-end ...", flush=True)
    results["eda_images_per_s"] = eda_rate(300 if args.quick else 2000)
    results["faces"] = faces_ms(runs)
    demo = ROOT / "data" / "demo"
    if demo.is_dir():
        from benchmarks import bench_front_end

        results["front_end"] = bench_front_end.run(demo)
    else:
        print(f"skipping the face front-end AUC: {demo} is missing (build it with `make model`)", flush=True)
    print("video ...", flush=True)
    from benchmarks import video

    results["video"] = video.run(
        video.CACHE, repeats=1 if args.quick else 3, long_minutes=1 if args.quick else 10
    )
    if DASHBOARD_TIMINGS.exists():
        results["dashboard"] = json.loads(DASHBOARD_TIMINGS.read_text())
    results["load_after"] = os.getloadavg()[0]
    results["seconds"] = time.perf_counter() - started
    markdown = report.render(results)
    RESULTS.write_text(markdown)
    (RESULTS.with_suffix(".json")).write_text(json.dumps(report.jsonable(results), indent=2))
    if args.readme:
        report.update_readme(ROOT / "README.md", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
