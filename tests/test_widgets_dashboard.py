"""DetectorDashboard driven from Python: uploads, samples, threshold, opacity, history, models, errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import numpy as np
import pytest
from browser_support import FAKE_LOOK, MODEL_SEED, REAL_LOOK, encoded, face_image, write_samples
from onnx_fixtures import write_tiny_model
from PIL import Image

from fakescope.runtime import Detector
from fakescope.widgets import DetectorDashboard
from fakescope.widgets.env import MODEL_ENV, SAMPLES_ENV
from fakescope.widgets.pictures import fit
from fakescope.widgets.result_card import SIDE

XSS_NAME = "<img src=x onerror=alert(1)>.png"


def upload_value(files: list[tuple[str, bytes]]) -> tuple[dict, ...]:
    """What ipywidgets 8's FileUpload holds after the browser sent `files`."""
    when = datetime(2024, 1, 1, tzinfo=UTC)
    return tuple(
        {"name": n, "type": "image/png", "size": len(c), "content": memoryview(c), "last_modified": when}
        for n, c in files
    )


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_tiny_model(tmp_path_factory.mktemp("model") / "tiny.onnx", seed=MODEL_SEED)


@pytest.fixture(scope="module")
def faces() -> dict[str, bytes]:
    return {"real.png": encoded(face_image(*REAL_LOOK)), "fake.png": encoded(face_image(*FAKE_LOOK))}


@pytest.fixture()
def dashboard(model, tmp_path) -> DetectorDashboard:
    return DetectorDashboard(model, samples_folder=tmp_path / "no-samples")


def test_upload_shows_one_card_per_image_with_the_detectors_verdict(dashboard, model, faces):
    dashboard.upload.value = upload_value(list(faces.items()))
    reference = Detector(model)
    cards = dashboard.results.children
    assert len(cards) == 2
    for card, (name, content) in zip(cards, faces.items(), strict=True):
        expected = reference.predict(content, name=name)
        assert name in card.heading.value
        assert f">{expected.label}<" in card.verdict.value
        assert f"P(fake) <b>{expected.prob_fake:.3f}</b>" in card.probabilities.value
        assert f"P(real) <b>{expected.prob_real:.3f}</b>" in card.probabilities.value
        assert "96 × 96 px" in card.info.value and "PNG" in card.info.value
    assert [">REAL<" in c.verdict.value for c in cards] == [True, False]
    assert dashboard.upload.value == ()  # cleared, so the same file can be uploaded again
    assert "Analysed 2 of 2" in dashboard.status.value


def test_cam_and_overlay_are_shown_side_by_side_and_opacity_blends_them(dashboard, faces):
    dashboard.upload.value = upload_value([("fake.png", faces["fake.png"])])
    card = dashboard.results.children[0]
    heatmap = decode(card.heatmap.value)
    assert heatmap.shape == (SIDE, SIDE, 3)
    dashboard.opacity.value = 0.0
    np.testing.assert_array_equal(decode(card.overlay.value), fit(card.result.view, SIDE))
    dashboard.opacity.value = 1.0
    np.testing.assert_array_equal(decode(card.overlay.value), heatmap)
    hottest = np.unravel_index(np.argmax(card.result.cam), card.result.cam.shape)
    y, x = (int(c * SIDE / card.result.cam.shape[0]) for c in hottest)
    red, _, blue = heatmap[y, x].astype(int)
    assert red > 120 and red > blue  # jet: high attention is red


def test_threshold_relabels_without_running_the_model_again(dashboard, faces, monkeypatch):
    dashboard.upload.value = upload_value([("fake.png", faces["fake.png"])])
    card = dashboard.results.children[0]
    prob = card.result.prob_fake
    runs = []
    monkeypatch.setattr(dashboard.detector, "predict_batch", lambda *a, **k: runs.append(1))
    dashboard.threshold.value = round(prob + 0.05, 2)
    assert (
        ">REAL<" in card.verdict.value and f"left: {100 * dashboard.threshold.value:.2f}%" in card.meter.value
    )
    assert "REAL" in dashboard.history.text() and "fs-pill fs-fake" not in dashboard.history.text()
    dashboard.threshold.value = round(prob - 0.05, 2)
    assert ">FAKE<" in card.verdict.value
    assert runs == []


@pytest.mark.parametrize("card_threshold", [0.9944, 0.0004])
def test_the_cards_exact_threshold_decides_not_a_slider_rounded_one(card_threshold, faces, tmp_path):
    model = write_tiny_model(tmp_path / "t.onnx", seed=MODEL_SEED, threshold=card_threshold)
    dashboard = DetectorDashboard(model, samples_folder=tmp_path / "no-samples")
    reference = Detector(model)
    assert dashboard.threshold.value == reference.threshold == card_threshold
    dashboard.upload.value = upload_value(list(faces.items()))
    for card, (name, content) in zip(dashboard.results.children, faces.items(), strict=True):
        expected = reference.predict(content, name=name)
        assert f">{expected.label}<" in card.verdict.value
        assert f"threshold {card_threshold:.3f}" in card.meter.value


def test_rejected_files_show_their_reason_and_the_dashboard_keeps_working(dashboard, faces):
    dashboard.upload.value = upload_value(
        [
            ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 30),
            ("notes.png", b"hello"),
            ("tiny.png", encoded(Image.new("RGB", (8, 8)))),
        ]
    )
    status = dashboard.status.value
    assert dashboard.results.children == ()
    assert (
        "broken.png" in status
        and "notes.png: the data is not a PNG" in status
        and "smaller than the minimum" in status
    )
    assert status.count('class="fs-error"') == 3
    assert not dashboard.upload.disabled
    dashboard.upload.value = upload_value([("real.png", faces["real.png"])])
    assert len(dashboard.results.children) == 1 and "fs-error" not in dashboard.status.value


def test_file_names_are_escaped_everywhere(dashboard, faces):
    dashboard.upload.value = upload_value([(XSS_NAME, faces["real.png"]), (XSS_NAME, b"junk")])
    shown = dashboard.results.children[0].heading.value + dashboard.status.value + dashboard.history.text()
    assert "<img" not in shown and "&lt;img src=x onerror=alert(1)&gt;.png" in shown


def test_history_lists_everything_and_downloads_as_csv(dashboard, faces):
    dashboard.upload.value = upload_value([("real.png", faces["real.png"]), ("bad.png", b"nope")])
    dashboard.upload.value = upload_value([("=cmd.png", faces["fake.png"])])
    rows = list(csv.DictReader(io.StringIO(dashboard.history.to_csv())))
    assert [r["name"] for r in rows] == ["real.png", "bad.png", "'=cmd.png"]
    assert [r["verdict"] for r in rows] == ["REAL", "REJECTED", "FAKE"]
    assert (
        rows[1]["prob_fake"] == ""
        and "bad.png" in rows[1]["error"]
        and rows[0]["model"] == "tiny-test v0.0.1"
    )
    assert dashboard.history.download.value == ""  # built only when asked for
    dashboard.history.csv_button.click()
    assert 'download="fakescope-history.csv"' in dashboard.history.download.value
    dashboard.reset()
    assert dashboard.history.entries == () and dashboard.results.children == ()


def test_sample_picker_analyses_a_bundled_sample(model, tmp_path):
    real, fake = write_samples(tmp_path / "samples")
    dashboard = DetectorDashboard(model, samples_folder=tmp_path / "samples")
    assert [p.name for p in dashboard.samples.paths] == sorted([real.name, fake.name])
    dashboard.samples.dropdown.value = fake
    dashboard.samples.button.click()
    assert ">FAKE<" in dashboard.results.children[0].verdict.value and fake.name in dashboard.history.to_csv()


def test_missing_samples_folder_gives_a_disabled_picker(dashboard):
    assert dashboard.samples.paths == [] and dashboard.samples.button.disabled
    assert dashboard.samples.dropdown.options[0][0] == "no sample images found"


def test_without_a_model_the_page_says_why_and_disables_analysis(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    monkeypatch.setattr("fakescope.widgets.model_panel.default_model_path", _missing_bundled_model)
    dashboard = DetectorDashboard(models_folder=tmp_path)
    assert dashboard.detector is None and dashboard.upload.disabled and dashboard.samples.button.disabled
    assert (
        "No model loaded" in dashboard.model_panel.message.value
        and "--model" in dashboard.model_panel.message.value
    )
    assert dashboard.analyse([("a.png", b"x")]) == []


def test_model_picker_loads_other_models_and_reports_broken_ones(model, tmp_path):
    other = write_tiny_model(tmp_path / "other.onnx", seed=1, threshold=0.3)
    (tmp_path / "broken.onnx").write_bytes(b"not onnx")
    dashboard = DetectorDashboard(other, samples_folder=tmp_path)
    from fakescope.runtime import list_models, models_dir

    bundled = [path.name for path in list_models(models_dir())]
    labels = [label for label, _ in dashboard.model_panel.picker.options]
    assert sorted(labels) == sorted(["broken.onnx", "other.onnx", *bundled])
    assert (
        dashboard.threshold.value == pytest.approx(0.3)
        and "tiny-test v0.0.1" in dashboard.model_panel.card.value
    )
    dashboard.model_panel.picker.value = tmp_path / "broken.onnx"
    assert dashboard.detector is None and "Cannot use this model" in dashboard.model_panel.message.value
    assert dashboard.upload.disabled
    dashboard.model_panel.picker.value = other
    assert dashboard.detector is not None and not dashboard.upload.disabled


def test_constructor_reads_the_model_and_samples_from_the_environment(model, tmp_path, monkeypatch):
    write_samples(tmp_path / "s")
    monkeypatch.setenv(MODEL_ENV, str(model))
    monkeypatch.setenv(SAMPLES_ENV, str(tmp_path / "s"))
    dashboard = DetectorDashboard()
    assert dashboard.detector.model_path == model and len(dashboard.samples.paths) == 2


def _missing_bundled_model():
    from fakescope.runtime import ModelError

    raise ModelError("the bundled model models/fakescope-demo.onnx is missing; rebuild it with `make model`")


def test_faces_found_by_the_front_end_are_boxed_in_their_verdict_colour(model, faces):
    from dataclasses import replace

    from fakescope.runtime import FaceVerdict
    from fakescope.widgets.result_card import ResultCard

    base = Detector(model).predict(faces["real.png"], name="real.png")  # a 96 x 96 photo
    face = FaceVerdict((24, 24, 72, 72), (12, 12, 84, 84), 0.9, 0.9, base.cam, base.view, np.eye(3))
    card = ResultCard(replace(base, faces=(face,)), np.full((96, 96, 3), 128, np.uint8), faces_searched=True)
    edge = SIDE * 24 // 96 + 1  # a pixel on the box's top edge, in display pixels

    def colour() -> tuple[int, ...]:
        return tuple(decode(card.picture.value)[edge, SIDE // 2])

    assert colour() == (0xD6, 0x45, 0x45)  # FAKE red at the card's threshold 0.5
    card.threshold = 0.95
    assert colour() == (0x2E, 0x9E, 0x5B)
    assert "Faces" in card.info.value and "1 (the verdict is the most fake face" in card.info.value


def test_a_models_folder_without_a_model_starts_on_the_bundled_model(tmp_path, monkeypatch):
    monkeypatch.delenv(MODEL_ENV, raising=False)
    write_tiny_model(tmp_path / "other.onnx", seed=1)
    dashboard = DetectorDashboard(models_folder=tmp_path, samples_folder=tmp_path / "none")
    from fakescope.runtime import default_model_path, list_models, models_dir

    assert dashboard.detector is not None and dashboard.detector.model_path == default_model_path()
    labels = [label for label, _ in dashboard.model_panel.picker.options]
    assert sorted(labels) == sorted(["other.onnx", *(p.name for p in list_models(models_dir()))])


def test_a_name_that_is_not_unicode_is_cleaned_and_the_history_keeps_working(dashboard, faces):
    dashboard.upload.value = upload_value([("bad\ud800.png", faces["real.png"]), ("x.png", b"junk")])
    dashboard.upload.value = upload_value([("next.png", faces["fake.png"])])
    names = [entry.name for entry in dashboard.history.entries]
    assert names == ["bad?.png", "x.png", "next.png"]
    assert "bad?.png" in dashboard.history.text() and "next.png" in dashboard.history.to_csv()


def test_an_unexpected_error_on_one_file_rejects_that_file_only(dashboard, faces, monkeypatch):
    real_predict = dashboard.detector.predict

    def predict(content, name=None):
        if name == "boom.png":
            raise RuntimeError("model exploded")
        return real_predict(content, name=name)

    monkeypatch.setattr(dashboard.detector, "predict", predict)
    dashboard.upload.value = upload_value([("boom.png", faces["fake.png"]), ("real.png", faces["real.png"])])
    assert len(dashboard.results.children) == 1 and "real.png" in dashboard.results.children[0].heading.value
    assert "boom.png: unexpected error (RuntimeError: model exploded)" in dashboard.status.value
    assert [entry.name for entry in dashboard.history.entries] == ["boom.png", "real.png"]


def test_history_appends_rows_keeps_the_shown_ones_untouched_and_caps_them(model, faces):
    from fakescope.widgets.history import HistoryEntry, HistoryTable

    history = HistoryTable(visible=5)
    when = datetime(2024, 1, 1)
    history.add(HistoryEntry("first.png", 0.9, "m", when))
    first_row = history.rows.children[0]
    sent = []
    first_row.observe(lambda change: sent.append(change), "value")
    history.extend(HistoryEntry(f"f{i}.png", i / 2000, "m", when) for i in range(1999))
    assert sent == []  # an older row is never re-rendered when new ones arrive
    assert len(history.rows.children) == 5 and history.rows.children[0].value.count("f1998.png") == 1
    assert first_row.comm is None  # dropped from the page: its widget is closed, not kept
    assert "The newest 5 of 2,000 are shown; the CSV holds them all" in history.note.value
    rows = list(csv.DictReader(io.StringIO(history.to_csv())))
    assert len(rows) == 2000 and rows[0]["name"] == "first.png" and rows[-1]["name"] == "f1998.png"
    assert history.download.value == ""  # no CSV link is rebuilt per entry
    history.threshold = 1.0
    assert "fs-pill fs-real" in history.rows.children[0].value and sent == []


def test_the_upload_button_has_a_tooltip_and_the_page_knows_the_message_limit(dashboard):
    from fakescope.widgets.limits import max_message_bytes

    assert dashboard.upload.tooltip and dashboard.upload.tooltip != "null"
    assert f'data-max-bytes="{max_message_bytes()}"' in dashboard.upload_refused.value


def test_each_upload_is_decoded_once(dashboard, faces, monkeypatch):
    from PIL import ImageFile

    loads = []  # the pixel decodes: calls while the file still has undecoded tiles
    original = ImageFile.ImageFile.load

    def load(self):
        if self.tile:
            loads.append(self.format)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    jpeg = encoded(face_image(*FAKE_LOOK), "JPEG")
    dashboard.upload.value = upload_value([("real.png", faces["real.png"]), ("fake.jpg", jpeg)])
    assert len(dashboard.results.children) == 2
    assert loads == ["PNG", "JPEG"]
