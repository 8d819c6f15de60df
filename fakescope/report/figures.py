"""Plotly figures of an evaluation: ROC, precision-recall, calibration, confusion matrix, score histograms.

Each function takes what `fakescope.report` computed (`Curves`, `BinaryMetrics`, `Scores`) and returns a
`go.Figure`; notebooks show them directly, the `ModelReport` widget renders them offline.

Example:
    >>> roc_figure(compute_curves(scores), scores.metrics(0.5)).layout.title.text
    'ROC curve · AUC ...'
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fakescope.report.curves import Curves
from fakescope.report.metrics import BinaryMetrics
from fakescope.report.scoring import Scores
from fakescope.report.style import ACCENT, CLASS_COLORS, FONT_FAMILY, PLOT_TEMPLATE
from fakescope.runtime.spec import CLASS_NAMES

_NEEDS_BOTH = "needs both real and fake images"


def roc_figure(curves: Curves, metrics: BinaryMetrics) -> go.Figure:
    """True-positive rate (fake caught) against false-positive rate (real flagged), with the chance line."""
    title = "ROC curve" + (f" · AUC {metrics.roc_auc:.3f}" if metrics.roc_auc is not None else "")
    fig = _unit_axes(
        _base(title, "false-positive rate (real called FAKE)", "true-positive rate (fake caught)")
    )
    fig.add_trace(_chance_line())
    fig.add_trace(go.Scatter(x=curves.fpr, y=curves.tpr, mode="lines", name="model", line={"color": ACCENT}))
    return _note_if_empty(fig, metrics.roc_auc)


def pr_figure(curves: Curves, metrics: BinaryMetrics) -> go.Figure:
    """Precision against recall for the FAKE class, with the no-skill baseline (the share of fakes)."""
    title = "Precision-recall" + (
        f" · AP {metrics.average_precision:.3f}" if metrics.average_precision is not None else ""
    )
    fig = _unit_axes(_base(title, "recall (fake caught)", "precision (FAKE verdicts that are fake)"))
    if metrics.n:
        share = metrics.n_fake / metrics.n
        fig.add_trace(go.Scatter(x=[0, 1], y=[share, share], mode="lines", name="no skill", line=_dashed()))
    fig.add_trace(
        go.Scatter(x=curves.recall, y=curves.precision, mode="lines", name="model", line={"color": ACCENT})
    )
    return _note_if_empty(fig, metrics.average_precision)


def calibration_figure(curves: Curves) -> go.Figure:
    """Observed share of fakes against mean P(fake) per bin; a calibrated model follows the diagonal."""
    fig = _unit_axes(_base("Calibration", "mean predicted P(fake)", "observed share of fakes"))
    fig.add_trace(_chance_line("perfectly calibrated"))
    fig.add_trace(
        go.Scatter(
            x=curves.calibration_pred,
            y=curves.calibration_true,
            mode="lines+markers",
            name="model",
            line={"color": ACCENT},
        )
    )
    return fig


def confusion_figure(metrics: BinaryMetrics) -> go.Figure:
    """The 2x2 confusion matrix at the metrics' threshold, counts and row shares in each cell."""
    matrix = metrics.matrix
    rows = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, rows, out=np.zeros(matrix.shape), where=rows > 0)
    text = [[f"{matrix[i, j]}<br>{shares[i, j]:.0%}" for j in range(2)] for i in range(2)]
    labels = list(CLASS_NAMES)
    fig = _base(f"Confusion matrix · threshold {metrics.threshold:.3f}", "predicted", "true")
    fig.add_trace(
        go.Heatmap(
            z=shares,
            x=labels,
            y=labels,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 16},
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="true %{y}, predicted %{x}: %{text}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return fig


def score_histogram(scores: Scores, threshold: float) -> go.Figure:
    """Histograms of P(fake) for real and for fake images, with the decision threshold marked."""
    fig = _base("Scores per class", "P(fake)", "images")
    for label, name in enumerate(CLASS_NAMES):
        fig.add_trace(
            go.Histogram(
                x=scores.prob_fake[scores.labels == label],
                name=name.lower(),
                xbins={"start": 0.0, "end": 1.0, "size": 0.05},
                marker={"color": CLASS_COLORS[name]},
                opacity=0.65,
            )
        )
    fig.add_vline(
        x=threshold, line={"color": "#1f2933", "dash": "dash"}, annotation_text=f"threshold {threshold:.3f}"
    )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(range=[0, 1])
    return fig


def _base(title: str, x_title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=PLOT_TEMPLATE,
        title={"text": title, "x": 0.02, "font": {"size": 15}},
        font={"family": FONT_FAMILY, "size": 12},
        height=340,
        margin={"l": 55, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.22, "x": 0},
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def _unit_axes(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return fig


def _chance_line(name: str = "chance") -> go.Scatter:
    return go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=name, line=_dashed())


def _dashed() -> dict:
    return {"color": "#9aa5b1", "dash": "dash", "width": 1}


def _note_if_empty(fig: go.Figure, value: float | None) -> go.Figure:
    if value is None:
        fig.add_annotation(text=_NEEDS_BOTH, x=0.5, y=0.5, showarrow=False, font={"size": 14})
    return fig


def learning_curve_figure(history: pd.DataFrame) -> go.Figure:
    """ROC AUC and loss per epoch, training and validation, from a run's `history.csv`; the start of the
    fine-tune phase is marked.

    Example:
        >>> history = pd.DataFrame({"epoch": [1, 2], "phase": ["head", "fine_tune"], "auc": [0.7, 0.8],
        ...                         "val_auc": [0.6, 0.7], "loss": [0.6, 0.5], "val_loss": [0.7, 0.6]})
        >>> [trace.name for trace in learning_curve_figure(history).data]
        ['auc', 'val_auc', 'loss', 'val_loss']
    """
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("ROC AUC", "loss"))
    for column, col in (("auc", 1), ("val_auc", 1), ("loss", 2), ("val_loss", 2)):
        line = {"color": ACCENT, "dash": "solid" if column.startswith("val") else "dot"}
        fig.add_trace(
            go.Scatter(x=history["epoch"], y=history[column], name=column, mode="lines+markers", line=line),
            1,
            col,
        )
    fine_tune = history.loc[history["phase"] == "fine_tune", "epoch"]
    if len(fine_tune):
        fig.add_vline(x=float(fine_tune.min()) - 0.5, line_dash="dot", annotation_text="fine-tune")
    fig.update_layout(template=PLOT_TEMPLATE, font={"family": FONT_FAMILY, "size": 12}, height=340)
    fig.update_xaxes(title_text="epoch")
    return fig
