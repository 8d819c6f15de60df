"""notebooks/02_train.ipynb runs top to bottom under nbclient on a generated dataset with tiny epochs."""

from __future__ import annotations

import json

import pytest
from support.notebooks import PLOTLY_MIME, run_notebook, shown, text_of

from fakescope.data.toy import write_toy_dataset

pytestmark = pytest.mark.slow


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
    outputs = run_notebook("02_train.ipynb")
    titles = [
        figure["layout"]["title"]["text"]
        for figure in shown(outputs, PLOTLY_MIME)
        if "title" in figure["layout"]
    ]
    assert any(title.startswith("Confusion matrix") for title in titles)  # the package's figure
    assert len(shown(outputs, PLOTLY_MIME)) == 2 and "threshold" in text_of(outputs)
    assert (run / "best_model.keras").is_file()
    assert json.loads((run / "metrics.json").read_text())["test"]["n"] == 8
