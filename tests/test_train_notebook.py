"""notebooks/02_train.ipynb runs top to bottom under nbclient on a generated dataset with tiny epochs."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fakescope.data.toy import write_toy_dataset

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "02_train.ipynb"


def test_training_notebook_runs_and_leaves_a_run(tmp_path, monkeypatch):
    data = write_toy_dataset(tmp_path / "data", counts=(8, 4, 4), size=40)
    run = tmp_path / "run"
    for key, value in {
        "FAKESCOPE_DATA": data,
        "FAKESCOPE_RUN": run,
        "FAKESCOPE_EPOCHS": 1,
        "FAKESCOPE_FINE_TUNE_EPOCHS": 1,
    }.items():
        monkeypatch.setenv(key, str(value))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)
    assert (run / "best_model.keras").is_file()
    assert json.loads((run / "metrics.json").read_text())["test"]["n"] == 8
