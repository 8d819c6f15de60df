"""A progress bar with a count, fed by the `progress(done, total)` callbacks of long jobs.

Example:
    >>> bar = ProgressBar()
    >>> collect_stats(root, progress=bar.update)
"""

from __future__ import annotations

import ipywidgets as ipw

from fakescope.widgets.markup import esc


class ProgressBar(ipw.HBox):
    """An `IntProgress` and a "done / total" label; hidden until the first update."""

    def __init__(self, unit: str = "images") -> None:
        super().__init__(layout=ipw.Layout(align_items="center", display="none"))
        self.add_class("fs-row")
        self.unit = unit
        self.bar = ipw.IntProgress(value=0, min=0, max=1, bar_style="info", layout=ipw.Layout(width="60%"))
        self.label = ipw.HTML()
        self.children = [self.bar, self.label]

    def update(self, done: int, total: int) -> None:
        self.layout.display = "flex"
        self.bar.max = max(total, 1)
        self.bar.value = min(done, self.bar.max)
        self.label.value = f'<span class="fs-muted">{done:,} / {total:,} {esc(self.unit)}</span>'

    def reset(self) -> None:
        self.layout.display = "none"
        self.bar.value = 0
        self.label.value = ""
