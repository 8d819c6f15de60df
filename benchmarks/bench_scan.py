"""Batch scan throughput of `scan_folder` against the decode-only limit (same decoder, same workers)."""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.images import write_jpegs
from fakescope.runtime import Detector
from fakescope.runtime.scan import scan_folder


def decode_only_rate(detector: Detector, paths: list[Path], workers: int) -> float:
    """Images/s of decode + crop/resize alone, with the scan's decoder and thread count."""

    def decode(path: Path):
        return detector.prepare(path)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(decode, paths, chunksize=16):
            pass
    return len(paths) / (time.perf_counter() - started)


def scan_rate(detector: Detector, folder: Path, workers: int, batch_size: int) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        summary = scan_folder(detector, folder, Path(out) / "r.csv", workers=workers, batch_size=batch_size)
        elapsed = time.perf_counter() - started
    return (summary.analysed + summary.rejected) / elapsed


def run(model: Path | None, count: int = 2000, workers: int = 2, batch_size: int = 32) -> dict:
    detector = Detector(model, threads=1)  # as `fakescope scan` runs it: the decoding threads fill the cores
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "jpegs"
        paths = write_jpegs(folder, count)
        decode_only_rate(detector, paths[:100], workers)  # warm the file cache and the pool
        decode = max(decode_only_rate(detector, paths, workers) for _ in range(2))
        scan = max(scan_rate(detector, folder, workers, batch_size) for _ in range(2))
    return {
        "images": count,
        "workers": workers,
        "scan_images_per_s": scan,
        "decode_only_images_per_s": decode,
        "scan_fraction_of_decode": scan / decode,
        "model": detector.card.name,
        "input": f"{detector.spec.width}x{detector.spec.height}",
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else None), indent=2))
