"""The dashboards: ipywidgets classes that notebooks display and Voila serves (`fakescope dashboard`).

Imports are lazy so that `fakescope.widgets.env` and `fakescope.widgets.notebooks` stay cheap for the CLI.

Example:
    >>> from fakescope.widgets import DetectorDashboard
    >>> DetectorDashboard("models/fakescope-demo.onnx")   # the last expression of a notebook cell
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DetectorDashboard": "fakescope.widgets.dashboard",
    "DatasetExplorer": "fakescope.widgets.explorer",
    "ModelReport": "fakescope.widgets.model_report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
