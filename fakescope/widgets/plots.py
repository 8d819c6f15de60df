"""Show plotly figures offline inside ipywidgets and Voila, through the `plotly_mimetype` output.

The figure travels as JSON in an `Output` widget and is drawn by the plotly renderer extension that ships with
plotly, so no CDN is needed and the bundle is loaded once per page (a `FigureWidget` would send its 5 MB
JavaScript bundle with every figure).

Example:
    >>> out = figure_output(fig)
    >>> show_figure(out, other_fig)   # replace it
"""

from __future__ import annotations

import json

import ipywidgets as ipw
import plotly.graph_objects as go
import plotly.io as pio

PLOTLY_MIME = "application/vnd.plotly.v1+json"
CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}


def figure_bundle(fig: go.Figure) -> dict:
    """The display-data output that renders `fig` (plotly JSON, plus a text fallback)."""
    data = json.loads(pio.to_json(fig, validate=False))
    data["config"] = CONFIG
    title = fig.layout.title.text or "figure"
    return {
        "output_type": "display_data",
        "data": {PLOTLY_MIME: data, "text/plain": f"<plotly figure: {title}>"},
        "metadata": {},
    }


def show_figure(out: ipw.Output, fig: go.Figure) -> None:
    """Replace what `out` shows with `fig`."""
    out.outputs = (figure_bundle(fig),)


def figure_output(fig: go.Figure | None = None, **layout: str) -> ipw.Output:
    """A new `Output` widget showing `fig` (or empty)."""
    out = ipw.Output(layout=ipw.Layout(**layout))
    if fig is not None:
        show_figure(out, fig)
    return out
