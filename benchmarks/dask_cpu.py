"""A Dask cluster of separate processes on this machine, and the CPU-seconds each of its roles has used.

`dask scheduler` and `dask worker --nworkers N --nthreads 1` (with its nannies, as a deployment runs them)
are started as child processes, so the CPU time of the client (this process), of the scheduler and of the
workers can be read apart, from the operating system's own accounting (psutil), whatever else the machine
runs.

Example:
    >>> with DaskProcesses(tmp, workers=2) as cluster:
    ...     before = cluster.cpu_seconds()
    ...     scan_dask(None, folder, report, scheduler=cluster.address)
    ...     used = {role: t - before[role] for role, t in cluster.cpu_seconds().items()}
    >>> sorted(used)
    ['client', 'scheduler', 'workers']
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import yaml

DASK = str(Path(sys.executable).with_name("dask"))


def tree_cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU-seconds of `process` and of every process below it that is still running."""
    total = 0.0
    for each in [process, *process.children(recursive=True)]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def own_cpu_seconds() -> float:
    """User + system CPU-seconds of this process, all its threads."""
    times = os.times()
    return times.user + times.system


class DaskProcesses:
    """A scheduler and `workers` single-thread workers, each its own process, bound to 127.0.0.1."""

    def __init__(self, folder: Path, workers: int, config: dict | None = None, timeout: float = 60.0) -> None:
        self.folder, self.workers, self.timeout = Path(folder), workers, timeout
        self.config = dict(config or {})
        self.processes: dict[str, subprocess.Popen] = {}
        self.address = ""

    def __enter__(self) -> DaskProcesses:
        self.folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = self.folder / "scheduler.json"
        configs = self.folder / "config"  # not beside scheduler.json: Dask reads every .json/.yaml in it
        configs.mkdir(exist_ok=True)
        (configs / "fakescope.yaml").write_text(yaml.safe_dump(_nested(self.config)))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "DASK_CONFIG": str(configs)}
        logs = (self.folder / "dask.log").open("ab")
        common = ["--no-dashboard", "--host", "127.0.0.1"]
        try:
            self.processes["scheduler"] = subprocess.Popen(
                [DASK, "scheduler", "--port", "0", "--scheduler-file", str(scheduler_file), *common],
                env=env, stdout=logs, stderr=logs,
            )  # fmt: skip
            self.address = self._address(scheduler_file)
            self.processes["workers"] = subprocess.Popen(
                [DASK, "worker", self.address, "--nworkers", str(self.workers), "--nthreads", "1",
                 "--local-directory", str(self.folder / "workers"), *common],
                env=env, stdout=logs, stderr=logs,
            )  # fmt: skip
            self._wait_for_workers()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes.values()):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU-seconds used so far by this process (the client), the scheduler, and the workers with
        their nannies."""
        used = {"client": own_cpu_seconds()}
        for role, process in self.processes.items():
            used[role] = tree_cpu_seconds(psutil.Process(process.pid))
        return used

    def _address(self, scheduler_file: Path) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.processes["scheduler"].poll() is not None:
                raise RuntimeError(f"the Dask scheduler exited; see {self.folder / 'dask.log'}")
            try:
                return json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        raise TimeoutError("the Dask scheduler did not start")

    def _wait_for_workers(self) -> None:
        from distributed import Client

        with Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(self.workers, timeout=self.timeout)


def _nested(config: dict) -> dict:
    """`{"a.b.c": 1}` as `{"a": {"b": {"c": 1}}}` (a dask config file's shape)."""
    nested: dict = {}
    for dotted, value in config.items():
        *parents, leaf = dotted.split(".")
        level = nested
        for key in parents:
            level = level.setdefault(key, {})
        level[leaf] = value
    return nested
