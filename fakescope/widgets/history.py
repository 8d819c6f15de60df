"""The session's history: every image analysed (or rejected), re-labelled at the current threshold,
with a CSV download.

Example:
    >>> history = HistoryTable()
    >>> history.add(HistoryEntry.of(prediction, model="demo v1"))
    >>> history.to_csv().splitlines()[0]
    'time,name,verdict,reasons,prob_fake,threshold,model,error'
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

import ipywidgets as ipw
import traitlets

from fakescope.runtime import Prediction, Rejected
from fakescope.runtime.cells import spreadsheet_safe
from fakescope.runtime.spec import CLASS_NAMES
from fakescope.widgets.markup import esc, pill_html, table_html

REJECTED = "REJECTED"
CSV_COLUMNS = ("time", "name", "verdict", "reasons", "prob_fake", "threshold", "model", "error")


@dataclass(frozen=True)
class HistoryEntry:
    """One analysed file: its score (None when rejected) and when and with which model it was analysed;
    `prediction` keeps the evidence, so the verdict (UNSURE included) follows the threshold."""

    name: str
    prob_fake: float | None
    model: str
    time: datetime
    error: str = ""
    prediction: Prediction | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, outcome: Prediction | Rejected, model: str, time: datetime | None = None) -> HistoryEntry:
        time = time or datetime.now()
        if isinstance(outcome, Rejected):
            return cls(outcome.source or "upload", None, model, time, outcome.message)
        return cls(outcome.info.name or "image", outcome.prob_fake, model, time, prediction=outcome)

    def verdict(self, threshold: float) -> str:
        if self.prob_fake is None:
            return REJECTED
        if self.prediction is not None:
            return self.prediction.with_threshold(threshold).verdict
        return CLASS_NAMES[1] if self.prob_fake >= threshold else CLASS_NAMES[0]

    def reasons(self, threshold: float) -> str:
        """Why the verdict is UNSURE at `threshold` ("" when definite or rejected)."""
        if self.prediction is None:
            return ""
        return "; ".join(self.prediction.with_threshold(threshold).reasons)


class HistoryTable(ipw.VBox):
    """A table of `entries`, newest first, with verdicts at `threshold` and a CSV download link."""

    entries = traitlets.Tuple()
    threshold = traitlets.Float(0.5)

    def __init__(self) -> None:
        super().__init__()
        self.table = ipw.HTML()
        self.table.add_class("fs-scroll")
        self.download = ipw.HTML()
        self.children = [self.table, self.download]
        self.observe(self._render, ["entries", "threshold"])
        self._render()

    def add(self, entry: HistoryEntry) -> None:
        self.entries = (*self.entries, entry)

    def reset(self) -> None:
        self.entries = ()

    def to_csv(self) -> str:
        """The history as CSV, oldest first; cells that a spreadsheet would run as formulas are quoted."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for e in self.entries:
            score = "" if e.prob_fake is None else f"{e.prob_fake:.6f}"
            row = (
                e.time.isoformat(timespec="seconds"),
                e.name,
                e.verdict(self.threshold),
                e.reasons(self.threshold),
                score,
                f"{self.threshold:.6f}",
                e.model,
                e.error,
            )
            writer.writerow([spreadsheet_safe(cell) for cell in row])
        return buffer.getvalue()

    def _render(self, _change: dict | None = None) -> None:
        if not self.entries:
            self.table.value = '<div class="fs-muted">Nothing analysed yet in this session.</div>'
            self.download.value = ""
            return
        rows = [
            (
                len(self.entries) - i,
                e.time.strftime("%H:%M:%S"),
                e.name,
                pill_html(e.verdict(self.threshold)),
                "–" if e.prob_fake is None else f"{e.prob_fake:.3f}",
                e.model,
                e.error or e.reasons(self.threshold),
            )
            for i, e in enumerate(reversed(self.entries))
        ]
        self.table.value = table_html(
            ("#", "time", "file", "verdict", "P(fake)", "model", "note"), rows, raw_columns=(3,)
        )
        href = "data:text/csv;charset=utf-8," + quote(self.to_csv())
        self.download.value = (
            f'<a class="fs-download" download="fakescope-history.csv" href="{esc(href)}">'
            f"Download CSV ({len(self.entries)} rows)</a>"
        )
