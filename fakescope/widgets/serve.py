"""Serve a dashboard notebook with Voila, in this process: arguments, configuration and environment.

Voila runs each page in a fresh kernel that inherits this process's environment, so the model, data and
samples reach the notebook's widgets through the variables of `fakescope.widgets.env`. Ctrl-C stops the server
and shuts its kernels down (Voila's own handling).

Example:
    >>> serve(notebook_path("dashboard"), port=8866, host="127.0.0.1", env=dashboard_env(model="my.onnx"))
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fakescope.runtime import DEFAULT_LIMITS
from fakescope.widgets.env import DATA_ENV, MAX_UPLOAD_ENV, MODEL_ENV, SAMPLES_ENV, upload_limits
from fakescope.widgets.kernels import DEFAULT_MAX_KERNELS

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

FILES_PER_MESSAGE = 8
"""Files at the size limit that one upload may carry: the browser sends every chosen file in one message."""


def max_message_bytes(max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes) -> int:
    """Websocket message limit (tornado's default is 10 MiB): room for the files plus encoding overhead."""
    return FILES_PER_MESSAGE * max_file_bytes * 4 // 3 + (1 << 20)


MAX_MESSAGE_BYTES = max_message_bytes()


def voila_argv(notebook: Path, *, port: int, host: str, pool_size: int = 1) -> list[str]:
    """Voila's command-line arguments: sources hidden, light theme, no browser, this port or fail, and
    `pool_size` kernels pre-heated (the notebook already run) so a page opens fast; 0 disables that.
    """
    if pool_size < 0:
        raise ValueError(f"`pool_size` must be >= 0. Received: pool_size={pool_size}")
    argv = [
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",
        "--no-browser",
        "--strip_sources=True",
        "--theme=light",
        "--show_tracebacks=False",
    ]
    if pool_size:
        argv += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    return argv


KERNEL_MANAGER = "fakescope.widgets.kernels.LimitedKernelManager"
IDLE_KERNEL_SECONDS = 600
"""A page's kernel left idle this long (e.g. a closed tab) is shut down."""


def voila_config(
    max_kernels: int = DEFAULT_MAX_KERNELS, max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes
) -> dict[str, Any]:
    """Settings that have no command-line form: the websocket message limit that fits the upload limit, the
    cap on live kernels, and culling of idle ones. Voila itself only lets the browser send widget (comm)
    messages to a kernel: `execute_request` is refused, and that is kept.
    """
    return {
        "Voila": {"tornado_settings": {"websocket_max_message_size": max_message_bytes(max_file_bytes)}},
        "VoilaConfiguration": {"multi_kernel_manager_class": KERNEL_MANAGER},
        "LimitedKernelManager": {
            "max_kernels": max_kernels,
            "cull_idle_timeout": IDLE_KERNEL_SECONDS,
            "cull_interval": 60,
        },
    }


def dashboard_env(
    model: str | Path | None = None,
    data: str | Path | None = None,
    samples: str | Path | None = None,
    max_upload_mb: float | None = None,
) -> dict[str, str]:
    """The dashboard variables for the given paths (made absolute, as kernels may start elsewhere)."""
    pairs = ((MODEL_ENV, model), (DATA_ENV, data), (SAMPLES_ENV, samples))
    env = {name: str(Path(value).expanduser().resolve()) for name, value in pairs if value is not None}
    if max_upload_mb is not None:
        env[MAX_UPLOAD_ENV] = str(max_upload_mb)
    return env


def serve(
    notebook: Path,
    *,
    port: int,
    host: str,
    pool_size: int = 1,
    max_kernels: int = DEFAULT_MAX_KERNELS,
    env: Mapping[str, str] = (),
) -> None:
    """Run Voila on `notebook` until Ctrl-C (blocks); `env` is added to the environment kernels inherit."""
    from traitlets.config import Config
    from voila.app import Voila

    if max_kernels <= pool_size:
        raise ValueError(f"`max_kernels` must exceed the pool size {pool_size}. Received: {max_kernels}")
    os.environ.update(env)
    Voila.launch_instance(
        argv=voila_argv(notebook, port=port, host=host, pool_size=pool_size),
        config=Config(voila_config(max_kernels, upload_limits().max_file_bytes)),
    )


def is_local(host: str) -> bool:
    return host in LOCAL_HOSTS


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
