"""`collect_stats`: rows follow discovery, values match an independent decode, errors, cache, sample, pool."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from support.layout import class_folders

from fakescope.data.layout import DatasetLayoutError, discover
from fakescope.eda import stats
from fakescope.eda.measures import SPECTRUM_BINS
from fakescope.eda.table import COLUMNS, SPECTRUM_COLUMNS, read_table, spectrum_matrix, write_table


def _write_dataset(root: Path, per_class: int = 3) -> Path:
    """140k layout; reals are 48x64 JPEGs, fakes 40x40 PNGs; plus one corrupt and one empty file."""
    rng = np.random.default_rng(0)
    for folder, label in class_folders(root):
        for i in range(per_class):
            if label == "real":
                pixels = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.jpg", quality=80)
            else:
                Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    (root / "train" / "real" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    (root / "test" / "fake" / "empty.png").write_bytes(b"")
    return root


@pytest.fixture
def dataset(tmp_path) -> Path:
    return _write_dataset(tmp_path / "data")


@pytest.fixture
def counted(monkeypatch) -> list[str]:
    """Paths handed to the worker function, in this process (workers=1)."""
    seen: list[str] = []
    original = stats.measure_files

    def counting(paths):
        seen.extend(paths)
        return original(paths)

    monkeypatch.setattr(stats, "measure_files", counting)
    return seen


def test_rows_follow_discovery(dataset):
    table = stats.collect_stats(dataset, workers=1)
    records = discover(dataset)
    assert list(table.columns) == list(COLUMNS)
    assert table["path"].tolist() == [os.path.abspath(r.path) for r in records]
    assert table["split"].tolist() == [r.split for r in records]
    assert table["label"].tolist() == ["fake" if r.label else "real" for r in records]


def test_values_match_an_independent_decode(dataset):
    table = stats.collect_stats(dataset, workers=1)
    ok = table[table["error"] == ""]
    assert len(ok) == 18
    for row in ok.itertuples():
        with Image.open(row.path) as image:
            pixels = np.asarray(image.convert("RGB"), dtype=np.float64).reshape(-1, 3)
            assert (row.width, row.height, row.format, row.mode) == (*image.size, image.format, image.mode)
        means, stds = pixels.mean(axis=0), pixels.std(axis=0)
        assert (row.mean_r, row.mean_g, row.mean_b) == pytest.approx(tuple(means), abs=1e-6)
        assert (row.std_r, row.std_g, row.std_b) == pytest.approx(tuple(stds), abs=1e-6)
        assert row.luminance == pytest.approx(means @ [0.299, 0.587, 0.114], abs=1e-3)
        assert row.file_size == os.path.getsize(row.path)
        assert row.sharpness > 0
    assert (ok[ok["format"] == "JPEG"]["jpeg_quality"] == 80).all()
    assert ok[ok["format"] == "PNG"]["jpeg_quality"].isna().all()
    assert np.isfinite(spectrum_matrix(ok)).all()


def test_unreadable_files_become_rows_with_an_error(dataset):
    table = stats.collect_stats(dataset, workers=1)
    bad = table[table["error"] != ""]
    bad.index = bad["path"].map(lambda p: Path(p).name)
    assert sorted(bad.index) == ["corrupt.jpg", "empty.png"]
    assert "empty" in bad.loc["empty.png", "error"]
    assert bad[["mean_r", "sharpness", "spec_00"]].isna().all().all()
    assert (bad["format"] == "").all()


def test_cache_measures_only_new_or_changed_files(dataset, tmp_path, counted):
    cache = tmp_path / "cache.parquet"
    first = stats.collect_stats(dataset, workers=1, cache=cache)
    assert len(counted) == 20 and cache.is_file()
    counted.clear()
    second = stats.collect_stats(dataset, workers=1, cache=cache)
    assert sorted(Path(p).name for p in counted) == ["corrupt.jpg", "empty.png"]  # errors are retried
    pd.testing.assert_frame_equal(first, second)
    changed = dataset / "valid" / "real" / "1.jpg"
    Image.fromarray(np.zeros((48, 64, 3), np.uint8)).save(changed)
    counted.clear()
    third = stats.collect_stats(dataset, workers=1, cache=cache)
    assert sorted(Path(p).name for p in counted) == ["1.jpg", "corrupt.jpg", "empty.png"]
    assert third.loc[third["path"] == str(changed), "mean_r"].item() == 0.0


def test_csv_cache_works_the_same(dataset, tmp_path, counted):
    cache = tmp_path / "cache.csv"
    first = stats.collect_stats(dataset, workers=1, cache=cache)
    counted.clear()
    second = stats.collect_stats(dataset, workers=1, cache=cache)
    assert len(counted) == 2
    pd.testing.assert_frame_equal(first, second, check_exact=False, rtol=1e-6)


def test_a_damaged_cache_is_ignored_with_a_warning(dataset, tmp_path):
    cache = tmp_path / "cache.parquet"
    cache.write_bytes(b"not parquet")
    with pytest.warns(UserWarning, match="unreadable EDA cache"):
        table = stats.collect_stats(dataset, workers=1, cache=cache)
    assert len(table) == 20
    assert len(read_table(cache)) == 20


def test_sample_draws_a_reproducible_subset(dataset):
    full = stats.collect_stats(dataset, workers=1)
    sample = stats.collect_stats(dataset, sample=7, workers=1)
    assert len(sample) == 7
    assert set(sample["path"]) <= set(full["path"])
    assert sample["path"].tolist() == stats.collect_stats(dataset, sample=7, workers=1)["path"].tolist()


def test_progress_reaches_the_total(dataset):
    calls: list[tuple[int, int]] = []
    stats.collect_stats(
        dataset, workers=1, chunk_size=6, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(0, 20), (6, 20), (12, 20), (18, 20), (20, 20)]


@pytest.mark.slow
def test_process_pool_gives_the_same_table(dataset, monkeypatch):
    monkeypatch.setattr(stats, "POOL_THRESHOLD", 0)
    contexts: list[str] = []
    get_context = stats.multiprocessing.get_context
    monkeypatch.setattr(stats.multiprocessing, "get_context", lambda m: contexts.append(m) or get_context(m))
    pooled = stats.collect_stats(dataset, workers=2, chunk_size=3)
    assert contexts == ["spawn"]
    pd.testing.assert_frame_equal(pooled, stats.collect_stats(dataset, workers=1))


def test_table_round_trips_through_parquet_and_csv(dataset, tmp_path):
    table = stats.collect_stats(dataset, workers=1)
    for name in ("table.parquet", "table.csv"):
        back = read_table(write_table(table, tmp_path / name))
        pd.testing.assert_frame_equal(back, table, check_exact=name.endswith("parquet"), rtol=1e-6)
        assert spectrum_matrix(back).shape == (20, SPECTRUM_BINS)
        assert all(back[c].dtype == np.float32 for c in SPECTRUM_COLUMNS)


def test_not_a_dataset_raises_a_typed_error(tmp_path):
    with pytest.raises(DatasetLayoutError):
        stats.collect_stats(tmp_path)


@pytest.mark.parametrize(("sample", "workers"), [(0, None), (None, 0)])
def test_bad_arguments_are_refused(dataset, sample, workers):
    with pytest.raises(ValueError, match="Received"):
        stats.collect_stats(dataset, sample=sample, workers=workers)
