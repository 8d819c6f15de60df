"""A CAM method picker for a result card: choose a method, see its map over the model's view and, in words,
how faithful that map is (ROAD: what removing the most- and least-attended pixels does to the score).

The runtime computes everything (`fakescope.runtime.explain.explain_view`); this widget only shows it, and
computes each method once, when it is first picked.

Example:
    >>> picker = MethodPicker(detector, prediction.view)
    >>> picker.method = "layercam"
    >>> picker.words.value
    '<div class="fs-caption fs-faithfulness">removing the 20% most-attended pixels moves P(fake) ...</div>'
"""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np
import traitlets

from fakescope.runtime import Detector
from fakescope.runtime.explain import CAM_METHODS, Explanation, explain_view
from fakescope.widgets.markup import esc
from fakescope.widgets.pictures import fit, png_bytes
from fakescope.widgets.theme import styled

SIDE = 180


class MethodPicker(ipw.VBox):
    """A dropdown of the CAM methods the model can run, the chosen map, and a line on its faithfulness."""

    method = traitlets.Unicode("gradcam")
    explanation = traitlets.Instance(Explanation, allow_none=True)

    def __init__(
        self, detector: Detector, view: np.ndarray, *, alpha: float = 0.45, side: int = SIDE
    ) -> None:
        super().__init__(layout=ipw.Layout(width=f"{side + 20}px"))
        styled(self, "fs-method-picker")
        self._detector, self._view, self._alpha, self._side = detector, view, alpha, side
        self._cache: dict[str, Explanation] = {}
        methods = detector.cam_methods
        self.choice = styled(
            ipw.Dropdown(
                options=[(CAM_METHODS[m].title, m) for m in methods],
                value=methods[0],
                description="Method",
                layout=ipw.Layout(width=f"{side}px"),
                style={"description_width": "52px"},
            ),
            "fs-method-choice",
        )
        self.picture = styled(
            ipw.Image(format="png", layout=ipw.Layout(width=f"{side}px")), "fs-image", "fs-method-map"
        )
        self.words = ipw.HTML()
        self.children = [self.choice, self.picture, self.words]
        traitlets.link((self.choice, "value"), (self, "method"))
        self.observe(self._on_method, "method")
        self.set_trait("method", methods[0])
        self._on_method()

    def reset(self) -> None:
        """Back to the first method."""
        self.method = self.choice.options[0][1]

    def _on_method(self, _change: dict | None = None) -> None:
        self.choice.disabled = True
        try:
            if self.method not in self._cache:
                self._cache[self.method] = explain_view(self._detector, self._view, [self.method])
            self.explanation = self._cache[self.method]
            self.picture.value = png_bytes(
                fit(self.explanation.overlay(self.method, self._alpha), self._side)
            )
            sentence = self.explanation.faithfulness[self.method].sentence()
            self.words.value = f'<div class="fs-caption fs-faithfulness">{esc(sentence)}</div>'
        finally:
            self.choice.disabled = False
