"""HTML snippets of the dashboards. Every piece of text passes through `esc`, so a file named
`<img src=x onerror=alert(1)>.png` is shown as text and never becomes markup.

Example:
    >>> meter_html(0.8, 0.5)          # the P(fake) meter with the threshold marked
    '<div class="fs-meter" ...'
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from fakescope.report.style import CLASS_COLORS
from fakescope.runtime import ImageInfo, ModelCard, Prediction
from fakescope.runtime.card_trust import INTERVAL_NAMES, interval_basis, trust_lines


def esc(value: Any) -> str:
    """`value` as text that is safe inside HTML elements and quoted attributes."""
    return html.escape(str(value), quote=True)


def header_html(title: str, subtitle: str) -> str:
    return f'<div class="fs-header"><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></div>'


def title_html(text: str) -> str:
    return f'<div class="fs-title">{esc(text)}</div>'


def message_html(text: str, kind: str = "note") -> str:
    """A one-line message box; `kind` is "note", "warn" or "error"."""
    if kind not in ("note", "warn", "error"):
        raise ValueError(f"`kind` must be 'note', 'warn' or 'error'. Received: kind={kind!r}")
    return f'<div class="fs-{kind}">{esc(text)}</div>'


def verdict_html(prediction: Prediction) -> str:
    """The coloured REAL/FAKE box (amber UNSURE, with its reasons), with P(fake) against the threshold."""
    label, verdict = prediction.label, prediction.verdict
    relation = "≥" if label == "FAKE" else "<"
    sub = f"P(fake) {prediction.prob_fake:.1%} {relation} threshold {prediction.threshold:.3f}"
    if verdict != label:
        sub += f" (alone it would say {label})"
    reasons = "".join(f"<li>{esc(reason)}</li>" for reason in prediction.reasons)
    return (
        f'<div class="fs-verdict fs-{verdict.lower()}"><div class="fs-label">{esc(verdict)}</div>'
        f'<div class="fs-sub">{esc(sub)}</div>'
        + (f'<ul class="fs-reasons">{reasons}</ul>' if reasons else "")
        + "</div>"
    )


def probabilities_html(prediction: Prediction) -> str:
    return (
        f'<div class="fs-probs"><span>P(fake) <b>{prediction.prob_fake:.3f}</b></span>'
        f"<span>P(real) <b>{prediction.prob_real:.3f}</b></span></div>"
    )


def meter_html(prob_fake: float, threshold: float) -> str:
    """A bar filled to P(fake), coloured by the verdict, with a marker at the decision threshold."""
    colour = CLASS_COLORS["FAKE"] if prob_fake >= threshold else CLASS_COLORS["REAL"]
    return (
        f'<div class="fs-meter" title="P(fake) {prob_fake:.3f}">'
        f'<div class="fs-meter-fill" style="width: {100 * prob_fake:.2f}%; background: {colour};"></div>'
        f'<div class="fs-meter-mark" style="left: {100 * threshold:.2f}%;">'
        # The label slides from left- to right-aligned with the mark, so it stays inside the meter at 0.99.
        f'<span style="transform: translateX(-{100 * threshold:.2f}%);">threshold {threshold:.3f}</span>'
        "</div></div>"
        '<div class="fs-meter-scale"><span>0 · real</span><span>P(fake)</span><span>fake · 1</span></div>'
    )


def info_html(info: ImageInfo, faces: str | None = None) -> str:
    """The facts about an uploaded file: size, format, mode, aspect ratio, file size (and faces found)."""
    rows = [
        ("Size", f"{info.width} × {info.height} px"),
        ("Format", info.format),
        ("Mode", info.mode),
        ("Aspect ratio", f"{info.aspect_ratio:.3f}"),
        ("File size", file_size_text(info.file_size)),
    ]
    if faces is not None:
        rows.append(("Faces", faces))
    return key_values_html(rows)


def card_html(card: ModelCard) -> str:
    """The model card: identity, input, threshold, metrics, training data, intended use and limitations."""
    colour = "greyscale" if card.greyscale else "RGB"
    rows = [
        ("Model", f"{card.name} v{card.version}"),
        ("Architecture", card.architecture),
        ("Input", f"{card.input_width} × {card.input_height} {colour}"),
        ("Threshold", f"{card.threshold:.3f}"),
        ("Precision", card.precision),
    ]
    if card.created:
        rows.append(("Created", card.created))
    parts = [key_values_html(rows), _metrics_html(card)]
    trust = {
        key: line for key, line in trust_lines(card).items() if not key.startswith(("intervals", "warning"))
    }
    if trust:
        parts.append(f'<div class="fs-title">How sure</div>{key_values_html(trust.items())}')
    if card.warnings:
        items = "".join(f"<li>{esc(warning)}</li>" for warning in card.warnings)
        parts.append(f'<div class="fs-warn"><b>Warnings.</b><ul>{items}</ul></div>')
    for heading, text in (("Trained on", card.training_data), ("Intended use", card.intended_use)):
        if text:
            parts.append(f'<div class="fs-title">{esc(heading)}</div><div class="fs-muted">{esc(text)}</div>')
    if card.limitations:
        parts.append(f'<div class="fs-warn"><b>Limitations.</b> {esc(card.limitations)}</div>')
    return "".join(parts)


METRIC_NAMES = {
    **INTERVAL_NAMES,
    "average_precision": "average precision",
    "balanced_accuracy": "balanced accuracy",
    "eer": "EER",
    "log_loss": "log loss",
    "n": "images",
    "n_real": "real images",
    "n_fake": "fake images",
}
"""How the model card's metric keys read in the dashboard."""


def _metrics_html(card: ModelCard) -> str:
    """The card's test metrics, one row each, with the bootstrap interval where the card has one."""
    metrics = [(name, v) for name, v in sorted(card.metrics.items()) if isinstance(v, (int, float, str))]
    if not metrics:
        return ""
    title = '<div class="fs-title">Test metrics</div>'
    intervals = card.intervals.get("metrics", {})
    named = [(METRIC_NAMES.get(name, name), name, _metric_text(value)) for name, value in metrics]
    if not intervals:
        return title + key_values_html((shown, text) for shown, _name, text in named)
    level, counts = interval_basis(card.intervals).split(", ", 1)
    rows = [(shown, text, _interval_text(intervals.get(name))) for shown, name, text in named]
    caption = (
        f'<div class="fs-muted">Intervals: {esc(level)} bootstrap over the {esc(counts)} test images.</div>'
    )
    return title + table_html(("metric", "value", f"{level} interval"), rows) + caption


def _interval_text(interval: Sequence[float] | None) -> str:
    if interval is None:
        return ""
    _value, low, high = interval
    return f"{low:.3f} – {high:.3f}"


def key_values_html(rows: Iterable[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><td>{esc(key)}</td><td>{esc(value)}</td></tr>" for key, value in rows)
    return f'<table class="fs-table fs-kv">{body}</table>'


def table_html(columns: Sequence[str], rows: Iterable[Sequence[Any]], raw_columns: Sequence[int] = ()) -> str:
    """A table; cells are escaped except those at `raw_columns`, which must already be safe markup."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{cell if i in raw_columns else esc(cell)}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f'<table class="fs-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def pill_html(label: str) -> str:
    """A small coloured REAL / FAKE / REJECTED tag."""
    return f'<span class="fs-pill fs-{esc(label.lower())}">{esc(label)}</span>'


def tiles_html(tiles: Iterable[tuple[str, str]]) -> str:
    """A row of headline numbers: (caption, value) pairs."""
    body = "".join(
        f'<div class="fs-tile"><div class="fs-tile-value">{esc(value)}</div>'
        f'<div class="fs-muted">{esc(caption)}</div></div>'
        for caption, value in tiles
    )
    return f'<div class="fs-tiles">{body}</div>'


def summary_html(lines: Iterable[str]) -> str:
    """A bulleted list of sentences."""
    items = "".join(f"<li>{esc(line)}</li>" for line in lines)
    return f'<ul class="fs-summary">{items}</ul>'


def file_size_text(size: int | None) -> str:
    if size is None:
        return "–"
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.2f} MB"


def _metric_text(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
