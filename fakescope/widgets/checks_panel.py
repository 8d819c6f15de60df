"""The checks panel: the conformal error level (alpha) and the opt-in test-time augmentation, for the detector
dashboard. A dashboard reads `alpha` and `tta` and asks `Detector.with_checks` for a detector judging so.

Example:
    >>> panel = ChecksPanel()
    >>> panel.adopt(detector)          # the card's alpha; the slider is off without conformal calibration
    >>> panel.alpha, panel.tta
    (0.2, False)
"""

from __future__ import annotations

import ipywidgets as ipw
import traitlets

from fakescope.runtime import Detector


class ChecksPanel(ipw.VBox):
    """An alpha slider and a TTA checkbox; `alpha` is None when the model has no conformal calibration."""

    alpha = traitlets.Float(None, allow_none=True)
    tta = traitlets.Bool(False)

    def __init__(self) -> None:
        super().__init__()
        self.slider = ipw.FloatSlider(
            value=0.05,
            min=0.01,
            max=0.5,
            step=0.01,
            description="Alpha",
            readout_format=".2f",
            continuous_update=False,
            style={"description_width": "80px"},
            layout=ipw.Layout(width="100%"),
        )
        self.checkbox = ipw.Checkbox(
            value=False, description="Also judge degraded copies (TTA)", indent=False
        )
        self.note = ipw.HTML()
        self.children = [self.slider, self.checkbox, self.note]
        self.slider.observe(self._on_slider, "value")
        self.checkbox.observe(self._on_checkbox, "value")
        self.adopt(None)

    def adopt(self, detector: Detector | None) -> None:
        """Show `detector`'s alpha (the card's), or turn the slider off without conformal calibration."""
        alpha = None if detector is None else detector.alpha
        self.slider.disabled = alpha is None
        if alpha is not None:
            self.slider.value = alpha
        self.alpha = alpha
        self.note.value = (
            '<div class="fs-muted">UNSURE when the conformal set at alpha holds both labels or neither; '
            "TTA: when a JPEG-75, half-size or mirrored copy is judged otherwise (about 3x the work).</div>"
            if alpha is not None
            else '<div class="fs-muted">This model has no conformal calibration (export --calibration).</div>'
        )

    def reset(self) -> None:
        self.checkbox.value = False

    def _on_slider(self, change: dict) -> None:
        if not self.slider.disabled:
            self.alpha = float(change["new"])

    def _on_checkbox(self, change: dict) -> None:
        self.tta = bool(change["new"])
