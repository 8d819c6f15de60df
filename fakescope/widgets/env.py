"""Environment variables through which `fakescope dashboard` tells the served notebooks what to open.

Voila runs each notebook in a fresh kernel that inherits the server's environment, so the CLI sets these and
the widget constructors read them when they are given no explicit argument.

Example:
    >>> os.environ[MODEL_ENV] = "models/my.onnx"
    >>> env_path(MODEL_ENV)
    PosixPath('models/my.onnx')
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from fakescope.runtime import DEFAULT_LIMITS, ImageLimits

MODEL_ENV = "FAKESCOPE_MODEL"
"""ONNX model the detector dashboard and the model report open first."""

DATA_ENV = "FAKESCOPE_DATA"
"""Dataset folders (separated by `os.pathsep`) the explorer and the model report may read; they start on
the first."""

SAMPLES_ENV = "FAKESCOPE_SAMPLES"
"""Folder of images for the dashboard's "try a sample" picker (default: the bundled samples)."""


MAX_UPLOAD_ENV = "FAKESCOPE_MAX_UPLOAD_MB"
"""Largest image file the detector dashboard accepts, in MiB (default: the runtime's 10 MiB)."""


def upload_limits() -> ImageLimits:
    """The runtime's image limits with the file-size limit of `MAX_UPLOAD_ENV`, if set."""
    value = os.environ.get(MAX_UPLOAD_ENV, "").strip()
    return replace(DEFAULT_LIMITS, max_file_bytes=round(float(value) * 2**20)) if value else DEFAULT_LIMITS


def env_path(name: str) -> Path | None:
    """The path in environment variable `name`, or None when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


def env_paths(name: str) -> list[Path]:
    """The paths in environment variable `name`, separated by `os.pathsep`; empty entries are skipped."""
    return [Path(part).expanduser() for part in os.environ.get(name, "").split(os.pathsep) if part.strip()]
