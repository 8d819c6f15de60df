"""`ModelReport`: evaluate a model on a labelled folder with a progress bar, then show ROC and PR curves,
the confusion matrix at a threshold slider, the calibration curve, score histograms per class, and the most
confident mistakes with their Grad-CAM overlays.

Everything shown is computed by `fakescope.report`; this widget lays it out.

Example (a notebook cell; `fakescope dashboard evaluate --model M --data DIR` serves it):
    >>> from fakescope.widgets import ModelReport
    >>> ModelReport("models/fakescope-demo.onnx", "data/demo")
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import pandas as pd
import traitlets

from fakescope.data.layout import DatasetLayoutError
from fakescope.report import (
    SPLIT_CHOICES,
    Curves,
    compute_curves,
    confident_mistakes,
    evaluate_folder,
    metrics_at,
    scored,
)
from fakescope.report.figures import (
    calibration_figure,
    confusion_figure,
    pr_figure,
    roc_figure,
    score_histogram,
)
from fakescope.runtime import Detector
from fakescope.widgets.env import DATA_ENV, MODEL_ENV, env_path
from fakescope.widgets.gallery import MistakeGallery
from fakescope.widgets.markup import header_html, message_html, tiles_html, title_html
from fakescope.widgets.model_panel import ModelPanel
from fakescope.widgets.plots import figure_output, show_figure
from fakescope.widgets.progress import ProgressBar
from fakescope.widgets.theme import APP_CLASS, style_sheet, styled
from fakescope.widgets.threshold import ThresholdSlider

TITLE = "fakescope · model report"
SUBTITLE = "How good is this model on your data, where does it fail, and how sure is it when it does?"
GALLERY_SIZE = 8


class ModelReport(ipw.VBox):
    """Evaluate a model on one split of a dataset folder and show its curves and mistakes.

    Args:
        model: ONNX model. Defaults to $FAKESCOPE_MODEL, else the bundled model.
        folder: dataset folder. Defaults to $FAKESCOPE_DATA.
        models_folder: folder whose ONNX files the model picker offers. Defaults to the bundled models.
        split: split to evaluate ("train", "valid", "test" or "all"). Defaults to "test".
        limit: evaluate at most this many images (seeded draw); 0 or None for all. Defaults to None.
    """

    table = traitlets.Instance(pd.DataFrame, allow_none=True)

    def __init__(
        self,
        model: str | Path | None = None,
        folder: str | Path | None = None,
        *,
        models_folder: str | Path | None = None,
        split: str = "test",
        limit: int | None = None,
    ) -> None:
        super().__init__()
        styled(self, APP_CLASS)
        folder = folder if folder is not None else env_path(DATA_ENV)
        self.model_panel = ModelPanel(model if model is not None else env_path(MODEL_ENV), models_folder)
        wide = {"layout": ipw.Layout(width="100%"), "style": {"description_width": "72px"}}
        self.folder = ipw.Text(
            value=str(folder or ""), placeholder="dataset folder", description="Folder", **wide
        )
        self.split = ipw.Dropdown(options=SPLIT_CHOICES, value=split, description="Split", **wide)
        self.limit = ipw.BoundedIntText(
            value=limit or 0, min=0, max=10_000_000, description="Limit", tooltip="0 = every image", **wide
        )
        self.run_button = ipw.Button(
            description="Evaluate", button_style="primary", layout=ipw.Layout(width="100%")
        )
        self.threshold = ThresholdSlider(continuous_update=False, **wide)
        self.progress = ProgressBar()
        self.status = ipw.HTML()
        self.tiles = ipw.HTML()
        self.roc, self.pr, self.calibration = figure_output(), figure_output(), figure_output()
        self.confusion, self.histogram = figure_output(), figure_output()
        self.gallery = MistakeGallery()
        self._curves: Curves | None = None
        self.run_button.on_click(lambda _button: self.evaluate())
        self.threshold.observe(self._on_threshold, "value")
        self.model_panel.observe(self._on_detector, "detector")
        self.children = [style_sheet(), ipw.HTML(header_html(TITLE, SUBTITLE)), self._layout()]
        self._on_detector()

    @property
    def detector(self) -> Detector | None:
        return self.model_panel.detector

    def evaluate(self) -> pd.DataFrame | None:
        """Score the chosen split and show the report; returns the table (None when it could not run)."""
        detector = self.detector
        if detector is None:
            self.status.value = message_html("Load a model first.", "error")
            return None
        if not self.folder.value.strip():
            self.status.value = message_html("Enter a dataset folder first.", "error")
            return None
        root = Path(self.folder.value.strip()).expanduser()
        self.reset()
        self._busy(True)
        try:
            table = evaluate_folder(
                detector,
                root,
                split=self.split.value,
                limit=self.limit.value or None,
                progress=self.progress.update,
            )
        except (DatasetLayoutError, OSError, ValueError) as err:
            self.status.value = message_html(f"Cannot evaluate on {root}: {err}", "error")
            return None
        finally:
            self._busy(False)
        if scored(table).empty:
            self.status.value = message_html(
                f"No image of {root} could be read; the first reason: {table['error'].iloc[0]}", "error"
            )
            return table
        self.table = table
        self._show_curves()
        self._show_decisions()
        return table

    def reset(self) -> None:
        """Clear the results."""
        self.table = None
        self._curves = None
        self.progress.reset()
        self.status.value = self.tiles.value = ""
        for out in (self.roc, self.pr, self.calibration, self.confusion, self.histogram):
            out.outputs = ()
        self.gallery.reset()

    def _layout(self) -> ipw.HBox:
        sidebar = styled(
            ipw.VBox(
                [
                    ipw.HTML(title_html("Model")),
                    self.model_panel,
                    ipw.HTML(title_html("Data")),
                    self.folder,
                    self.split,
                    self.limit,
                    self.run_button,
                    self.progress,
                    ipw.HTML(title_html("Decision")),
                    self.threshold,
                ],
                layout=ipw.Layout(width="310px", min_width="310px"),
            ),
            "fs-sidebar",
        )
        grid = ipw.GridBox(
            [self.roc, self.pr, self.confusion, self.histogram, self.calibration],
            layout=ipw.Layout(
                grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="8px", width="100%"
            ),
        )
        mistakes = styled(
            ipw.VBox([ipw.HTML(title_html("Most confident mistakes (Grad-CAM overlay)")), self.gallery]),
            "fs-panel",
        )
        main = ipw.VBox(
            [self.status, self.tiles, grid, mistakes],
            layout=ipw.Layout(flex="1 1 auto", margin="0 0 0 14px", min_width="0"),
        )
        return ipw.HBox([sidebar, main], layout=ipw.Layout(align_items="flex-start"))

    def _on_detector(self, _change: dict | None = None) -> None:
        self.reset()
        detector = self.detector
        if detector is not None:
            self.threshold.adopt(detector.threshold)
        self.run_button.disabled = detector is None

    def _on_threshold(self, _change: dict) -> None:
        if self.table is not None:
            self._show_decisions()

    def _show_curves(self) -> None:
        curves = compute_curves(self.table)
        show_figure(self.roc, roc_figure(curves))
        show_figure(self.pr, pr_figure(curves))
        show_figure(self.calibration, calibration_figure(curves))
        note = f"Scored {curves.n_real:,} real and {curves.n_fake:,} fake image(s)"
        if curves.n_errors:
            self.status.value = message_html(
                f"{note}; {curves.n_errors:,} unreadable file(s) left out.", "warn"
            )
        else:
            self.status.value = message_html(note + ".", "note")
        self._curves = curves

    def _show_decisions(self) -> None:
        threshold = self.threshold.value
        metrics = metrics_at(self.table, threshold)
        curves = self._curves
        self.tiles.value = tiles_html(
            [
                ("ROC AUC", _number(curves.roc_auc)),
                ("average precision", _number(curves.average_precision)),
                (f"accuracy at {threshold:.3f}", _number(metrics.accuracy)),
                ("balanced accuracy", _number(metrics.balanced_accuracy)),
                ("fakes caught (recall)", _number(metrics.recall)),
                ("reals flagged (FPR)", _number(metrics.false_positive_rate)),
            ]
        )
        show_figure(self.confusion, confusion_figure(metrics))
        show_figure(self.histogram, score_histogram(self.table, threshold))
        mistakes = confident_mistakes(self.table, threshold, GALLERY_SIZE)
        outcomes = (
            self.detector.predict_batch(list(mistakes["path"]), on_error="return") if len(mistakes) else []
        )
        self.gallery.show(list(zip((row for _, row in mistakes.iterrows()), outcomes, strict=True)))

    def _busy(self, busy: bool) -> None:
        for control in (self.run_button, self.folder, self.split, self.limit, self.model_panel.picker):
            control.disabled = busy


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
