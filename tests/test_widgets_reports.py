"""ModelReport and DatasetExplorer driven from Python on a small generated dataset."""

from __future__ import annotations

import os

import pytest
from browser_support import MODEL_SEED, write_dataset
from image_factory import write_demo_layout
from onnx_fixtures import write_tiny_model

from fakescope.eda import figures
from fakescope.report import evaluate_folder
from fakescope.runtime import Detector
from fakescope.widgets import DatasetExplorer, ModelReport
from fakescope.widgets.env import DATA_ENV, MODEL_ENV
from fakescope.widgets.plots import PLOTLY_MIME


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.onnx", seed=MODEL_SEED)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("data") / "faces", per_class=5)


def plotted(out) -> dict:
    (output,) = out.outputs
    return output["data"][PLOTLY_MIME]


def test_report_shows_the_curves_and_metrics_of_the_evaluation(model, dataset):
    report = ModelReport(model, dataset)
    progress = []
    report.progress.bar.observe(lambda change: progress.append(change["new"]), "value")
    scores = report.evaluate()
    reference = evaluate_folder(Detector(model), dataset, split="test")
    assert scores.prob_fake.tolist() == pytest.approx(reference.prob_fake.tolist())
    assert progress[-1] == len(reference.records) == report.progress.bar.max
    metrics = reference.metrics(0.5)
    assert f"{metrics.roc_auc:.3f}" in plotted(report.roc)["layout"]["title"]["text"]
    assert f"{metrics.accuracy:.3f}" in report.tiles.value
    for out in (report.pr, report.calibration, report.confusion, report.histogram):
        assert plotted(out)["data"]
    assert "Scored 5 real and 5 fake" in report.status.value


def test_report_threshold_updates_the_confusion_matrix_and_mistakes(model, dataset):
    report = ModelReport(model, dataset)
    scores = report.evaluate()
    report.threshold.value = 0.99  # every image is called REAL: the fakes are the mistakes
    expected = scores.metrics(0.99).matrix
    assert plotted(report.confusion)["data"][0]["text"][1][0].startswith(f"{expected[1, 0]}<br>")
    names = report.gallery.children[0].children
    assert len(names) == 5 and all("fake_" in tile.children[1].value for tile in names)
    assert all(type(tile.children[0]).__name__ == "Image" for tile in names)


def test_report_on_a_folder_of_25px_images_in_the_demo_layout_scores_them_all(model, tmp_path):
    root = write_demo_layout(tmp_path / "demo")
    report = ModelReport(model, root, split="all")
    assert report.detector.limits.min_side > 25  # the dashboard's detector keeps the upload limits
    scores = report.evaluate()
    assert len(scores.records) == 18 and scores.rejected == ()
    assert "Scored 9 real and 9 fake" in report.status.value
    report.threshold.value = 0.001  # every image called FAKE: the reals are the mistakes, explained
    tiles = report.gallery.children[0].children
    assert len(tiles) == 8 and all(type(tile.children[0]).__name__ == "Image" for tile in tiles)


def test_moving_the_threshold_runs_the_model_only_on_mistakes_not_shown_before(model, dataset, monkeypatch):
    report = ModelReport(model, dataset)
    report.evaluate()
    ran = []
    original = Detector.predict_batch
    monkeypatch.setattr(
        Detector,
        "predict_batch",
        lambda self, images, *a, **k: ran.extend(images) or original(self, images, *a, **k),
    )
    report.threshold.value = 0.99
    first = list(ran)
    report.threshold.value = 0.5
    report.threshold.value = 0.99
    assert first and ran == first + [p for p in ran[len(first) :] if p not in first]
    assert len(ran) == len(set(ran))  # no image was run twice


def test_report_starts_at_the_cards_exact_threshold(tmp_path):
    model = write_tiny_model(tmp_path / "t.onnx", seed=MODEL_SEED, threshold=0.9944)
    assert ModelReport(model, tmp_path).threshold.value == Detector(model).threshold == 0.9944


def test_report_on_a_bad_folder_says_why(model, tmp_path):
    report = ModelReport(model, tmp_path / "nowhere")
    assert report.evaluate() is None
    assert "nowhere is not a folder" in report.folder.note.value and not report.run_button.disabled
    assert str(tmp_path) not in report.status.value + report.folder.note.value


def test_report_reads_model_and_folder_from_the_environment(model, dataset, monkeypatch):
    monkeypatch.setenv(MODEL_ENV, str(model))
    monkeypatch.setenv(DATA_ENV, str(dataset))
    report = ModelReport()
    assert report.detector is not None and report.folder.value == dataset.name
    assert report.folder.check() == dataset.resolve()


def test_explorer_shows_the_eda_figures_summary_and_sample_grid(dataset, monkeypatch):
    monkeypatch.setenv(DATA_ENV, str(dataset))
    explorer = DatasetExplorer(workers=1)
    table = explorer.run()
    assert len(table) == 30 and explorer.progress.bar.value == 30
    expected = [
        f.layout.title.text for name, f in figures.all_figures(table).items() if name != "sample_grid"
    ]
    assert [plotted(out)["layout"]["title"]["text"] for out in explorer.figures.children] == expected
    assert plotted(explorer.grid.children[0])["data"][0]["type"] == "image"
    for line in figures.summary(table):
        assert line.split(":")[0] in explorer.summary.value


def test_explorer_on_a_bad_folder_says_why_and_stays_usable(tmp_path):
    explorer = DatasetExplorer(tmp_path)
    assert explorer.run() is None
    assert "is not a dataset folder" in explorer.folder.note.value and not explorer.run_button.disabled


def test_report_on_a_split_of_unreadable_files_says_why(model, tmp_path):
    for label in ("real", "fake"):
        (tmp_path / "test" / label).mkdir(parents=True)
        (tmp_path / "test" / label / "x.png").write_bytes(b"not a png")
    report = ModelReport(model, tmp_path)
    scores = report.evaluate()
    assert len(scores.rejected) == 2 and report.scores is None
    assert "No image of" in report.status.value and "x.png: the data is not a PNG" in report.status.value


def test_an_empty_folder_field_asks_for_a_folder_instead_of_reading_the_working_directory(
    model, tmp_path, monkeypatch
):
    monkeypatch.delenv(DATA_ENV, raising=False)
    explorer, report = DatasetExplorer("", roots=[tmp_path]), ModelReport(model, "", roots=[tmp_path])
    assert explorer.run() is None and "Enter a dataset folder" in explorer.folder.note.value
    assert report.evaluate() is None and "Enter a dataset folder" in report.folder.note.value
    explorer, report = DatasetExplorer(""), ModelReport(model, "")
    assert explorer.run() is None and "No dataset folder was given" in explorer.folder.note.value
    assert report.evaluate() is None and "No dataset folder was given" in report.folder.note.value


def test_a_file_name_that_is_not_utf8_is_one_row_among_the_others(model, tmp_path):
    root = write_dataset(tmp_path / "faces", per_class=3)
    real = root / "test" / "real"
    first = sorted(real.iterdir())[0]
    os.rename(first, os.path.join(os.fsencode(real), b"\xffodd.png"))
    table = DatasetExplorer(root).run()
    assert len(table) == 18 and (table["path"] == str(real / "\ufffdodd.png")).sum() == 1
    scored = ModelReport(model, root).evaluate()
    assert len(scored.records) == 6 and scored.rejected == ()
    assert (scored.table()["path"] == str(real / "\ufffdodd.png")).sum() == 1
