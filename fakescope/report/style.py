"""Visual constants shared by the report figures and the dashboards, so every view colours classes alike.

Example:
    >>> CLASS_COLORS["FAKE"]
    '#d64545'
"""

CLASS_COLORS = {"REAL": "#2e9e5b", "FAKE": "#d64545"}
"""REAL green, FAKE red: the verdict box, the meter and every per-class trace."""

ACCENT = "#3b5bdb"
"""Curves that are not per class (ROC, PR, calibration)."""

PLOT_TEMPLATE = "plotly_white"
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
