"""Images per second of `fakescope.eda.stats.collect_stats` over generated 256x256 JPEGs (target: >= 200/s).

Writes a flat real/ + fake/ folder of photo-like JPEGs (smooth random fields plus noise) into a temporary
folder, measures it once without a cache, and prints the rate with the load average (the CPU may be shared).

Example:
    $ python benchmarks/eda_speed.py --images 2000 --workers 2
    eda: 2,000 images in 7.9 s = 253 images/s (2 workers, 0 errors, 2 CPUs; load average before 0.4, after
    1.9); 270 images per CPU-second (this process and its workers, pool start included)
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from fakescope.eda.stats import collect_stats


def write_jpegs(root: Path, count: int, size: int = 256, seed: int = 0) -> None:
    """`count` photo-like JPEGs split between root/real and root/fake."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        label = "real" if i % 2 == 0 else "fake"
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        coarse = rng.uniform(0, 255, (8, 8, 3)).astype(np.uint8)
        smooth = np.asarray(
            Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), dtype=float
        )
        pixels = np.clip(smooth + rng.normal(0, 12, smooth.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:06d}.jpg", quality=int(rng.integers(70, 96)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="images to generate. Defaults to 2000.")
    parser.add_argument("--workers", type=int, default=2, help="worker processes. Defaults to 2.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eda-speed-") as tmp:
        write_jpegs(Path(tmp), args.images)
        load_before = os.getloadavg()[0]
        cpu_before, start = _cpu_seconds(), time.perf_counter()
        table = collect_stats(tmp, workers=args.workers)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu_before
        load_after = os.getloadavg()[0]
    errors = int((table["error"] != "").sum())
    print(
        f"eda: {len(table):,} images in {seconds:.1f} s = {len(table) / seconds:.0f} images/s "
        f"({args.workers} workers, {errors} errors, {os.cpu_count()} CPUs; "
        f"load average before {load_before:.1f}, after {load_after:.1f}); "
        f"{len(table) / cpu:.0f} images per CPU-second (this process and its workers, pool start included)"
    )


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the pool's workers, once it is closed)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


if __name__ == "__main__":
    main()
