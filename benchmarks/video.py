"""Video benchmarks: time to verdict with 32 sampled frames (10 s 1080p and 720p H.264), decode-only time for
the same samples, `watch` throughput on a 720p source, and peak RSS of a long clip against a short one.

Clips are generated once into a cache folder: a face (scikit-image's astronaut, two thirds of the frame's
height, as in a video call) drifting over a noisy background, H.264 (libx264 veryfast, yuv420p, 30 fps, a
keyframe every 2 s as phones and streams use). Every clip is analysed with the bundled model and its face
front-end; each figure is the median of `--repeats` runs. CPU seconds (all threads of the process) are given
beside wall time: on a shared machine they move far less. Peak RSS is measured in a fresh process (VmHWM).

Usage:
    python -m benchmarks.video [--quick] [--cache DIR] [--repeats 3] [--long-minutes 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "fakescope-video-bench"
FPS = 30
GOP = 60

RSS = """
import json, sys
from benchmarks.peak import peak_rss_mb
from fakescope.runtime import Detector
from fakescope.video import predict_video
detector = Detector()
base = peak_rss_mb()
result = predict_video(detector, sys.argv[1])
print(json.dumps({"base_mb": base, "peak_mb": peak_rss_mb(), "frames_decoded": result.frames_decoded}))
"""


def make_clip(path: Path, size: tuple[int, int], seconds: float, fps: int = FPS) -> Path:
    """A face drifting over a noisy background, encoded with libx264 (cached by name)."""
    if path.exists():
        return path
    import av
    from skimage import data

    width, height = size
    head = Image.fromarray(data.astronaut()[20:240, 120:330])
    side = height * 2 // 3  # BlazeFace short range sees a 128 px letterbox: faces must fill the frame
    head = np.asarray(head.resize((side * 210 // 220, side)))
    rng = np.random.default_rng(0)
    background = np.asarray(
        Image.fromarray(rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)).resize(size)
    )
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = GOP
        stream.codec_context.options = {"preset": "veryfast", "keyint_min": str(GOP), "sc_threshold": "0"}
        for index in range(round(seconds * fps)):
            frame = background.copy()
            x = int((width - head.shape[1]) * (0.5 + 0.3 * np.sin(index / fps / 2)))
            y = (height - head.shape[0]) // 2
            frame[y : y + head.shape[0], x : x + head.shape[1]] = head
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)
    return path


def time_to_verdict(detector, path: Path, repeats: int) -> tuple[float, dict]:
    """Median wall seconds per verdict, and the facts of the last run with its CPU seconds (all threads)."""
    from fakescope.video import predict_video

    runs, cpu, last = [], [], None
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        last = predict_video(detector, path)
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    facts = {"sampling": last.sampling, "decoded": last.frames_decoded, "cpu_s": statistics.median(cpu)}
    return statistics.median(runs), facts


def decode_only(path: Path, repeats: int) -> tuple[float, float]:
    """The same plan and frame conversion as `predict_video`, without face search or the model: median wall
    and CPU seconds."""
    from fakescope.video import evenly_spaced, open_video, plan_reads, read_frames

    runs, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        with open_video(path) as video:
            interval = 1 / video.info.fps
            reads = plan_reads(evenly_spaced(video.info.duration_s, 32), video.keyframes, interval)
            for _frame in read_frames(video, reads):
                pass
        runs.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(runs), statistics.median(cpu)


def watch_throughput(detector, path: Path) -> dict:
    from fakescope.video.watch import watch

    updates = list(watch(detector, str(path), realtime=False))
    last = updates[-1]
    return {"analysed": last.analysed, "dropped": last.dropped, "seconds": last.elapsed, "fps": last.fps}


def peak_rss(path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", RSS, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(cache: Path, repeats: int = 3, long_minutes: float = 10.0) -> dict:
    """Every video figure, as a JSON-ready dict (what `python -m benchmarks` puts beside the others)."""
    from fakescope.runtime import Detector

    cache.mkdir(parents=True, exist_ok=True)
    detector = Detector()
    clips = {
        "1080p": make_clip(cache / "face-1080p-10s.mp4", (1920, 1080), 10),
        "720p": make_clip(cache / "face-720p-10s.mp4", (1280, 720), 10),
    }
    long_clip = make_clip(cache / f"face-360p-{long_minutes:g}min.mp4", (640, 360), long_minutes * 60)
    short_clip = make_clip(cache / "face-360p-10s.mp4", (640, 360), 10)
    results: dict = {"clips": {}, "long_minutes": long_minutes}
    for name, path in clips.items():
        total, facts = time_to_verdict(detector, path, repeats)
        decode, decode_cpu = decode_only(path, repeats)
        results["clips"][name] = {"verdict_s": total, "decode_s": decode, "decode_cpu_s": decode_cpu, **facts}
    results["watch"] = watch_throughput(detector, clips["720p"])
    results["rss"] = {"long": peak_rss(long_clip), "short": peak_rss(short_clip)}
    return results


def render(results: dict) -> list[str]:
    """Markdown lines for the figures of `run`."""
    lines = [
        "| clip (10 s, H.264, 30 fps, GOP 2 s) | time to verdict, 32 frames (s) | decode only (s) "
        "| decode share | CPU s: verdict / decode only | plan |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, clip in results["clips"].items():
        share = clip["decode_s"] / clip["verdict_s"]
        plan = f"{clip['sampling']}, {clip['decoded']} frames decoded"
        cpu = f"{clip['cpu_s']:.2f} / {clip['decode_cpu_s']:.2f}"
        lines.append(
            f"| {name} | {clip['verdict_s']:.2f} | {clip['decode_s']:.2f} | {share:.0%} | {cpu} | {plan} |"
        )
    live, rss = results["watch"], results["rss"]
    lines += [
        "",
        f"`watch` on the 720p file, unpaced: {live['fps']:.1f} frames/s analysed "
        f"({live['analysed']} analysed, {live['dropped']} stale frames dropped in {live['seconds']:.1f} s). "
        "Peak RSS: "
        f"{rss['long']['peak_mb']:.0f} MB for a {results['long_minutes']:g}-minute 360p clip "
        f"({rss['long']['frames_decoded']} frames decoded), {rss['short']['peak_mb']:.0f} MB for a 10 s one.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="One repeat, a 1-minute long clip.")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.long_minutes = 1, 1.0
    print("\n".join(render(run(args.cache, args.repeats, args.long_minutes))))


if __name__ == "__main__":
    main()
