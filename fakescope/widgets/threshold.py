"""The decision-threshold slider both dashboards share: it always holds a model card's exact threshold.

Example:
    >>> slider = ThresholdSlider()
    >>> slider.adopt(0.9944)
    >>> slider.value, slider.readout_format
    (0.9944, '.3f')
"""

from __future__ import annotations

import ipywidgets as ipw


class ThresholdSlider(ipw.FloatSlider):
    """P(fake) at or above the value is FAKE; three decimals, so a card's 0.994 is shown and used as 0.994."""

    def __init__(self, **kwargs) -> None:
        options = {"value": 0.5, "min": 0.001, "max": 0.999, "step": 0.001, "readout_format": ".3f"}
        super().__init__(description="Threshold", **{**options, **kwargs})

    def adopt(self, threshold: float) -> None:
        """Take a model's threshold exactly, widening the range when it lies outside (never clamping it)."""
        self.min = min(self.min, threshold)
        self.max = max(self.max, threshold)
        self.value = threshold
