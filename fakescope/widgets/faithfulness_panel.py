"""The model report's faithfulness table: each CAM method's ROAD and deletion/insertion averaged over the
evaluated images, most faithful first, so a user can pick the method that is most true to their model.

It is measured on request (every image needs a few dozen extra model runs per method); the runtime and
`fakescope.report.faithfulness` compute it, this panel only shows it.

Example:
    >>> panel = FaithfulnessPanel()
    >>> panel.prepare(detector, scores.records)
    >>> panel.measure()
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as ipw

from fakescope.data.layout import ImageRecord
from fakescope.report.faithfulness import MethodFaithfulness, dataset_faithfulness
from fakescope.runtime import Detector
from fakescope.widgets.markup import esc, message_html, title_html
from fakescope.widgets.progress import ProgressBar
from fakescope.widgets.theme import styled

DEFAULT_IMAGES = 20


class FaithfulnessPanel(ipw.VBox):
    """A button measuring faithfulness per CAM method on up to `images` evaluated images, and the table."""

    def __init__(self) -> None:
        super().__init__()
        styled(self, "fs-panel", "fs-faithfulness-panel")
        self.images = ipw.BoundedIntText(value=DEFAULT_IMAGES, min=1, max=10_000, description="Images")
        self.button = ipw.Button(description="Measure faithfulness", disabled=True)
        self.progress = ProgressBar()
        self.table = ipw.HTML()
        self.button.on_click(lambda _button: self.measure())
        self.children = [
            ipw.HTML(title_html("Which heatmap to trust: faithfulness per CAM method (ROAD)")),
            ipw.HBox([self.images, self.button]),
            self.progress,
            self.table,
        ]
        self._detector: Detector | None = None
        self._records: list[ImageRecord] = []

    def prepare(self, detector: Detector, records: Sequence[ImageRecord]) -> None:
        """Measure on `records` (the images just evaluated) with `detector` when asked."""
        self.reset()
        self._detector, self._records = detector, list(records)
        self.button.disabled = not self._records

    def reset(self) -> None:
        self._detector, self._records = None, []
        self.button.disabled = True
        self.progress.reset()
        self.table.value = ""

    def measure(self) -> tuple[MethodFaithfulness, ...]:
        """Compute and show the table; returns it (empty when nothing could be measured)."""
        if self._detector is None:
            return ()
        self.button.disabled = True
        try:
            summary = dataset_faithfulness(
                self._detector,
                self._records,
                split=None,
                max_images=self.images.value,
                progress=self.progress.update,
            )
        except ValueError as err:
            self.table.value = message_html(str(err), "error")
            return ()
        finally:
            self.button.disabled = False
        self.table.value = table_html(summary)
        return summary


def table_html(summary: Sequence[MethodFaithfulness]) -> str:
    """The methods as an HTML table, most faithful first."""
    head = "".join(
        f"<th>{h}</th>"
        for h in ("method", "ROAD combined ↑", "MoRF ↓", "LeRF ↑", "deletion ↓", "insertion ↑")
    )
    rows = "".join(
        f"<tr><td>{esc(m.method)}</td><td>{m.road_combined:+.3f}</td><td>{m.road_morf:.3f}</td>"
        f"<td>{m.road_lerf:.3f}</td><td>{m.deletion_auc:.3f}</td><td>{m.insertion_auc:.3f}</td></tr>"
        for m in summary
    )
    n = summary[0].n if summary else 0
    note = f'<div class="fs-muted">averaged over {n} image(s); arrows: which way is more faithful</div>'
    return f'<table class="fs-faithfulness-table"><tr>{head}</tr>{rows}</table>{note}'
