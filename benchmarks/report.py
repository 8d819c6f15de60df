"""Render benchmark results as Markdown (targets and ratios next to the figures) and update the README."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from pathlib import Path

from benchmarks.timing import Stats

START, END = "<!-- BENCHMARKS-START -->", "<!-- BENCHMARKS-END -->"


def model_sizes(folder: Path, bundled: Path) -> dict:
    """Bytes on disk of the FP32/INT8/FP16 files of the bundled model and of each benchmarked model."""
    sizes = {}
    for stem, base in [("bundled", bundled)] + [
        (p.stem, p) for p in sorted(folder.glob("*.onnx")) if "-" not in p.stem
    ]:
        sizes[stem] = {
            precision: path.stat().st_size
            for precision, path in (
                ("fp32", base),
                ("int8", base.with_name(f"{base.stem}-int8.onnx")),
                ("fp16", base.with_name(f"{base.stem}-fp16.onnx")),
            )
            if path.exists()
        }
    return sizes


def jsonable(value):
    if is_dataclass(value):
        return asdict(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def render(results: dict) -> str:
    lines = [
        f"Measured by `python -m benchmarks` on {results['machine']} (load average "
        f"{results['load_before']:.1f} before, {results['load_after']:.1f} after; "
        f"{results['seconds'] / 60:.1f} min). Medians of many runs, p90 in brackets; every row of a table "
        "was measured in the same run.",
        "",
    ]
    lines += _latency(results["latency"], results["flops"])
    lines += _cold(results["cold"])
    lines += _scan(results["scan"])
    lines += _sizes(results["sizes"])
    lines += _other(results)
    return "\n".join(lines) + "\n"


def _ms(stats: Stats) -> str:
    return f"{stats.median_ms:.2f} ({stats.p90_ms:.2f})"


def _latency(latency: dict, flops: dict) -> list[str]:
    threads = latency["threads"]
    out = []
    for arch in (k for k in latency if k != "threads"):
        rows = latency[arch]
        keras = rows["Keras predict + GradientTape"]
        out += [
            f"**Single image end to end, {arch} at 160 px** (decode a 256x256 JPEG, preprocess, P(fake) "
            "and Grad-CAM; TFLite gives P(fake) only), ms:",
            "",
            "| engine | "
            + " | ".join(f"{t} thread{'s' if t > 1 else ''}" for t in threads)
            + " | vs Keras (1 thread) |",
            "| --- | " + " | ".join("---" for _ in threads) + " | --- |",
        ]
        for engine, by_threads in rows.items():
            ratio = keras[threads[0]].median_ms / by_threads[threads[0]].median_ms
            cells = " | ".join(_ms(by_threads[t]) for t in threads)
            out.append(f"| {engine} | {cells} | {ratio:.0f}x |")
        fp32 = rows["fakescope fp32 + CAM"][threads[0]].median_ms
        int8 = rows["fakescope int8 + CAM"][threads[0]].median_ms
        tfl = rows["TFLite fp32 (no CAM)"][threads[0]].median_ms
        info = flops[arch]
        floor_ms = info["flops"] / info["peak_flops"] * 1000
        out += [
            "",
            f"INT8 / FP32 speed-up at 1 thread: {fp32 / int8:.2f}x (target 1.5x). fakescope FP32 with CAM "
            f"vs TFLite FP32 without: {tfl / fp32:.2f}x as fast. Model: {info['flops'] / 1e6:.1f} MFLOP "
            f"per image; one core's measured matmul peak {info['peak_flops'] / 1e9:.0f} GFLOP/s, so the "
            "compute floor is "
            f"{floor_ms:.2f} ms and FP32 inference runs at "
            f"{floor_ms / fp32 * 100:.0f}% of it end to end.",
            "",
        ]
    return out


def _cold(cold: dict) -> list[str]:
    out = [
        "**Cold start** (fresh process: import, load the model, predict one image) and peak RSS:",
        "",
        "| model | fakescope runtime | TensorFlow + .keras |",
        "| --- | --- | --- |",
    ]
    for name, result in cold.items():
        runtime = result["runtime"]
        keras = result.get("keras")
        right = f"{keras['wall_s']:.2f} s, {keras['peak_rss_mb']:.0f} MB" if keras else "n/a"
        out.append(f"| {name} | {runtime['wall_s']:.2f} s, {runtime['peak_rss_mb']:.0f} MB | {right} |")
    return [*out, "", "Targets for the runtime: <= 0.5 s and <= 150 MB.", ""]


def _scan(scan: dict) -> list[str]:
    return [
        f"**Batch scan** of {scan['images']:,} generated 256x256 JPEGs with the bundled model "
        f"({scan['input']}), {scan['workers']} decoding threads: "
        f"**{scan['scan_images_per_s']:.0f} images/s**, {scan['scan_fraction_of_decode'] * 100:.0f}% of the "
        f"decode-only limit ({scan['decode_only_images_per_s']:.0f} images/s, same decoder and threads). "
        "Targets: >= 300 images/s and >= 60%.",
        "",
    ]


def _sizes(sizes: dict) -> list[str]:
    out = ["**Model size on disk**:", "", "| model | FP32 | INT8 | FP16 |", "| --- | --- | --- | --- |"]
    for name, by_precision in sizes.items():
        cells = " | ".join(
            f"{by_precision[p] / 1e6:.2f} MB" if p in by_precision else "-" for p in ("fp32", "int8", "fp16")
        )
        out.append(f"| {name} | {cells} |")
    return [*out, ""]


def _other(results: dict) -> list[str]:
    faces = results["faces"]
    out = [
        f"**EDA statistics**: {results['eda_images_per_s']:.0f} images/s over 256x256 JPEGs, "
        "2 worker processes (target >= 200).",
        "",
        f"**Face front-end** (BlazeFace on onnxruntime, 1 thread): {_ms(faces[256])} ms on 256x256, "
        f"{_ms(faces[1024])} ms on 1024x1024 (target < 3 ms).",
        "",
    ]
    front_end = results.get("front_end")
    if front_end:
        out += [
            "**Face front-end, bundled model ROC AUC** on the demo set's held-out split "
            f"({front_end['real']} real, {front_end['fake']} fake), as tight crops and placed in 256 px "
            "photos:",
            "",
            "| input | face front-end | centre crop |",
            "| --- | --- | --- |",
        ]
        for name in ("held-out crops", "held-out faces in 256 px photos"):
            with_faces = front_end[f"{name} / face front-end"]["roc_auc"]
            without = front_end[f"{name} / centre crop"]["roc_auc"]
            out.append(f"| {name} | {with_faces:.3f} | {without:.3f} |")
        out.append("")
    if results.get("video"):
        from benchmarks import video

        out += ["**Video**, bundled model with its face front-end (`benchmarks/video.py`):", ""]
        out += [*video.render(results["video"]), ""]
    dashboard = results.get("dashboard")
    if dashboard:
        out += [
            "**Dashboards in Voila**, from the last browser-test run in Debian's chromium (seconds):",
            "",
            "| dashboard | timings |",
            "| --- | --- |",
        ]
        for name, timings in sorted(dashboard.items()):
            cells = ", ".join(f"{_words(key)} {value:.2f}" for key, value in timings.items())
            out.append(f"| {name.replace('_', ' ')} | {cells} |")
        out.append("")
    return out


def _words(key: str) -> str:
    return key.removesuffix("_s").replace("_", " ")


def update_readme(readme: Path, markdown: str) -> None:
    text = readme.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{markdown}{END}{tail}")
