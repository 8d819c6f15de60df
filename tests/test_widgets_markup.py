"""The dashboards' HTML snippets: the meter, the verdict box, the model card, and escaping."""

from __future__ import annotations

import re

import pytest
from onnx_fixtures import tiny_card

from fakescope.report.style import CLASS_COLORS
from fakescope.widgets.markup import card_html, esc, file_size_text, meter_html, table_html


def _style(html: str, css_class: str) -> str:
    return re.search(rf'class="{css_class}" style="([^"]*)"', html).group(1)


@pytest.mark.parametrize(
    ("prob", "threshold", "label"), [(0.83, 0.5, "FAKE"), (0.38, 0.5, "REAL"), (0.6, 0.7, "REAL")]
)
def test_meter_fills_to_p_fake_in_the_verdict_colour_and_marks_the_threshold(prob, threshold, label):
    html = meter_html(prob, threshold)
    fill, mark = _style(html, "fs-meter-fill"), _style(html, "fs-meter-mark")
    assert f"width: {100 * prob:.2f}%" in fill and CLASS_COLORS[label] in fill
    assert f"left: {100 * threshold:.2f}%" in mark and f"threshold {threshold:.3f}" in html


def test_card_shows_identity_input_metrics_and_limitations_escaped():
    card = tiny_card(size=48, greyscale=True)
    card = type(card)(
        **{
            **card.__dict__,
            "metrics": {"roc_auc": 0.98765, "confusion": {"tn": 1, "fp": 2, "fn": 3, "tp": 4}},
            "limitations": "<b>not</b> for real use",
        }
    )
    html = card_html(card)
    assert "tiny-test v0.0.1" in html and "48 × 48 greyscale" in html and "0.988" in html
    assert "confusion" not in html  # nested metrics are left out of the table
    assert "&lt;b&gt;not&lt;/b&gt; for real use" in html and "<b>not</b>" not in html


def test_card_shows_each_metric_with_its_interval_in_one_table_and_the_warnings_as_a_list():
    card = tiny_card(size=48)
    intervals = {"level": 0.9, "n_real": 15, "n_fake": 75, "metrics": {"roc_auc": [0.98, 0.95, 1.0]}}
    warnings = ("only 15 real images", "only 14 <real> images")
    card = type(card)(
        **{
            **card.__dict__,
            "metrics": {"roc_auc": 0.98, "n": 90},
            "intervals": intervals,
            "warnings": warnings,
        }
    )
    html = card_html(card)
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert rows == [("images", "90", ""), ("ROC AUC", "0.980", "0.950 – 1.000")]
    assert "<th>90% interval</th>" in html and "90% bootstrap over the 15 real / 75 fake test images" in html
    assert "intervals 2" not in html
    assert "<li>only 15 real images</li><li>only 14 &lt;real&gt; images</li>" in html


def test_tables_escape_cells_unless_told_they_are_markup():
    html = table_html(["a", "b"], [["<i>x</i>", "<i>y</i>"]], raw_columns=(1,))
    assert "<td>&lt;i&gt;x&lt;/i&gt;</td>" in html and "<td><i>y</i></td>" in html
    assert esc('"><script>') == "&quot;&gt;&lt;script&gt;"


def test_file_sizes_read_naturally():
    assert [file_size_text(n) for n in (None, 512, 2048, 3 * 1024 * 1024)] == [
        "–",
        "512 B",
        "2.0 KB",
        "3.00 MB",
    ]
