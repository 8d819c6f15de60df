"""The method picker and the model report's faithfulness panel show what the runtime computes."""

from __future__ import annotations

import pytest
from support.export_runs import write_dataset

from fakescope.data.layout import discover
from fakescope.report.faithfulness import dataset_faithfulness
from fakescope.runtime import Detector
from fakescope.runtime.explain import CAM_METHODS, explain_view

ipw = pytest.importorskip("ipywidgets")

from fakescope.widgets.faithfulness_panel import FaithfulnessPanel  # noqa: E402
from fakescope.widgets.method_picker import MethodPicker  # noqa: E402


def test_the_picker_lists_the_models_methods_and_words_each_map(tiny_model_path):
    detector = Detector()
    view = detector.predict(next((detector.model_path.parent / "samples").glob("fake_*.png"))).view
    picker = MethodPicker(detector, view)
    assert [value for _, value in picker.choice.options] == list(detector.cam_methods)
    for method in ("gradcam", "ablationcam", "gradcam"):
        picker.choice.value = method
        expected = explain_view(detector, view, [method]).faithfulness[method].sentence()
        assert expected in picker.words.value and picker.explanation.methods == (method,)
        assert not picker.choice.disabled and bytes(picker.picture.value).startswith(b"\x89PNG")
    older = MethodPicker(Detector(tiny_model_path), view)
    assert older.choice.options == ((CAM_METHODS["gradcam"].title, "gradcam"),)


def test_the_faithfulness_panel_shows_the_ranked_averages(tmp_path):
    records = [r for r in discover(write_dataset(tmp_path / "data", per_class=6)) if r.split == "test"]
    panel = FaithfulnessPanel()
    assert panel.button.disabled and panel.measure() == ()
    detector = Detector()
    panel.prepare(detector, records)
    panel.images.value = 2
    summary = panel.measure()
    assert summary == dataset_faithfulness(detector, records, split=None, max_images=2)
    html = panel.table.value
    positions = [html.index(f"<td>{m.method}</td>") for m in summary]
    assert positions == sorted(positions) and f"{summary[0].road_combined:+.3f}" in html
    panel.reset()
    assert panel.table.value == "" and panel.button.disabled
