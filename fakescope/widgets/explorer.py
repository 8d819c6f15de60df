"""`DatasetExplorer`: pick a dataset folder, measure every image with a progress bar, and show the EDA
figures (class balance, RGB, resolution, sharpness, luminance/contrast, FFT spectrum, JPEG quality), the
summary of likely shortcuts, and a grid of real vs fake samples.

The statistics and figures are `fakescope.eda`'s; this widget only lays them out.

The page reads only the folders it was given (`AllowedFolders`): it offers them as choices, checks a
typed folder at once, and shows every path relative to its root.

Example (a notebook cell; `fakescope dashboard explore --data DIR` serves it):
    >>> from fakescope.widgets import DatasetExplorer
    >>> DatasetExplorer("data/demo")
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import pandas as pd
import traitlets

from fakescope.data.layout import DatasetLayoutError
from fakescope.widgets.dataset_field import DatasetField
from fakescope.widgets.folders import FolderRefused, allowed_and_first
from fakescope.widgets.markup import header_html, message_html, summary_html, title_html
from fakescope.widgets.plots import figure_output
from fakescope.widgets.progress import ProgressBar
from fakescope.widgets.theme import APP_CLASS, style_sheet, styled

TITLE = "fakescope · dataset explorer"
SUBTITLE = (
    "What separates real from fake in this data, and is any of it an artefact (size, format, compression) "
    "rather than the faces?"
)


class DatasetExplorer(ipw.VBox):
    """Statistics and figures of a real-vs-fake dataset.

    Args:
        folder: dataset folder (140k layout or flat real/ + fake/). Defaults to the first allowed folder.
        roots: the folders (with their subfolders) the page may read. Defaults to those in $FAKESCOPE_DATA,
            else `folder` itself.
        sample: measure this many images drawn at random; 0 or None for all. Defaults to None.
        workers: worker processes for the statistics. Defaults to None (the EDA's choice).
        cache: statistics cache file (Parquet or CSV), so re-runs measure only new files. Defaults to None.
    """

    table = traitlets.Instance(pd.DataFrame, allow_none=True)

    def __init__(
        self,
        folder: str | Path | None = None,
        *,
        roots: list[str | Path] | None = None,
        sample: int | None = None,
        workers: int | None = None,
        cache: str | Path | None = None,
    ) -> None:
        super().__init__()
        styled(self, APP_CLASS)
        self.workers, self.cache = workers, cache
        allowed, first = allowed_and_first(folder, roots)
        self.folder = DatasetField(
            allowed, first, layout=ipw.Layout(width="480px"), style={"description_width": "60px"}
        )
        self.sample = ipw.BoundedIntText(
            value=sample or 0,
            min=0,
            max=10_000_000,
            description="Sample",
            tooltip="0 = every image",
            layout=ipw.Layout(width="170px"),
            style={"description_width": "60px"},
        )
        self.run_button = ipw.Button(description="Analyse dataset", button_style="primary")
        self.progress = ProgressBar()
        self.status = ipw.HTML()
        self.summary = ipw.HTML()
        self.figures = ipw.GridBox(
            layout=ipw.Layout(
                grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="10px", width="100%"
            )
        )
        self.grid = ipw.VBox()
        self.run_button.on_click(lambda _button: self.run())
        controls = styled(
            ipw.VBox(
                [
                    ipw.HTML(title_html("Dataset")),
                    styled(
                        ipw.HBox(
                            [self.folder.combobox, self.sample, self.run_button],
                            layout=ipw.Layout(align_items="center", flex_flow="row wrap"),
                        ),
                        "fs-row",
                    ),
                    self.folder.note,
                    ipw.HTML(
                        '<div class="fs-muted">train/valid/test folders holding real/ and fake/, or '
                        "real/ and fake/ folders; sample 0 measures every image.</div>"
                    ),
                    self.progress,
                ]
            ),
            "fs-panel",
        )
        self.children = [
            style_sheet(),
            ipw.HTML(header_html(TITLE, SUBTITLE)),
            controls,
            self.status,
            self.summary,
            self.figures,
            self.grid,
        ]

    def run(self) -> pd.DataFrame | None:
        """Measure the folder and show the results; returns the table (None when the folder is unusable)."""
        from fakescope.eda.stats import collect_stats

        try:
            root = self.folder.check()
        except FolderRefused:  # the field's note says why, next to the field
            self.reset()
            return None
        self.reset()
        self._busy(True)
        try:
            table = collect_stats(
                root,
                sample=self.sample.value or None,
                workers=self.workers,
                cache=self.cache,
                progress=self.progress.update,
            )
        except (DatasetLayoutError, OSError, ValueError) as err:
            reason = self.folder.allowed.relabel(str(err))
            self.status.value = message_html(f"Cannot analyse this folder: {reason}", "error")
            return None
        finally:
            self._busy(False)
        self._show(table)
        self.table = table
        return table

    def reset(self) -> None:
        """Clear the results."""
        self.table = None
        self.progress.reset()
        self.status.value = self.summary.value = ""
        self.figures.children = self.grid.children = ()

    def _show(self, table: pd.DataFrame) -> None:
        from fakescope.eda.figures import all_figures, sample_grid, summary

        errors = int((table["error"] != "").sum())
        note = f"Measured {len(table) - errors:,} image(s)" + (f"; {errors:,} unreadable." if errors else ".")
        self.status.value = message_html(note, "warn" if errors else "note")
        self.summary.value = _summary_html(summary(table))
        figures = all_figures(table)
        grid = figures.pop("sample_grid", None) or sample_grid(table)
        for trace in grid.data:  # hover names hold the image paths: show them from the allowed root
            trace.name = self.folder.allowed.relabel(trace.name or "")
        self.figures.children = [figure_output(fig) for fig in figures.values()]
        self.grid.children = [figure_output(grid)]

    def _busy(self, busy: bool) -> None:
        self.run_button.disabled = busy
        self.folder.disabled = busy
        self.sample.disabled = busy


def _summary_html(lines: list[str]) -> str:
    lines = lines or ["No likely shortcut found."]
    return f'<div class="fs-panel">{title_html("Summary")}{summary_html(lines)}</div>'
