"""Find the notebooks that `fakescope dashboard` serves: package data in a wheel, `notebooks/` in a checkout.

Example:
    >>> notebook_path("dashboard").name
    'dashboard.ipynb'
"""

from __future__ import annotations

from pathlib import Path

DASHBOARDS = {
    "dashboard": "dashboard.ipynb",
    "explore": "explore.ipynb",
    "evaluate": "evaluate.ipynb",
}
"""Short names accepted by `fakescope dashboard NOTEBOOK`, and their files."""

_PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent.parent / "_notebooks"
_CHECKOUT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def notebook_path(name: str) -> Path:
    """The notebook for a dashboard name (see `DASHBOARDS`) or the path of an existing `.ipynb` file.

    Raises:
        FileNotFoundError: `name` is neither a known dashboard nor an existing notebook file.
    """
    given = Path(name).expanduser()
    if given.suffix == ".ipynb":
        if given.is_file():
            return given.resolve()
        raise FileNotFoundError(f"notebook not found: {name}")
    if name not in DASHBOARDS:
        raise FileNotFoundError(
            f"unknown dashboard {name!r}; choose {', '.join(DASHBOARDS)} or a .ipynb file"
        )
    for folder in (_PACKAGE_NOTEBOOKS, _CHECKOUT_NOTEBOOKS):
        path = folder / DASHBOARDS[name]
        if path.is_file():
            return path
    raise FileNotFoundError(f"the {name} notebook is missing from this installation; reinstall fakescope")
