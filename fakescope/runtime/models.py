"""Where the bundled models live, in a source checkout and in an installed wheel.

Example:
    >>> default_model_path().name
    'fakescope-demo.onnx'
"""

from __future__ import annotations

from pathlib import Path

from fakescope.runtime.errors import ModelError

DEFAULT_MODEL_NAME = "fakescope-demo.onnx"
_PACKAGE_MODELS = Path(__file__).resolve().parent.parent / "_models"
_CHECKOUT_MODELS = Path(__file__).resolve().parents[2] / "models"


def models_dir() -> Path:
    """The folder of bundled models: `fakescope/_models` in a wheel, `models/` in a checkout."""
    for folder in (_PACKAGE_MODELS, _CHECKOUT_MODELS):
        if folder.is_dir():
            return folder
    raise ModelError("no bundled models folder found; reinstall fakescope or pass a model path")


def default_model_path() -> Path:
    """The bundled default model."""
    path = models_dir() / DEFAULT_MODEL_NAME
    if not path.is_file():
        raise ModelError(f"the bundled model {path} is missing; rebuild it with `make model`")
    return path


def list_models(folder: str | Path | None = None) -> list[Path]:
    """ONNX files in `folder` (default: the bundled models), sorted by name."""
    root = Path(folder) if folder is not None else models_dir()
    return sorted(p for p in root.glob("*.onnx") if p.is_file())
