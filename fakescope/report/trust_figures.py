"""Plotly figures of how sure a model is: the reliability diagram before and after temperature scaling, the
risk-coverage curve of selective prediction, and the AUC under each robustness degradation.

Each takes what `fakescope.uncertainty` computed and returns a `go.Figure`, like `fakescope.report.figures`.

Example:
    >>> from fakescope.uncertainty.reliability import reliability
    >>> labels, prob, raw = [0, 0, 1, 1], [0.2, 0.4, 0.6, 0.9], [0.05, 0.4, 0.6, 0.99]
    >>> reliability_figure(reliability(labels, prob), reliability(labels, raw)).layout.title.text
    'Reliability · ECE ... (... before temperature scaling)'
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from fakescope.report.figures import _base, _chance_line, _unit_axes
from fakescope.report.style import ACCENT
from fakescope.uncertainty.reliability import Reliability
from fakescope.uncertainty.selective import RiskCoverage, Selective

BEFORE_COLOR = "#9aa5b1"


def reliability_figure(after: Reliability, before: Reliability | None = None) -> go.Figure:
    """Share of fakes against mean P(fake) per bin (marker size: images), after and before calibration."""
    title = f"Reliability · ECE {after.ece:.3f}"
    if before is not None:
        title += f" ({before.ece:.3f} before temperature scaling)"
    fig = _unit_axes(_base(title, "mean predicted P(fake)", "observed share of fakes"))
    fig.add_trace(_chance_line("perfectly calibrated"))
    for table, name, colour in ((before, "before", BEFORE_COLOR), (after, "calibrated", ACCENT)):
        if table is None:
            continue
        kept = [
            (p, f, n) for p, f, n in zip(table.mean_prob, table.frac_fake, table.counts, strict=True) if n
        ]
        fig.add_trace(
            go.Scatter(
                x=[p for p, _, _ in kept],
                y=[f for _, f, _ in kept],
                mode="lines+markers",
                name=name,
                line={"color": colour},
                marker={"size": [6 + 14 * (n / max(table.counts)) for _, _, n in kept]},
                hovertemplate="mean P(fake) %{x:.3f}, share fake %{y:.3f}<extra>" + name + "</extra>",
            )
        )
    return fig


def risk_coverage_figure(curve: RiskCoverage, answered: Selective | None = None) -> go.Figure:
    """Error rate among the k most confident images against the share answered, with the checks' point."""
    fig = _base(f"Risk-coverage · area {curve.area:.4f}", "coverage (share answered)", "risk (error rate)")
    fig.add_trace(
        go.Scatter(
            x=curve.coverage, y=curve.risk, mode="lines", name="most confident first", line={"color": ACCENT}
        )
    )
    if answered is not None and answered.accuracy is not None:
        fig.add_trace(
            go.Scatter(
                x=[answered.coverage],
                y=[1.0 - answered.accuracy],
                mode="markers",
                name="definite verdicts (checks passed)",
                marker={"size": 12, "color": "#b9770e", "symbol": "diamond"},
            )
        )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(rangemode="tozero")
    return fig


def robustness_figure(robustness: dict[str, Any]) -> go.Figure:
    """ROC AUC per degradation (the card's or an evaluation's `robustness`), with the share flipped."""
    names = [name for name in robustness if robustness[name].get("roc_auc") is not None]
    fig = _base("Robustness · ROC AUC per degradation", "", "ROC AUC")
    fig.add_trace(
        go.Bar(
            x=names,
            y=[robustness[n]["roc_auc"] for n in names],
            text=[
                f"{robustness[n].get('flipped', 0):.0%} flipped" if "flipped" in robustness[n] else ""
                for n in names
            ],
            textposition="outside",
            marker={"color": ACCENT},
        )
    )
    fig.update_yaxes(range=[0, 1.08])
    return fig
