"""Figures build from an EDA table and show its numbers; `summary` flags shortcuts and only them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from PIL import Image

from fakescope.eda import figures
from fakescope.eda.stats import collect_stats
from fakescope.eda.table import COLUMNS, SPECTRUM_COLUMNS, conform, spectrum_matrix

FIGURE_NAMES = [
    "class_balance",
    "rgb_means",
    "resolution_scatter",
    "sharpness_hist",
    "luminance_contrast",
    "radial_spectrum",
    "jpeg_quality",
    "sample_grid",
]


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> pd.DataFrame:
    """A flat real/fake folder: 14 real 64x64 JPEGs, 10 fake 48x48 PNGs, one corrupt fake."""
    root = tmp_path_factory.mktemp("figures")
    rng = np.random.default_rng(0)
    for label, count, side in (("real", 14, 64), ("fake", 10, 48)):
        (root / label).mkdir()
        for i in range(count):
            image = Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
            image.save(root / label / (f"{i}.jpg" if label == "real" else f"{i}.png"))
    (root / "fake" / "bad.png").write_bytes(b"\x89PNG broken")
    return collect_stats(root, workers=1)


def _synthetic(n: int = 200, seed: int = 0, **fake_overrides: object) -> pd.DataFrame:
    """A table with identically distributed classes, then `fake_overrides` applied to the fake rows."""
    rng = np.random.default_rng(seed)
    data = {
        "split": rng.choice(["train", "valid", "test"], n, p=[0.7, 0.15, 0.15]),
        "label": np.array(["real", "fake"] * (n // 2)),
        "path": [f"/nowhere/{i}.jpg" for i in range(n)],
        "width": 256,
        "height": 256,
        "format": "JPEG",
        "mode": "RGB",
        "file_size": rng.integers(18_000, 22_000, n),
        "mtime_ns": 0,
        "error": "",
        "jpeg_quality": 90.0,
        **{c: rng.normal(120, 20, n) for c in ("mean_r", "mean_g", "mean_b", "luminance")},
        **{c: rng.normal(50, 5, n) for c in ("std_r", "std_g", "std_b", "contrast")},
        "sharpness": rng.lognormal(5, 0.5, n),
        **{c: rng.normal(10 - i / 4, 1, n) for i, c in enumerate(SPECTRUM_COLUMNS)},
    }
    frame = pd.DataFrame({c: data[c] for c in COLUMNS})
    fake = frame["label"] == "fake"
    for column, value in fake_overrides.items():
        frame[column] = frame[column].astype(object if isinstance(value, str) else frame[column].dtype)
        frame.loc[fake, column] = value
    return conform(frame)


def test_all_figures_are_built_titled_and_in_order(table):
    built = figures.all_figures(table)
    assert list(built) == FIGURE_NAMES
    for name, fig in built.items():
        assert isinstance(fig, go.Figure), name
        assert fig.layout.title.text, name
        assert len(fig.data) > 0, name
        assert fig.to_json()  # serialisable as the HTML report and the widget need


def test_each_figure_function_matches_all_figures(table):
    built = figures.all_figures(table)
    for name in FIGURE_NAMES:
        assert getattr(figures, name)(table).to_json() == built[name].to_json()


def test_class_balance_counts_every_file(table):
    bars = {
        trace.name: dict(zip(trace.x, trace.y, strict=True)) for trace in figures.class_balance(table).data
    }
    expected = Counter(zip(table["label"], table["split"], strict=True))
    assert sum(sum(counts.values()) for counts in bars.values()) == 25
    for (label, split), count in expected.items():
        assert bars[label][split] == count


def test_resolution_scatter_counts_sizes(table):
    traces = {trace.name: trace for trace in figures.resolution_scatter(table).data}
    assert (list(traces["real"].x), list(traces["real"].y), list(traces["real"].customdata)) == (
        [64],
        [64],
        [14],
    )
    assert (list(traces["fake"].x), list(traces["fake"].customdata)) == ([48], [10])


def test_spectrum_difference_is_fake_mean_minus_real_mean(table):
    fig = figures.radial_spectrum(table)
    difference = next(trace for trace in fig.data if trace.name == "fake - real")
    ok = table[table["error"] == ""]
    means = {
        label: spectrum_matrix(ok[ok["label"] == label]).astype(float).mean(axis=0)
        for label in ("real", "fake")
    }
    assert np.allclose(difference.y, means["fake"] - means["real"], atol=1e-4)


def test_sample_grid_shows_n_images_per_class(table):
    fig = figures.sample_grid(table, n=3)
    images = [trace for trace in fig.data if isinstance(trace, go.Image)]
    assert len(images) == 6
    assert all(trace.source.startswith("data:image/jpeg;base64,") for trace in images)
    assert sum("real" in trace.name for trace in images) == 3


def test_figures_survive_empty_and_one_class_tables(table):
    for part in (table.iloc[:0], table[table["label"] == "real"], table[table["error"] != ""]):
        for fig in figures.all_figures(part).values():
            assert isinstance(fig, go.Figure)


def test_sharpness_histogram_is_a_share_of_each_class(table):
    for trace in figures.sharpness_hist(table).data:
        assert sum(trace.y) == pytest.approx(100.0)


def test_summary_flags_format_and_size_shortcuts(table):
    lines = figures.summary(table)
    assert lines[0] == "25 images: 14 real, 10 fake."
    assert "1 file could not be read" in lines[1]
    assert any(line.startswith("all fakes are PNG and all reals are JPEG") for line in lines)
    assert any(line.startswith("sizes differ by class") for line in lines)


def test_summary_finds_nothing_when_classes_look_alike():
    lines = figures.summary(_synthetic())
    assert lines[1:] == [
        "no shortcut found: formats, sizes, compression and image statistics look alike across classes."
    ]


@pytest.mark.parametrize(
    ("overrides", "phrase"),
    [
        ({"jpeg_quality": 75.0}, "JPEG quality differs by class: median 90 for reals, 75 for fakes"),
        ({"sharpness": 5000.0}, "sharpness alone separates the classes"),
        ({"mode": "L"}, "all fakes are L and all reals are RGB"),
        ({"file_size": 60_000}, "file size per pixel differs by class"),
        ({**{c: 0.0 for c in SPECTRUM_COLUMNS[48:]}}, "fakes carry"),
    ],
)
def test_summary_flags_each_kind_of_shortcut(overrides, phrase):
    assert any(phrase in line for line in figures.summary(_synthetic(**overrides)))


def test_summary_flags_an_imbalanced_split():
    lines = figures.summary(
        _synthetic().query("not (split == 'train' and label == 'fake' and index % 4 != 0)")
    )
    assert any(line.startswith("train is imbalanced") for line in lines)


def test_summary_with_one_class_says_there_is_nothing_to_compare():
    lines = figures.summary(_synthetic().query("label == 'real'"))
    assert lines[-1] == "no readable fake images: there is nothing to compare."


def test_sample_grid_refuses_n_below_one(table):
    with pytest.raises(ValueError, match="Received: n=0"):
        figures.sample_grid(table, n=0)


def test_missing_image_files_are_skipped_in_the_grid(table):
    moved = table.assign(path=table["path"].map(lambda p: str(Path(p).with_name("gone.png"))))
    assert not [t for t in figures.sample_grid(moved, n=2).data if isinstance(t, go.Image)]
