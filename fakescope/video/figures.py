"""Plotly views of a clip's analysis: one function per figure, each `(VideoPrediction) -> go.Figure`.

Example:
    >>> fig = timeline_figure(predict_video(Detector(), "clip.mp4"))
    >>> [trace.name for trace in fig.data]
    ['track 0 (REAL)', 'track 1 (FAKE)', 'threshold']
"""

from __future__ import annotations

import plotly.graph_objects as go

from fakescope.report.style import CLASS_COLORS, FONT_FAMILY, PLOT_TEMPLATE
from fakescope.video.results import VideoPrediction

TRACK_DASHES = ("solid", "dot", "dash", "longdash", "dashdot")


def timeline_figure(result: VideoPrediction) -> go.Figure:
    """P(fake) of every track's faces over the clip's time, coloured by the track's label, with the threshold.

    Without any face, the frames' centre-crop P(fake) is drawn in grey instead.
    """
    fig = go.Figure()
    for index, track in enumerate(result.tracks):
        fig.add_trace(
            go.Scatter(
                x=list(track.times),
                y=list(track.scores),
                mode="lines+markers",
                name=f"track {track.id} ({track.label})",
                line={"color": CLASS_COLORS[track.label], "dash": TRACK_DASHES[index % len(TRACK_DASHES)]},
                hovertemplate="%{x:.2f} s: P(fake) %{y:.3f}<extra>track " + str(track.id) + "</extra>",
            )
        )
    if not result.tracks:
        points = result.timeline
        fig.add_trace(
            go.Scatter(
                x=[p.time for p in points],
                y=[p.prob_fake for p in points],
                mode="lines+markers",
                name="no face: centre crop",
                line={"color": "#7f8c8d"},
            )
        )
    end = max(result.info.duration_s, max((p.time for p in result.timeline), default=0.0))
    fig.add_trace(
        go.Scatter(
            x=[0.0, end],
            y=[result.threshold] * 2,
            mode="lines",
            name="threshold",
            line={"color": "#555555", "dash": "dash", "width": 1},
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        title=f"P(fake) over time: {result.verdict}",
        template=PLOT_TEMPLATE,
        font={"family": FONT_FAMILY},
        xaxis={"title": "time (s)", "range": [0.0, end]},
        yaxis={"title": "P(fake)", "range": [0.0, 1.0]},
        height=260,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig
