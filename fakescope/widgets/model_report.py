"""`ModelReport`: evaluate a model on a labelled folder with a progress bar, then show ROC and PR curves,
the confusion matrix at a threshold slider, the calibration curve, score histograms per class, and the most
confident mistakes with their Grad-CAM overlays.

Everything shown is computed by `fakescope.report`; this widget lays it out. Like the explorer, it reads only
the folders it was given (`AllowedFolders`) and shows paths relative to them.

Example (a notebook cell; `fakescope dashboard evaluate --model M --data DIR` serves it):
    >>> from fakescope.widgets import ModelReport
    >>> ModelReport("models/fakescope-demo.onnx", "data/demo")
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import traitlets

from fakescope.data.layout import TRAINING_LIMITS, DatasetLayoutError
from fakescope.report import SPLIT_CHOICES, Scores, compute_curves, confident_mistakes, evaluate_folder
from fakescope.report.figures import (
    calibration_figure,
    confusion_figure,
    pr_figure,
    roc_figure,
    score_histogram,
)
from fakescope.runtime import Detector, Prediction, Rejected
from fakescope.widgets.dataset_field import DatasetField
from fakescope.widgets.env import MODEL_ENV, env_path
from fakescope.widgets.faithfulness_panel import FaithfulnessPanel
from fakescope.widgets.folders import FolderRefused, allowed_and_first
from fakescope.widgets.gallery import MistakeGallery
from fakescope.widgets.markup import header_html, message_html, tiles_html, title_html
from fakescope.widgets.model_panel import ModelPanel
from fakescope.widgets.plots import figure_output, show_figure
from fakescope.widgets.progress import ProgressBar
from fakescope.widgets.theme import APP_CLASS, style_sheet, styled
from fakescope.widgets.threshold import ThresholdSlider
from fakescope.widgets.trust_figures import show_trust_figures

TITLE = "fakescope · model report"
SUBTITLE = "How good is this model on your data, where does it fail, and how sure is it when it does?"
GALLERY_SIZE = 8
EXPLAINED_CACHE = 64
"""Mistakes explained (re-run for their CAM) are kept, so moving the threshold re-runs only new ones."""


class ModelReport(ipw.VBox):
    """Evaluate a model on one split of a dataset folder and show its curves and mistakes.

    Args:
        model: ONNX model. Defaults to $FAKESCOPE_MODEL, else the bundled model.
        folder: dataset folder. Defaults to the first allowed folder.
        roots: the folders (with their subfolders) the page may read. Defaults to those in $FAKESCOPE_DATA,
            else `folder` itself.
        models_folder: folder whose ONNX files the model picker offers. Defaults to the bundled models.
        split: split to evaluate ("train", "valid", "test" or "all"). Defaults to "test".
        limit: evaluate at most this many images (seeded draw); 0 or None for all. Defaults to None.
    """

    scores = traitlets.Instance(Scores, allow_none=True)

    def __init__(
        self,
        model: str | Path | None = None,
        folder: str | Path | None = None,
        *,
        roots: list[str | Path] | None = None,
        models_folder: str | Path | None = None,
        split: str = "test",
        limit: int | None = None,
    ) -> None:
        super().__init__()
        styled(self, APP_CLASS)
        self.model_panel = ModelPanel(model if model is not None else env_path(MODEL_ENV), models_folder)
        wide = {"layout": ipw.Layout(width="100%"), "style": {"description_width": "72px"}}
        self.folder = DatasetField(*allowed_and_first(folder, roots), **wide)
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
        self.reliability, self.risk_coverage, self.robustness = (
            figure_output(),
            figure_output(),
            figure_output(),
        )
        self.gallery = MistakeGallery()
        self.faithfulness = FaithfulnessPanel()
        self._explained: dict[Path, Prediction | Rejected] = {}
        self.run_button.on_click(lambda _button: self.evaluate())
        self.threshold.observe(self._on_threshold, "value")
        self.model_panel.observe(self._on_detector, "detector")
        self.children = [style_sheet(), ipw.HTML(header_html(TITLE, SUBTITLE)), self._layout()]
        self._on_detector()

    @property
    def detector(self) -> Detector | None:
        return self.model_panel.detector

    def evaluate(self) -> Scores | None:
        """Score the chosen split and show the report; returns the scores (None when it could not run)."""
        detector = self.detector
        if detector is None:
            self.status.value = message_html("Load a model first.", "error")
            return None
        try:
            root = self.folder.check()
        except FolderRefused:  # the field's note says why, next to the field
            self.reset()
            return None
        label, relabel = self.folder.label(root), self.folder.allowed.relabel
        self.reset()
        self._busy(True)
        try:
            scores = evaluate_folder(
                detector,
                root,
                split=self.split.value,
                limit=self.limit.value or None,
                progress=self.progress.update,
            )
        except (DatasetLayoutError, OSError, ValueError) as err:
            self.status.value = message_html(f"Cannot evaluate: {relabel(str(err))}", "error")
            return None
        finally:
            self._busy(False)
        if not scores.records:
            self.status.value = message_html(
                f"No image of {label} could be read; the first reason: {relabel(scores.rejected[0].reason)}",
                "error",
            )
            return scores
        self.scores = scores
        self.faithfulness.prepare(detector, scores.records)
        self._show_curves()
        self._show_decisions()
        return scores

    def reset(self) -> None:
        """Clear the results."""
        self.scores = None
        self._explained = {}
        self.progress.reset()
        self.status.value = self.tiles.value = ""
        for out in (
            self.roc,
            self.pr,
            self.calibration,
            self.confusion,
            self.histogram,
            self.reliability,
            self.risk_coverage,
            self.robustness,
        ):
            out.outputs = ()
        self.gallery.reset()
        self.faithfulness.reset()

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
            [
                self.roc,
                self.pr,
                self.confusion,
                self.histogram,
                self.calibration,
                self.reliability,
                self.risk_coverage,
                self.robustness,
            ],
            layout=ipw.Layout(
                grid_template_columns="repeat(2, minmax(0, 1fr))", grid_gap="8px", width="100%"
            ),
        )
        mistakes = styled(
            ipw.VBox([ipw.HTML(title_html("Most confident mistakes (Grad-CAM overlay)")), self.gallery]),
            "fs-panel",
        )
        main = ipw.VBox(
            [self.status, self.tiles, grid, mistakes, self.faithfulness],
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
        if self.scores is not None:
            self._show_decisions()

    def _show_curves(self) -> None:
        scores = self.scores
        curves, metrics = compute_curves(scores), scores.metrics(self.threshold.value)
        show_figure(self.roc, roc_figure(curves, metrics))
        show_figure(self.pr, pr_figure(curves, metrics))
        show_figure(self.calibration, calibration_figure(curves))
        show_trust_figures(self, scores, self.threshold.value)
        note = f"Scored {metrics.n_real:,} real and {metrics.n_fake:,} fake image(s)"
        if scores.rejected:
            self.status.value = message_html(
                f"{note}; {len(scores.rejected):,} unreadable file(s) left out.", "warn"
            )
        else:
            self.status.value = message_html(note + ".", "note")

    def _show_decisions(self) -> None:
        threshold = self.threshold.value
        metrics = self.scores.metrics(threshold)
        self.tiles.value = tiles_html(
            [
                ("ROC AUC", _number(metrics.roc_auc)),
                ("average precision", _number(metrics.average_precision)),
                (f"accuracy at {threshold:.3f}", _number(metrics.accuracy)),
                ("balanced accuracy", _number(metrics.balanced_accuracy)),
                ("fakes caught (recall)", _number(metrics.tpr)),
                ("reals flagged (FPR)", _number(metrics.fpr)),
            ]
        )
        show_figure(self.confusion, confusion_figure(metrics))
        show_figure(self.histogram, score_histogram(self.scores, threshold))
        mistakes = confident_mistakes(self.scores, threshold, GALLERY_SIZE)
        paths = [self.scores.records[i].path for i in mistakes.index]
        outcomes = self._explain(paths)
        self.gallery.show(list(zip((row for _, row in mistakes.iterrows()), outcomes, strict=True)))

    def _explain(self, paths: list[Path]) -> list[Prediction | Rejected]:
        """The predictions (with CAMs) of `paths`, running the model only on those not explained yet."""
        found = {path: self._explained[path] for path in paths if path in self._explained}
        new = [path for path in paths if path not in found]
        if new:
            scorer = self.detector.with_limits(TRAINING_LIMITS)  # as evaluated: the dataset's limits
            found.update(zip(new, scorer.predict_batch(new, on_error="return"), strict=True))
            self._explained.update((path, found[path]) for path in new)
        while len(self._explained) > EXPLAINED_CACHE:
            self._explained.pop(next(iter(self._explained)))
        return [found[path] for path in paths]

    def _busy(self, busy: bool) -> None:
        for control in (self.run_button, self.folder, self.split, self.limit, self.model_panel.picker):
            control.disabled = busy


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"
