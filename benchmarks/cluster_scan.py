"""Thread engine vs Dask (1 and 2 worker processes, one thread each) on the same folder, in interleaved
rounds, plus the figures the cluster sizing table is computed from (docs/cluster.md).

Run: `python -m benchmarks.cluster_scan [--images 600] [--rounds 5] [--model M.onnx]` (one to two minutes on
2 cores). For each cluster size the Dask processes (`dask scheduler`, `dask worker --nworkers N`) are started
before any clock runs, as a long-lived cluster would be; then each round scans the same warm folder with both
engines, alternating which goes first, each engine's run counted whole, from the model file to the report
(the thread engine as `fakescope scan` runs it: a Detector, then `scan_folder` with N decoding threads).

Two figures per run: images/s (wall clock: what a user sees, noisy on a shared machine) and CPU-seconds per
image summed over every process the engine uses (for Dask: the client, the scheduler, the workers and their
nannies; read from the OS's accounting, so other jobs on the machine barely move it). Each round pairs the
two engines, so the overhead (`1 - dask/thread` images/s, `dask/thread - 1` CPU per image) is a median of
paired ratios, with its spread, checked against the 15% target. Dask's workers run with fakescope's
`WORKER_CONFIG`, as its own LocalCluster does (`--dask-defaults`: with Dask's stock settings). It prints the
figures as JSON, the overheads against the target, then the sizing table of docs/cluster.md computed from
them (the report's size from one more scan at scan_dask's default partition size).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from benchmarks.dask_cpu import DaskProcesses, own_cpu_seconds
from benchmarks.images import write_jpegs
from fakescope.cluster import scan_dask
from fakescope.cluster.client import WORKER_CONFIG
from fakescope.runtime import Detector
from fakescope.runtime.listing import walk_image_files
from fakescope.runtime.scan import scan_folder

TARGET = 0.15  # Dask may cost at most 15% more than the thread engine at equal cores
DEFAULT_PARTITION = inspect.signature(scan_dask).parameters["partition_size"].default


def thread_run(model: Path | None, folder: Path, out: Path, workers: int, cluster: DaskProcesses) -> dict:
    """One thread-engine scan: images/s, CPU-seconds per image of this process, and what the idle cluster
    spent meanwhile (not counted)."""
    before, cpu, started = cluster.cpu_seconds(), own_cpu_seconds(), time.perf_counter()
    detector = Detector(model, threads=1)  # as `fakescope scan` runs it
    summary = scan_folder(detector, folder, out / "thread.csv", workers=workers)
    wall, cpu = time.perf_counter() - started, own_cpu_seconds() - cpu
    after, images = cluster.cpu_seconds(), summary.analysed + summary.rejected
    idle = sum(after[role] - before[role] for role in ("scheduler", "workers"))
    return {"images_per_s": images / wall, "cpu_s_per_image": cpu / images, "idle_cluster_cpu_s": idle}


def dask_run(
    model: Path | None, folder: Path, report: Path, partition_size: int, cluster: DaskProcesses
) -> dict:
    """One Dask scan on the running cluster: images/s and CPU-seconds per image, whole and by process."""
    before, started = cluster.cpu_seconds(), time.perf_counter()
    summary = scan_dask(model, folder, report, scheduler=cluster.address, partition_size=partition_size)
    wall, after = time.perf_counter() - started, cluster.cpu_seconds()
    by_role = {f"{role}_cpu_s_per_image": (after[role] - before[role]) / summary.rows for role in after}
    return {"images_per_s": summary.rows / wall, "cpu_s_per_image": sum(by_role.values()), **by_role}


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def compare(
    model: Path | None, folder: Path, out: Path, cores: int, rounds: int, partition_size: int, config: dict
) -> dict:
    """`rounds` interleaved pairs of thread-engine and Dask scans at `cores` (decoding threads, or worker
    processes run with the Dask `config`), and the report's bytes per row at `DEFAULT_PARTITION`."""
    runs: dict[str, list[dict]] = {"thread": [], "dask": []}
    with DaskProcesses(out / f"cluster{cores}", workers=cores, config=config) as cluster:
        engines = {
            "thread": lambda: thread_run(model, folder, out, cores, cluster),
            "dask": lambda: dask_run(model, folder, out / f"dask{cores}", partition_size, cluster),
        }
        for engine in engines.values():  # warm-up: file cache, imports, the workers' first tasks
            engine()
        for number in range(rounds):
            for name in sorted(engines, reverse=number % 2 == 1):  # thread first, then dask first, ...
                runs[name].append(engines[name]())
        sized = out / f"sized{cores}"  # the report's size at scan_dask's own partition size
        dask_run(model, folder, sized, DEFAULT_PARTITION, cluster)
        parts = list(sized.glob("part-*"))
        report_bytes = sum(p.stat().st_size for p in parts)
        rows = sum(pq.read_metadata(p).num_rows for p in parts)
    pairs = list(zip(runs["thread"], runs["dask"], strict=True))
    wall = [1 - d["images_per_s"] / t["images_per_s"] for t, d in pairs]
    cpu = [d["cpu_s_per_image"] / t["cpu_s_per_image"] - 1 for t, d in pairs]
    figures = {
        engine: {key: spread([run[key] for run in done]) for key in done[0]} for engine, done in runs.items()
    }
    figures["overhead"] = {
        "images_per_s": {**spread(wall), "target": TARGET, "target_met": statistics.median(wall) <= TARGET},
        "cpu_s_per_image": {**spread(cpu), "target": TARGET, "target_met": statistics.median(cpu) <= TARGET},
    }
    figures["report_bytes_per_row"] = report_bytes / rows
    return figures


def listing_rate(folder: Path) -> float:
    """Keys/s of the streamed local listing (what the client does while the workers scan)."""
    started = time.perf_counter()
    count = sum(1 for item in walk_image_files(folder) if isinstance(item, Path))
    return count / (time.perf_counter() - started)


def run(model: Path | None, count: int, rounds: int, partition_size: int, config: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "jpegs", Path(tmp) / "out"
        out.mkdir()
        write_jpegs(folder, count)
        load = os.getloadavg()[0]
        at = {cores: compare(model, folder, out, cores, rounds, partition_size, config) for cores in (2, 1)}
        keys_per_s = listing_rate(folder)
    return {
        "images": count,
        "rounds": rounds,
        "cores": os.cpu_count(),
        "load_average_1min": {"before": load, "after": os.getloadavg()[0]},
        "partition_size": partition_size,
        "dask_config": config,
        "at_2_cores": at[2],
        "at_1_core": at[1],
        "local_listing_keys_per_s": keys_per_s,
        "report_bytes_per_row": at[2]["report_bytes_per_row"],
    }


def sizing_table(figures: dict, images: float = 100e6, keys: float = 10e6) -> str:
    """The docs' sizing table (markdown) from measured figures: one Dask worker thread per core, its
    throughput from the CPU-seconds per image of the whole 2-worker Dask scan (client, scheduler included)."""
    two, one = figures["at_2_cores"]["dask"], figures["at_1_core"]["dask"]
    per_core, row_bytes = 1 / two["cpu_s_per_image"]["median"], figures["report_bytes_per_row"]
    core_hours = images / per_core / 3600
    lines = [
        f"| per-core throughput (images per CPU-second, all Dask processes) | {per_core:.0f} images/s |",
        f"| measured, 1 worker / 2 workers (wall clock) | {one['images_per_s']['median']:.0f} / "
        f"{two['images_per_s']['median']:.0f} images/s |",
        f"| core-hours for {images / 1e6:.0f}M images | {core_hours:,.0f} |",
        *(
            f"| cores to finish {images / 1e6:.0f}M images in {hours} h | {math.ceil(core_hours / hours):,} |"
            for hours in (1, 8, 24)
        ),
        f"| listing {keys / 1e6:.0f}M local keys (one client) | "
        f"{keys / figures['local_listing_keys_per_s'] / 60:.1f} min |",
        f"| report size for {images / 1e6:.0f}M rows (Parquet, parts of {DEFAULT_PARTITION}) | "
        f"{row_bytes * images / 1e9:.1f} GB ({row_bytes:.0f} B/row) |",
    ]
    return "\n".join(["| | |", "| --- | --- |", *lines])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--partition-size", type=int, default=100)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument(
        "--dask-defaults", action="store_true", help="run the workers on Dask's defaults, not WORKER_CONFIG"
    )
    args = parser.parse_args()
    config = {} if args.dask_defaults else WORKER_CONFIG
    figures = run(args.model, args.images, args.rounds, args.partition_size, config)
    print(json.dumps(figures, indent=2))
    for cores in (2, 1):
        overhead = figures[f"at_{cores}_core{'s' if cores > 1 else ''}"]["overhead"]
        for what, got in overhead.items():
            verdict = "meets" if got["target_met"] else "misses"
            print(
                f"Dask overhead at {cores} core(s), {what}: {got['median']:+.1%} "
                f"(rounds {got['min']:+.1%} .. {got['max']:+.1%}) {verdict} the {TARGET:.0%} target"
            )
    print(sizing_table(figures))
