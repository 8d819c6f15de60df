"""Serve a dashboard notebook with Voila, in this process: arguments, configuration and environment.

Voila runs each page in a fresh kernel that inherits this process's environment, so the model, data and
samples reach the notebook's widgets through the variables of `fakescope.widgets.env`. Ctrl-C stops the server
and shuts its kernels down (Voila's own handling).

Example:
    >>> serve(notebook_path("dashboard"), port=8866, host="127.0.0.1", env=dashboard_env(model="my.onnx"))
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fakescope.runtime import DEFAULT_LIMITS
from fakescope.widgets.env import DATA_ENV, MAX_UPLOAD_ENV, MODEL_ENV, SAMPLES_ENV, upload_limits
from fakescope.widgets.hosts import LOCAL_NAMES
from fakescope.widgets.limits import (  # noqa: F401 (MAX_MESSAGE_BYTES: part of this module's API)
    DEFAULT_IDLE_SECONDS,
    DEFAULT_MAX_KERNELS,
    MAX_MESSAGE_BYTES,
    cull_settings,
    max_message_bytes,
)

TEMPLATE = "fakescope"
TEMPLATE_ROOT = Path(__file__).resolve().parent / "jupyter"
"""A Jupyter data folder holding the `fakescope` Voila template (`voila/templates/fakescope`)."""


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
        f"--template={TEMPLATE}",
    ]
    if pool_size:
        argv += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    return argv


KERNEL_MANAGER = "fakescope.widgets.kernels.LimitedKernelManager"


def voila_config(
    max_kernels: int = DEFAULT_MAX_KERNELS,
    max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes,
    *,
    pool_size: int = 1,
    idle_seconds: int = DEFAULT_IDLE_SECONDS,
) -> dict[str, Any]:
    """Settings that have no command-line form: the websocket message limit that fits the upload limit, the
    cap on live kernels (`pool_size` of them kept for pre-heated ones), and culling of a kernel whose page
    has had no connection for `idle_seconds`. Voila itself only lets the browser send widget (comm)
    messages to a kernel: `execute_request` is refused, and that is kept.
    """
    return {
        "Voila": {"tornado_settings": {"websocket_max_message_size": max_message_bytes(max_file_bytes)}},
        "VoilaConfiguration": {"multi_kernel_manager_class": KERNEL_MANAGER},
        "LimitedKernelManager": {
            "max_kernels": max_kernels,
            "reserved": pool_size,
            **cull_settings(idle_seconds),
        },
    }


def dashboard_env(
    model: str | Path | None = None,
    data: str | Path | Sequence[str | Path] | None = None,
    samples: str | Path | None = None,
    max_upload_mb: float | None = None,
) -> dict[str, str]:
    """The dashboard variables for the given paths (made absolute, as kernels may start elsewhere); `data`
    may name several folders."""
    pairs = ((MODEL_ENV, model), (SAMPLES_ENV, samples))
    env = {name: _absolute(value) for name, value in pairs if value is not None}
    folders = [data] if isinstance(data, str | Path) else list(data or ())
    if folders:
        env[DATA_ENV] = os.pathsep.join(_absolute(folder) for folder in folders)
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
    idle_seconds: int = DEFAULT_IDLE_SECONDS,
    env: Mapping[str, str] = (),
) -> None:
    """Run Voila on `notebook` until Ctrl-C (blocks); `env` is added to the environment kernels inherit."""
    from traitlets.config import Config

    from fakescope.widgets.voila_app import FakescopeVoila

    if max_kernels <= pool_size:
        raise ValueError(f"`max_kernels` must exceed the pool size {pool_size}. Received: {max_kernels}")
    os.environ.update(env)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(TEMPLATE_ROOT), os.environ.get("JUPYTER_PATH", "")) if p
    )
    config = voila_config(
        max_kernels, upload_limits().max_file_bytes, pool_size=pool_size, idle_seconds=idle_seconds
    )
    FakescopeVoila.launch_instance(
        argv=voila_argv(notebook, port=port, host=host, pool_size=pool_size), config=Config(config)
    )


def _absolute(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def is_local(host: str) -> bool:
    return host.strip("[]") in LOCAL_NAMES


def url_for(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"
