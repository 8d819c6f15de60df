"""notebooks/03_export.ipynb runs top to bottom under nbclient on a generated run and dataset."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from test_export_helpers import save_run, write_dataset

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_export.ipynb"


@pytest.mark.slow
def test_export_notebook_shows_validation_card_and_cams(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKESCOPE_EXPORT_MODEL", str(save_run(tmp_path / "run")))
    monkeypatch.setenv("FAKESCOPE_EXPORT_CALIB", str(write_dataset(tmp_path / "data", per_class=8)))
    monkeypatch.setenv("FAKESCOPE_EXPORT_OUT", str(tmp_path / "out" / "model.onnx"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "".join(output.get("text", "") for output in outputs)
    assert "✓ prob_fake" in text and "✓ cam" in text and "int8 vs fp32 onnx" in text
    html = "".join(output.get("data", {}).get("text/html", "") for output in outputs)
    assert "Limitations" in html and "prob_fake int8" in html
    assert any("image/png" in output.get("data", {}) for output in outputs)
    assert (tmp_path / "out" / "model-int8.onnx").is_file()
