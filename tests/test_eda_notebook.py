"""notebooks/01_eda.ipynb runs top to bottom under nbclient on a generated folder."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from support.notebooks import PLOTLY_MIME, run_notebook, shown, text_of


@pytest.mark.slow
def test_eda_notebook_runs_and_shows_every_figure(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for label in ("real", "fake"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(5):
            Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(
                tmp_path / "data" / label / f"{i}.png"
            )
    monkeypatch.setenv("FAKESCOPE_EDA_DATA", str(tmp_path / "data"))
    outputs = run_notebook("01_eda.ipynb")
    assert "- 10 images: 5 real, 5 fake." in text_of(outputs)
    assert len(shown(outputs, PLOTLY_MIME)) == 8
