"""A gallery of images with their Grad-CAM overlays: the most confident mistakes of a model report.

Example:
    >>> gallery = MistakeGallery()
    >>> gallery.show([(row, prediction), ...])    # rows of `fakescope.report.confident_mistakes`
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ipywidgets as ipw
import pandas as pd

from fakescope.runtime import Prediction, Rejected
from fakescope.runtime.spec import CLASS_NAMES
from fakescope.widgets.markup import esc, message_html, pill_html
from fakescope.widgets.pictures import overlay_png
from fakescope.widgets.theme import styled

THUMB_SIDE = 150


class MistakeGallery(ipw.VBox):
    """Thumbnails (CAM overlay) with the file name, the true class and the model's P(fake)."""

    def show(self, items: Sequence[tuple[pd.Series, Prediction | Rejected]], alpha: float = 0.45) -> None:
        """Show one tile per (row, outcome); an empty list says there is no mistake."""
        if not items:
            self.children = [ipw.HTML(message_html("No misclassified image at this threshold.", "note"))]
            return
        tiles = [_tile(row, outcome, alpha) for row, outcome in items]
        self.children = [styled(ipw.HBox(tiles, layout=ipw.Layout(flex_flow="row wrap")), "fs-row")]

    def reset(self) -> None:
        self.children = []


def _tile(row: pd.Series, outcome: Prediction | Rejected, alpha: float) -> ipw.VBox:
    truth = CLASS_NAMES[int(row["label"])]
    caption = ipw.HTML(
        f'<div class="fs-thumb"><div class="fs-thumb-name">{esc(Path(row["path"]).name)}</div>'
        f"<div>true {pill_html(truth)}</div><div>P(fake) {row['prob_fake']:.3f}</div></div>"
    )
    if isinstance(outcome, Prediction):
        picture: ipw.Widget = styled(
            ipw.Image(
                value=overlay_png(outcome, THUMB_SIDE, alpha),
                format="png",
                layout=ipw.Layout(width=f"{THUMB_SIDE}px"),
            ),
            "fs-image",
        )
    else:
        picture = ipw.HTML(message_html(outcome.message, "error"), layout=ipw.Layout(width=f"{THUMB_SIDE}px"))
    return ipw.VBox([picture, caption])
