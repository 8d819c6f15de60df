"""fakescope.report.evaluate_folder: one row per image of the split, scored as Detector.predict scores it."""

from __future__ import annotations

import numpy as np
import pytest
from browser_support import MODEL_SEED, write_dataset
from onnx_fixtures import write_tiny_model

from fakescope.data.layout import DatasetLayoutError
from fakescope.report import EVAL_COLUMNS, evaluate_folder
from fakescope.runtime import Detector


@pytest.fixture(scope="module")
def detector(tmp_path_factory) -> Detector:
    return Detector(write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.onnx", seed=MODEL_SEED))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = write_dataset(tmp_path_factory.mktemp("data") / "faces", per_class=4)
    (root / "test" / "fake" / "zz_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    return root


def test_scores_every_image_of_the_split_like_predict(detector, dataset):
    calls = []
    table = evaluate_folder(
        detector, dataset, split="test", batch_size=3, progress=lambda d, t: calls.append((d, t))
    )
    assert list(table.columns) == list(EVAL_COLUMNS)
    assert len(table) == 9 and set(table["split"]) == {"test"}
    ok = table[table["error"] == ""]
    expected = [detector.predict(path).prob_fake for path in ok["path"]]
    np.testing.assert_allclose(ok["prob_fake"], expected, rtol=0, atol=1e-6)
    assert ok["label"].tolist() == [1 if "/fake/" in p else 0 for p in ok["path"]]
    assert calls[-1] == (9, 9) and [d for d, _ in calls] == [3, 6, 9]


def test_unreadable_files_become_rows_with_a_reason(detector, dataset):
    table = evaluate_folder(detector, dataset, split="test")
    bad = table[table["path"].str.endswith("zz_corrupt.png")].iloc[0]
    assert np.isnan(bad["prob_fake"]) and "zz_corrupt.png" in bad["error"] and bad["label"] == 1


def test_limit_draws_a_reproducible_subset(detector, dataset):
    first = evaluate_folder(detector, dataset, split="all", limit=5, seed=3)
    again = evaluate_folder(detector, dataset, split="all", limit=5, seed=3)
    assert len(first) == 5 and first["path"].tolist() == again["path"].tolist()
    assert first["path"].tolist() == sorted(first["path"])


def test_bad_arguments_and_folders_are_refused(detector, dataset, tmp_path):
    with pytest.raises(ValueError, match="split"):
        evaluate_folder(detector, dataset, split="holdout")
    with pytest.raises(ValueError, match="limit"):
        evaluate_folder(detector, dataset, limit=0)
    with pytest.raises(DatasetLayoutError):
        evaluate_folder(detector, tmp_path)
