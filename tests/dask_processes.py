"""A real Dask cluster for the tests: one `dask scheduler` and N `dask worker` processes on 127.0.0.1.

The scheduler picks a free port itself and writes its address to a scheduler file, so ports never collide;
workers run without a nanny (a SIGKILL'ed worker stays dead) and one thread each; every process is killed on
exit, whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))
REPO = str(Path(__file__).parents[1])


class DaskProcesses:
    """`with DaskProcesses(tmp, workers=2) as c:` gives c.address, c.kill_worker(i) and c.worker_count()."""

    def __init__(self, folder: Path, workers: int = 2, timeout: float = 60.0) -> None:
        self.folder, self.count, self.timeout = Path(folder), workers, timeout
        self.scheduler: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.address = ""

    def __enter__(self) -> DaskProcesses:
        self.folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = self.folder / "scheduler.json"
        env = {**os.environ, "PYTHONPATH": REPO, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        logs = (self.folder / "dask.log").open("ab")
        try:
            self.scheduler = subprocess.Popen(
                [DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", str(scheduler_file)],
                env=env, stdout=logs, stderr=logs,
            )  # fmt: skip
            self.address = self._wait_for_address(scheduler_file)
            for i in range(self.count):
                self.workers.append(
                    subprocess.Popen(
                        [
                            DASK,
                            "worker",
                            self.address,
                            "--nthreads",
                            "1",
                            "--no-nanny",
                            "--no-dashboard",
                            "--host",
                            "127.0.0.1",
                            "--name",
                            f"w{i}",
                            "--local-directory",
                            str(self.folder / f"w{i}"),
                            "--death-timeout",
                            "60",
                        ],
                        env=env,
                        stdout=logs,
                        stderr=logs,
                    )
                )
            self.wait_for_workers(self.count)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for process in [*self.workers, self.scheduler]:
            if process is not None and process.poll() is None:
                process.kill()
        for process in [*self.workers, self.scheduler]:
            if process is not None:
                process.wait(timeout=30)

    def kill_worker(self, index: int) -> None:
        os.kill(self.workers[index].pid, signal.SIGKILL)
        self.workers[index].wait(timeout=30)

    def worker_count(self) -> int:
        from distributed import Client

        with Client(self.address, timeout="20s", set_as_default=False) as client:
            return len(client.nthreads())

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="20s", set_as_default=False) as client:
            client.wait_for_workers(count, timeout=self.timeout)

    def _wait_for_address(self, scheduler_file: Path) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise RuntimeError(f"dask scheduler exited ({self.scheduler.returncode}); see {self.folder}")
            try:
                return json.loads(scheduler_file.read_text())["address"]
            except (FileNotFoundError, ValueError, KeyError):
                time.sleep(0.1)
        raise TimeoutError("dask scheduler did not start in time")
