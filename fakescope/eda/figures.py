"""Plotly figures of an EDA table: one function per figure, each `(table) -> go.Figure`.

The notebook, the DatasetExplorer widget and `fakescope eda` all draw with these. Figures aggregate before
plotting (histograms are binned here, scatters are capped per class), so their size does not grow with the
dataset. Rows with an `error` are left out of every figure but the class balance.

Example:
    >>> figures = all_figures(collect_stats("data/demo"))
    >>> list(figures)[:2]
    ['class_balance', 'rgb_means']
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from fakescope.data.layout import SPLITS
from fakescope.eda.measures import spectrum_frequencies
from fakescope.eda.shortcuts import LABELS, summary
from fakescope.eda.table import spectrum_matrix
from fakescope.eda.worker import EDA_LIMITS
from fakescope.report.style import CLASS_COLORS
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.images import load_image
from fakescope.runtime.spec import CLASS_NAMES

__all__ = [
    "all_figures",
    "class_balance",
    "jpeg_quality",
    "luminance_contrast",
    "radial_spectrum",
    "resolution_scatter",
    "rgb_means",
    "sample_grid",
    "sharpness_hist",
    "summary",
]


def _translucent(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


COLORS = {label: CLASS_COLORS[name] for label, name in zip(LABELS, CLASS_NAMES, strict=True)}
"""The report's and the dashboards' class colours (`fakescope.report.style`), keyed by the table's labels."""
FORMAT_COLORS = plotly.colors.qualitative.Set2
"""File formats get their own palette, never the class colours."""
BANDS = {label: _translucent(color, 0.2) for label, color in COLORS.items()}
MAX_POINTS = 3000
"""Most points per class a scatter shows (a seeded random subset)."""

THUMBNAIL = 128


def class_balance(table: pd.DataFrame) -> go.Figure:
    """Images per split and class (unreadable files included)."""
    counts = table.groupby(["split", "label"]).size()
    splits = [s for s in SPLITS if s in set(table["split"])]
    fig = go.Figure(
        [
            go.Bar(
                name=label,
                x=splits,
                y=[int(counts.get((split, label), 0)) for split in splits],
                marker_color=COLORS[label],
                texttemplate="%{y:,}",
            )
            for label in LABELS
        ]
    )
    return _layout(fig, "Class balance per split", "split", "images", barmode="group")


def rgb_means(table: pd.DataFrame) -> go.Figure:
    """Mean and within-image std of R, G, B per class; error bars are the spread across images."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Channel mean", "Channel std (within an image)"))
    for label, rows in _by_label(_ok(table)):
        for col, prefix in ((1, "mean"), (2, "std")):
            values = rows[[f"{prefix}_{c}" for c in "rgb"]]
            fig.add_bar(
                x=["R", "G", "B"],
                y=values.mean().to_numpy(),
                error_y={"type": "data", "array": values.std(ddof=0).to_numpy()},
                name=label,
                marker_color=COLORS[label],
                legendgroup=label,
                showlegend=col == 1,
                row=1,
                col=col,
            )
    fig.update_yaxes(title_text="intensity (0-255)", row=1, col=1)
    return _layout(fig, "RGB channel statistics per class", None, None, barmode="group")


def resolution_scatter(table: pd.DataFrame) -> go.Figure:
    """Width against height; a marker per distinct size and class, sized by its count."""
    sizes = _ok(table).groupby(["label", "width", "height"]).size().rename("count").reset_index()
    fig = go.Figure()
    for label, rows in _by_label(sizes):
        fig.add_scatter(
            x=rows["width"].astype(float),
            y=rows["height"].astype(float),
            mode="markers",
            name=label,
            marker={"color": COLORS[label], "size": 8 + 6 * np.log10(rows["count"]), "opacity": 0.6},
            customdata=rows["count"],
            hovertemplate="%{x} x %{y}: %{customdata:,} images",
        )
    return _layout(fig, "Image resolution", "width (px)", "height (px)")


def sharpness_hist(table: pd.DataFrame) -> go.Figure:
    """Distribution of the Laplacian variance per class, on a log scale, as a share of each class."""
    rows = _ok(table)
    values = np.log10(1.0 + rows["sharpness"].to_numpy(dtype=float))
    fig = go.Figure()
    if len(values):
        edges = np.histogram_bin_edges(values, bins=40)
        for label, part in _by_label(rows):
            counts, _ = np.histogram(np.log10(1.0 + part["sharpness"].to_numpy(dtype=float)), bins=edges)
            fig.add_bar(
                x=(edges[:-1] + edges[1:]) / 2,
                y=100.0 * counts / counts.sum(),
                width=np.diff(edges),
                name=label,
                marker_color=COLORS[label],
                opacity=0.6,
            )
    return _layout(fig, "Sharpness", "log10(1 + variance of the Laplacian)", "% of class", barmode="overlay")


def luminance_contrast(table: pd.DataFrame) -> go.Figure:
    """Mean luminance against RMS contrast, at most `MAX_POINTS` images per class."""
    fig = go.Figure()
    for label, rows in _by_label(_ok(table)):
        shown = rows.sample(min(len(rows), MAX_POINTS), random_state=0)
        fig.add_scattergl(
            x=shown["luminance"],
            y=shown["contrast"],
            mode="markers",
            name=f"{label} ({len(shown):,} of {len(rows):,})",
            marker={"color": COLORS[label], "size": 5, "opacity": 0.5},
        )
    return _layout(fig, "Luminance vs contrast", "mean luminance (0-255)", "RMS contrast (luma std)")


def radial_spectrum(table: pd.DataFrame) -> go.Figure:
    """Mean radial log power spectrum per class with a +/- 1 std band, and the fake - real difference."""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.65, 0.35],
        vertical_spacing=0.08,
        subplot_titles=("Mean radial power spectrum (band: +/- 1 std)", "Difference fake - real"),
    )
    freqs = spectrum_frequencies()
    means = {}
    for label, rows in _by_label(_ok(table)):
        spectra = spectrum_matrix(rows).astype(np.float64)
        mean, std = spectra.mean(axis=0), spectra.std(axis=0)
        means[label] = mean
        band = np.concatenate([mean + std, (mean - std)[::-1]])
        fig.add_scatter(
            x=np.concatenate([freqs, freqs[::-1]]),
            y=band,
            fill="toself",
            fillcolor=BANDS[label],
            line={"width": 0},
            hoverinfo="skip",
            legendgroup=label,
            showlegend=False,
            row=1,
            col=1,
        )
        fig.add_scatter(
            x=freqs, y=mean, name=label, line={"color": COLORS[label]}, legendgroup=label, row=1, col=1
        )
    if len(means) == 2:
        fig.add_scatter(
            x=freqs,
            y=means["fake"] - means["real"],
            name="fake - real",
            line={"color": "black"},
            row=2,
            col=1,
        )
        fig.add_hline(y=0, line={"color": "grey", "dash": "dot"}, row=2, col=1)
    fig.update_yaxes(title_text="power (dB)", row=1, col=1)
    fig.update_yaxes(title_text="dB", row=2, col=1)
    fig.update_xaxes(title_text="frequency (cycles/pixel)", row=2, col=1)
    return _layout(fig, "Radial power spectrum of the luminance", None, None, height=600)


def jpeg_quality(table: pd.DataFrame) -> go.Figure:
    """File format share per class, and the estimated JPEG quality per class."""
    rows = _ok(table)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("File format (% of class)", "Estimated JPEG quality"))
    shares = pd.crosstab(rows["format"], rows["label"], normalize="columns") * 100 if len(rows) else None
    labels = [label for label in LABELS if shares is not None and label in shares.columns]
    for i, fmt in enumerate([] if shares is None else shares.index):
        fig.add_bar(
            x=labels,
            y=[shares.loc[fmt, label] for label in labels],
            name=fmt,
            marker_color=FORMAT_COLORS[i % len(FORMAT_COLORS)],
            row=1,
            col=1,
        )
    jpegs = rows[rows["jpeg_quality"].notna()]
    for label, part in _by_label(jpegs):
        fig.add_box(
            x=[label] * len(part),
            y=part["jpeg_quality"],
            name=f"{label} JPEG",
            marker_color=COLORS[label],
            showlegend=False,
            row=1,
            col=2,
        )
    if jpegs.empty:
        fig.add_annotation(
            text="no JPEG files", showarrow=False, xref="x2 domain", yref="y2 domain", x=0.5, y=0.5
        )
    fig.update_yaxes(title_text="quality (1-100)", row=1, col=2)
    return _layout(fig, "File format and JPEG quality", None, None, barmode="stack")


def sample_grid(table: pd.DataFrame, n: int = 8) -> go.Figure:
    """`n` random images of each class (seeded), real on the top row and fake below."""
    if n < 1:
        raise ValueError(f"`n` must be >= 1. Received: n={n}")
    fig = make_subplots(rows=2, cols=n, horizontal_spacing=0.01, vertical_spacing=0.04)
    rows = _ok(table)
    for r, label in enumerate(LABELS, start=1):
        part = rows[rows["label"] == label]
        for c, (_, row) in enumerate(part.sample(min(n, len(part)), random_state=0).iterrows(), start=1):
            source = _thumbnail(row["path"])
            if source is not None:
                fig.add_trace(go.Image(source=source, name=f"{label}: {row['path']}", hoverinfo="name"), r, c)
        fig.update_yaxes(title_text=label, row=r, col=1)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    return _layout(fig, "Sample images: real (top) vs fake (bottom)", None, None, height=140 + 2 * 900 // n)


def all_figures(table: pd.DataFrame) -> dict[str, go.Figure]:
    """Every figure keyed by its function name, in report order; each is titled (`fig.layout.title.text`)."""
    builders = (
        class_balance,
        rgb_means,
        resolution_scatter,
        sharpness_hist,
        luminance_contrast,
        radial_spectrum,
        jpeg_quality,
        sample_grid,
    )
    return {build.__name__: build(table) for build in builders}


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["error"] == ""]


def _by_label(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    return [(label, rows[rows["label"] == label]) for label in LABELS if (rows["label"] == label).any()]


def _layout(
    fig: go.Figure, title: str, xtitle: str | None, ytitle: str | None, **layout: object
) -> go.Figure:
    fig.update_layout(title={"text": title}, template="plotly_white", legend_title_text="", **layout)
    if xtitle:
        fig.update_xaxes(title_text=xtitle)
    if ytitle:
        fig.update_yaxes(title_text=ytitle)
    return fig


def _thumbnail(path: str) -> str | None:
    """A small JPEG data URI of the image, or None if it can no longer be read."""
    try:
        pixels = load_image(path, EDA_LIMITS).pixels
    except InvalidImageError:
        return None
    image = Image.fromarray(pixels)
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
