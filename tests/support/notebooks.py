"""Run a notebook top to bottom as Jupyter would, and read what it showed."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def run_notebook(name: str, timeout: int = 300) -> list[dict]:
    """Execute `notebooks/NAME` in its own folder and return every code cell's outputs, in order.

    Raises:
        AssertionError: a cell raised (the error output is in the message).
    """
    path = NOTEBOOKS / name
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    errors = [output for output in outputs if output.output_type == "error"]
    assert not errors, errors
    return outputs


def text_of(outputs: list[dict]) -> str:
    """Everything the cells printed."""
    return "".join(output.get("text", "") for output in outputs)


def shown(outputs: list[dict], mime: str) -> list:
    """The data of each output shown as `mime` (e.g. "text/html", "image/png", `PLOTLY_MIME`)."""
    return [output["data"][mime] for output in outputs if mime in output.get("data", {})]
