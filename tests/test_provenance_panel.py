"""The result card's provenance panel: one colour per state, escaped text, and it follows the result."""

from __future__ import annotations

import pytest
from provenance_factory import GENERATOR_CHUNKS, exif, jpeg, png_with_text

from fakescope.runtime import Detector, load_image
from fakescope.runtime.provenance import C2paSummary, Provenance
from fakescope.widgets.provenance_panel import COLORS, ProvenancePanel, provenance_html
from fakescope.widgets.result_card import ResultCard

INVALID = Provenance(
    c2pa=C2paSummary(present=True, checked=True, signature="invalid", failures=("x.mismatch",))
)


@pytest.mark.parametrize(
    ("data", "state"),
    [
        (jpeg(exif=exif(make="Canon", model="Canon EOS R5")), "camera"),
        (png_with_text(GENERATOR_CHUNKS["ComfyUI"][0]), "declared AI"),
        (jpeg(), "no provenance data"),
    ],
)
def test_each_state_has_its_colour_and_label(data, state):
    panel = ProvenancePanel(load_image(data).info.provenance)
    assert panel.state == state
    assert f"Provenance · {state}" in panel.value and COLORS[state][0] in panel.value


def test_an_invalid_manifest_is_red_and_lists_its_failures():
    markup = provenance_html(INVALID)
    assert "manifest invalid" in markup and COLORS["manifest invalid"][0] in markup and "x.mismatch" in markup


def test_metadata_text_is_escaped_and_the_panel_resets():
    found = load_image(jpeg(comment="<script>alert(1)</script> Midjourney")).info.provenance
    panel = ProvenancePanel(found)
    assert "<script>" not in panel.value and "&lt;script&gt;" in panel.value
    panel.reset()
    assert panel.state == "no provenance data" and "no provenance data" in panel.value


def test_the_result_card_shows_its_results_provenance(tiny_model_path):
    result = Detector(tiny_model_path).predict(png_with_text(GENERATOR_CHUNKS["InvokeAI"][0]))
    card = ResultCard(result, picture=result.view)
    assert card.provenance.state == "declared AI" and "InvokeAI" in card.provenance.value
