"""fakescope.report.evaluate_folder / score_records: every record scored as Detector.predict scores it,
with the dataset's image limits whoever built the detector."""

from __future__ import annotations

import numpy as np
import pytest
from browser_support import MODEL_SEED, write_dataset
from image_factory import write_demo_layout
from onnx_fixtures import write_tiny_model

from fakescope.data.layout import TRAINING_LIMITS, DatasetLayoutError, discover
from fakescope.report import EVAL_COLUMNS, evaluate_folder, score_records
from fakescope.runtime import Detector
from fakescope.runtime.degrade import DEGRADATIONS
from fakescope.runtime.images import load_image


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
    scores = evaluate_folder(
        detector, dataset, split="test", batch_size=3, progress=lambda d, t: calls.append((d, t))
    )
    table = scores.table()
    assert list(table.columns) == list(EVAL_COLUMNS)
    assert len(table) == 9 and set(table["split"]) == {"test"}
    expected = [detector.predict(record.path).prob_fake for record in scores.records]
    np.testing.assert_allclose(scores.prob_fake, expected, rtol=0, atol=1e-6)
    assert scores.labels.tolist() == [1 if "/fake/" in str(r.path) else 0 for r in scores.records]
    assert calls[-1] == (9, 9) and [d for d, _ in calls] == [3, 6, 9]


def test_degraded_scores_are_those_of_predict_on_the_degraded_pixels(detector, dataset):
    records = discover(dataset)
    test_split = [r for r in records if r.split == "test"]
    scores = score_records(detector, test_split, degrade=DEGRADATIONS["half"])
    scorer = detector.with_limits(TRAINING_LIMITS)
    judged = [
        scorer.predict(DEGRADATIONS["half"](load_image(r.path, TRAINING_LIMITS).pixels))
        for r in scores.records
    ]
    np.testing.assert_allclose(scores.prob_fake, [p.prob_fake for p in judged], rtol=0, atol=1e-6)
    assert scores.reasons == tuple(p.reasons for p in judged)
    # the corrupt file is rejected in the runtime's own words, as when scored as it is
    (rejection,) = scores.rejected
    assert rejection.reason == score_records(detector, [rejection.record]).rejected[0].reason


def test_unreadable_files_become_rejections_and_rows_with_a_reason(detector, dataset):
    scores = evaluate_folder(detector, dataset, split="test")
    (rejection,) = scores.rejected
    assert rejection.record.path.name == "zz_corrupt.png" and rejection.record.label == 1
    bad = scores.table().query("error != ''").iloc[0]
    assert np.isnan(bad["prob_fake"]) and "zz_corrupt.png" in bad["error"] and bad["label"] == 1


def test_a_dataset_of_25px_crops_is_scored_with_the_dataset_limits_whoever_built_the_detector(
    detector, tmp_path
):
    root = write_demo_layout(tmp_path / "demo")
    assert detector.limits.min_side > 25  # an upload detector: it refuses such a file on its own
    scores = evaluate_folder(detector, root, split="all")
    assert len(scores.records) == 18 and scores.rejected == ()
    upload_limits = score_records(detector, discover(root), limits=None)
    assert (
        len(upload_limits.rejected) == 18 and "smaller than the minimum side" in upload_limits.rejected[0][1]
    )
    assert detector.with_limits(TRAINING_LIMITS).predict(scores.records[0].path).prob_fake == pytest.approx(
        scores.prob_fake[0]
    )


def test_limit_draws_a_reproducible_subset(detector, dataset):
    first = evaluate_folder(detector, dataset, split="all", limit=5, seed=3)
    again = evaluate_folder(detector, dataset, split="all", limit=5, seed=3)
    paths = first.table()["path"].tolist()
    assert len(paths) == 5 and paths == again.table()["path"].tolist()
    assert paths == [str(r.path) for r in discover(dataset) if str(r.path) in paths]  # discover's order


def test_bad_arguments_and_folders_are_refused(detector, dataset, tmp_path):
    with pytest.raises(ValueError, match="split"):
        evaluate_folder(detector, dataset, split="holdout")
    with pytest.raises(ValueError, match="limit"):
        evaluate_folder(detector, dataset, limit=0)
    with pytest.raises(ValueError, match="batch_size"):
        score_records(detector, discover(dataset), batch_size=0)
    with pytest.raises(DatasetLayoutError):
        evaluate_folder(detector, tmp_path)


def test_an_evaluation_reads_the_onnx_model_once(detector, dataset, monkeypatch):
    from fakescope.export.evaluate_onnx import evaluate_onnx
    from fakescope.runtime import detector as detector_module
    from fakescope.train.evaluate import evaluate_model

    reads = []
    original = detector_module.read_model_bytes
    monkeypatch.setattr(
        detector_module, "read_model_bytes", lambda path: reads.append(path) or original(path)
    )
    evaluation = evaluate_model(detector.model_path, dataset)
    assert reads == [detector.model_path] and evaluation.test.n == 9 - 1  # the corrupt file is skipped
    reads.clear()
    assert evaluate_onnx(detector.model_path, dataset)["n"] == 8 and reads == [detector.model_path]
