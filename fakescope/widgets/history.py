"""The session's history: every image analysed (or rejected), re-labelled at the current threshold,
with a CSV download.

Costs stay bounded however long a session runs: a new entry adds one row widget at the top (the rows already
shown are not sent again), only the newest `visible` rows are shown (older row widgets are closed), the CSV
is built only when asked for, and at most `MAX_ENTRIES` entries are kept for it.

Example:
    >>> history = HistoryTable()
    >>> history.add(HistoryEntry.of(prediction, model="demo v1"))
    >>> history.to_csv().splitlines()[0]
    'time,name,verdict,reasons,prob_fake,threshold,model,error'
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import quote

import ipywidgets as ipw
import numpy as np
import traitlets

from fakescope.runtime import Prediction, Rejected
from fakescope.runtime.cells import spreadsheet_safe
from fakescope.runtime.spec import class_name
from fakescope.widgets.markup import esc, pill_html
from fakescope.widgets.theme import styled

REJECTED = "REJECTED"
CSV_COLUMNS = ("time", "name", "verdict", "reasons", "prob_fake", "threshold", "model", "error")
COLUMNS = ("#", "time", "file", "verdict", "P(fake)", "model", "note")
VISIBLE_ROWS = 100
"""Rows shown in the page; the CSV holds every entry."""
MAX_ENTRIES = 100_000
"""Entries kept for the CSV (a few hundred bytes each: no pixels); past it the oldest go first."""
_NO_PIXELS = np.zeros((1, 1, 3), np.uint8)
_NO_MAP = np.zeros((1, 1), np.float32)


@dataclass(frozen=True)
class HistoryEntry:
    """One analysed file: its score (None when rejected) and when and with which model it was analysed;
    `prediction` keeps the evidence (not the pixels), so the verdict (UNSURE included) follows the
    threshold."""

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
        name = outcome.info.name or "image"
        return cls(name, outcome.prob_fake, model, time, prediction=_without_pixels(outcome))

    def verdict(self, threshold: float) -> str:
        if self.prob_fake is None:
            return REJECTED
        if self.prediction is not None:
            return self.prediction.with_threshold(threshold).verdict
        return class_name(self.prob_fake, threshold)

    def reasons(self, threshold: float) -> str:
        """Why the verdict is UNSURE at `threshold` ("" when definite or rejected)."""
        if self.prediction is None:
            return ""
        return "; ".join(self.prediction.with_threshold(threshold).reasons)


class HistoryTable(ipw.VBox):
    """The newest entries first, verdicts at `threshold`, and a CSV of them all on demand.

    Args:
        visible: rows shown in the page. Defaults to `VISIBLE_ROWS`.
    """

    threshold = traitlets.Float(0.5)

    def __init__(self, visible: int = VISIBLE_ROWS) -> None:
        super().__init__()
        if visible < 1:
            raise ValueError(f"`visible` must be >= 1. Received: visible={visible}")
        self.visible = visible
        self._entries: deque[tuple[int, HistoryEntry]] = deque(maxlen=MAX_ENTRIES)
        self._count = 0
        self._shown: list[tuple[int, HistoryEntry, ipw.HTML]] = []
        self.header = ipw.HTML(_row_html(COLUMNS, head=True))
        self.rows = ipw.VBox()
        self.empty = ipw.HTML('<div class="fs-muted">Nothing analysed yet in this session.</div>')
        self.note = ipw.HTML()
        self.csv_button = ipw.Button(description="Prepare CSV", tooltip="Build the CSV of the whole history")
        self.download = ipw.HTML()
        self.csv_button.on_click(lambda _button: self.prepare_download())
        self.table = styled(ipw.VBox([self.header, self.rows]), "fs-history", "fs-scroll")
        self.children = [self.empty, self.note, ipw.HBox([self.csv_button, self.download])]
        self.observe(self._on_threshold, "threshold")
        self._refresh_footer()

    @property
    def entries(self) -> tuple[HistoryEntry, ...]:
        """Every kept entry, oldest first."""
        return tuple(entry for _, entry in self._entries)

    def add(self, entry: HistoryEntry) -> None:
        self.extend([entry])

    def extend(self, entries: Iterable[HistoryEntry]) -> None:
        """Append entries: one new row each at the top; rows past `visible` are dropped from the page."""
        new = []
        for entry in entries:
            self._count += 1
            self._entries.append((self._count, entry))
            new.append((self._count, entry, ipw.HTML(self._entry_html(self._count, entry))))
        if not new:
            return
        shown = [*reversed(new), *self._shown]
        for _, _, row in shown[self.visible :]:
            row.close()
        self._shown = shown[: self.visible]
        self.rows.children = [row for _, _, row in self._shown]
        self._refresh_footer()

    def reset(self) -> None:
        for _, _, row in self._shown:
            row.close()
        self._entries.clear()
        self._count = 0
        self._shown = []
        self.rows.children = []
        self._refresh_footer()

    def to_csv(self) -> str:
        """The history as CSV, oldest first; cells that a spreadsheet would run as formulas are quoted."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for _, e in self._entries:
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

    def prepare_download(self) -> None:
        """Show a link that saves the CSV of every entry at the current threshold."""
        href = "data:text/csv;charset=utf-8," + quote(self.to_csv())
        self.download.value = (
            f'<a class="fs-download" download="fakescope-history.csv" href="{esc(href)}">'
            f"Download CSV ({len(self._entries):,} rows)</a>"
        )

    def text(self) -> str:
        """The markup of the rows shown, newest first (for tests and debugging)."""
        return "".join(row.value for _, _, row in self._shown)

    def _entry_html(self, number: int, e: HistoryEntry) -> str:
        score = "–" if e.prob_fake is None else f"{e.prob_fake:.3f}"
        verdict, note = e.verdict(self.threshold), e.error or e.reasons(self.threshold)
        return _row_html((number, e.time.strftime("%H:%M:%S"), e.name, verdict, score, e.model, note))

    def _on_threshold(self, _change: dict) -> None:
        for number, entry, row in self._shown:
            row.value = self._entry_html(number, entry)
        self.download.value = ""

    def _refresh_footer(self) -> None:
        total = len(self._entries)
        self.download.value = ""
        self.csv_button.disabled = total == 0
        self.children = [self.table if total else self.empty, self.note, self.children[-1]]
        held = "them all" if total == self._count else f"the newest {total:,}"
        self.note.value = (
            f'<div class="fs-muted">The newest {len(self._shown)} of {self._count:,} are shown; '
            f"the CSV holds {held}.</div>"
            if self._count > len(self._shown)
            else ""
        )


def _row_html(cells: Iterable[object], head: bool = False) -> str:
    """One grid row; the verdict cell (4th) becomes a pill unless this is the header."""
    parts = []
    for i, cell in enumerate(cells):
        text = pill_html(str(cell)) if i == 3 and not head else esc(cell)
        parts.append(f"<span>{text}</span>")
    kind = "fs-hrow fs-hhead" if head else "fs-hrow"
    return f'<div class="{kind}">{"".join(parts)}</div>'


def _without_pixels(prediction: Prediction) -> Prediction:
    """`prediction` with its pictures and maps swapped for 1-pixel stand-ins: what the checks read stays."""
    if hasattr(prediction, "without_pictures"):  # a VideoPrediction drops its own frames
        return prediction.without_pictures()
    faces = tuple(
        replace(face, cam=_NO_MAP, view=_NO_PIXELS, transform=np.eye(3)) for face in prediction.faces
    )
    return replace(prediction, cam=_NO_MAP, view=_NO_PIXELS, faces=faces)
