"""Thread engine vs Dask (1 and 2 local worker processes, one thread each) on the same folder, side by side,
plus the figures the cluster sizing table is computed from (docs/cluster.md).

Run: `python -m benchmarks.cluster_scan [--images 2000] [--model M.onnx]` (one to two minutes on 2 cores).
The Dask clusters are started before the clock runs, as a long-lived cluster would be; each engine scans the
same warm folder, and images/s counts rows written. It prints the figures as JSON, then the sizing table of
docs/cluster.md computed from them.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import tempfile
import time
from pathlib import Path

from benchmarks.images import write_jpegs
from fakescope.cluster import scan_dask
from fakescope.runtime import Detector
from fakescope.runtime.listing import walk_image_files
from fakescope.runtime.scan import scan_folder


def thread_rate(model: Path | None, folder: Path, out: Path, workers: int) -> float:
    detector = Detector(model, threads=1)  # as `fakescope scan` runs it
    started = time.perf_counter()
    summary = scan_folder(detector, folder, out / "thread.csv", workers=workers)
    return (summary.analysed + summary.rejected) / (time.perf_counter() - started)


def dask_rate(
    model: Path | None, folder: Path, out: Path, workers: int, partition_size: int
) -> tuple[float, int]:
    """(images/s, report bytes) of a scan on an already running LocalCluster of `workers` processes."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as cluster:
        report = out / f"dask{workers}"
        started = time.perf_counter()
        summary = scan_dask(
            model, folder, report, scheduler=cluster.scheduler_address, partition_size=partition_size
        )
        elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in report.iterdir())
    return summary.rows / elapsed, size


def listing_rate(folder: Path) -> float:
    """Keys/s of the streamed local listing (what the client does while the workers scan)."""
    started = time.perf_counter()
    count = sum(1 for item in walk_image_files(folder) if isinstance(item, Path))
    return count / (time.perf_counter() - started)


def run(model: Path | None, count: int, partition_size: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "jpegs", Path(tmp) / "out"
        out.mkdir()
        write_jpegs(folder, count)
        thread_rate(model, folder, out, workers=2)  # warm the file cache
        thread2 = thread_rate(model, folder, out, workers=2)
        thread1 = thread_rate(model, folder, out, workers=1)
        dask1, _ = dask_rate(model, folder, out, 1, partition_size)
        dask2, report_bytes = dask_rate(model, folder, out, 2, partition_size)
        keys_per_s = listing_rate(folder)
    return {
        "images": count,
        "cores": os.cpu_count(),
        "partition_size": partition_size,
        "thread_1_worker_images_per_s": thread1,
        "thread_2_workers_images_per_s": thread2,
        "dask_1_worker_images_per_s": dask1,
        "dask_2_workers_images_per_s": dask2,
        "dask_overhead_at_2_cores": 1 - dask2 / thread2,
        "dask_overhead_at_1_core": 1 - dask1 / thread1,
        "local_listing_keys_per_s": keys_per_s,
        "report_bytes_per_row": report_bytes / count,
    }


def sizing_table(figures: dict, images: float = 100e6, keys: float = 10e6) -> str:
    """The docs' sizing table (markdown) from measured figures: one Dask worker thread per core."""
    per_core, row_bytes = figures["dask_1_worker_images_per_s"], figures["report_bytes_per_row"]
    core_hours = images / per_core / 3600
    lines = [
        f"| per-core throughput (1 Dask worker, 1 thread) | {per_core:.0f} images/s |",
        f"| scaling, 2 workers vs 1 | x{figures['dask_2_workers_images_per_s'] / per_core:.2f} |",
        f"| core-hours for {images / 1e6:.0f}M images | {core_hours:,.0f} |",
        *(
            f"| cores to finish {images / 1e6:.0f}M images in {hours} h | {math.ceil(core_hours / hours):,} |"
            for hours in (1, 8, 24)
        ),
        f"| listing {keys / 1e6:.0f}M local keys (one client) | "
        f"{keys / figures['local_listing_keys_per_s'] / 60:.1f} min |",
        f"| report size for {images / 1e6:.0f}M rows (Parquet) | "
        f"{row_bytes * images / 1e9:.1f} GB ({row_bytes:.0f} B/row) |",
    ]
    return "\n".join(["| | |", "| --- | --- |", *lines])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--partition-size", type=int, default=250)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    figures = run(args.model, args.images, args.partition_size)
    print(json.dumps(figures, indent=2))
    print(sizing_table(figures))
