"""`fakescope eda DATA_DIR --out DIR` writes the table and a self-contained HTML report."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fakescope.cli.eda import eda
from fakescope.eda.table import read_table


@pytest.fixture
def dataset(tmp_path) -> Path:
    """Flat real/fake: 6 real JPEGs, 6 fake PNGs, one unreadable fake."""
    rng = np.random.default_rng(0)
    for label, suffix in (("real", ".jpg"), ("fake", ".png")):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / "data" / label / f"{i}{suffix}")
    (tmp_path / "data" / "fake" / "broken.png").write_bytes(b"nope")
    return tmp_path / "data"


def test_eda_writes_table_and_offline_html_report(dataset, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(eda, [str(dataset), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    table = read_table(out / "eda.parquet")
    assert len(table) == 13 and (table["error"] != "").sum() == 1
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js is inline, no CDN
    assert html.count("Plotly.newPlot") == 8
    assert "all fakes are PNG and all reals are JPEG" in html
    assert "kaleido is not installed: wrote the HTML report only, no PNGs" in result.output
    assert not list(out.glob("*.png"))
    assert "13 images (1 unreadable, 0 from the cache)" in result.output


def test_second_run_reuses_the_cache(dataset, tmp_path):
    out = tmp_path / "out"
    CliRunner().invoke(eda, [str(dataset), "--out", str(out), "--workers", "1"])
    result = CliRunner().invoke(eda, [str(dataset), "--out", str(out), "--sample", "5"])
    assert result.exit_code == 0, result.output
    table = read_table(out / "eda.parquet")
    errors = int((table["error"] != "").sum())
    assert len(table) == 5
    assert f"5 images ({errors} unreadable, {5 - errors} from the cache); measured {errors} " in result.output


def test_folder_without_a_dataset_fails_with_one_line(tmp_path):
    result = CliRunner().invoke(eda, [str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.output
