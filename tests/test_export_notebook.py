"""notebooks/03_export.ipynb runs top to bottom under nbclient on a generated run and dataset."""

from __future__ import annotations

import pytest
from support.export_runs import save_run, write_dataset
from support.notebooks import run_notebook, shown, text_of


@pytest.mark.slow
def test_export_notebook_shows_validation_card_and_cams(tmp_path, monkeypatch):
    monkeypatch.setenv("FAKESCOPE_EXPORT_MODEL", str(save_run(tmp_path / "run")))
    monkeypatch.setenv("FAKESCOPE_EXPORT_CALIB", str(write_dataset(tmp_path / "data", per_class=8)))
    monkeypatch.setenv("FAKESCOPE_EXPORT_OUT", str(tmp_path / "out" / "model.onnx"))
    outputs = run_notebook("03_export.ipynb")
    text = text_of(outputs)
    assert "✓ prob_fake" in text and "✓ cam" in text and "int8 vs fp32 onnx" in text
    html = "".join(shown(outputs, "text/html"))
    assert "Limitations" in html and "prob_fake int8" in html
    assert shown(outputs, "image/png")
    assert (tmp_path / "out" / "model-int8.onnx").is_file()
