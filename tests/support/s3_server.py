"""A real S3 endpoint for the tests: moto's server (`python -m moto.server`) as its own process on 127.0.0.1.

It speaks the S3 REST API over HTTP, so s3fs, aiobotocore and botocore run as they would against AWS or
MinIO; the port is the one the server picked, read from its log, and the process is killed on exit.
`ENV` holds the variables that point botocore (on the client and on every Dask worker) at it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fsspec

KEY, SECRET, REGION = "testing", "testing", "eu-west-1"


class S3Server:
    """`with s3_server() as s3:` gives s3.endpoint, s3.options (s3fs storage options), s3.env and s3.fs."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.options = {"endpoint_url": endpoint, "key": KEY, "secret": SECRET,
                        "client_kwargs": {"region_name": REGION}}  # fmt: skip
        self.env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
        self.fs = fsspec.filesystem("s3", skip_instance_cache=True, **self.options)


@contextmanager
def s3_server(log: Path, timeout: float = 60.0) -> Iterator[S3Server]:
    """Start moto's S3 server on a free port of 127.0.0.1, its output in `log`; kill it on exit."""
    with Path(log).open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
            stdout=handle, stderr=handle, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    try:
        yield S3Server(_wait_for_endpoint(process, Path(log), timeout))
    finally:
        process.kill()
        process.wait(timeout=30)


def _wait_for_endpoint(process: subprocess.Popen, log: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if process.poll() is not None:
            raise RuntimeError(f"moto's S3 server ended: {log.read_text(errors='replace')}")
        time.sleep(0.05)
    shown = log.read_text(errors="replace")
    raise RuntimeError(f"moto's S3 server did not start within {timeout} s: {shown}")
