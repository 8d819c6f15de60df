"""Write an EDA report: the table, one self-contained HTML page, and PNGs when kaleido can render offline.

The HTML embeds plotly.js once (no CDN), so it opens on a machine without internet.

Example:
    >>> report = write_report(collect_stats("data/demo"), "out/eda")
    >>> report.html.name, report.png_note
    ('report.html', 'kaleido is not installed: wrote the HTML report only, no PNGs')
"""

from __future__ import annotations

import html
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from fakescope.eda.figures import all_figures, summary
from fakescope.eda.table import write_table

TABLE_NAME = "eda.parquet"
HTML_NAME = "report.html"


@dataclass(frozen=True)
class Report:
    """Files written by `write_report`; `png_note` says why no PNGs were written ("" when they were)."""

    table: Path
    html: Path
    pngs: tuple[Path, ...]
    png_note: str
    summary: tuple[str, ...]


def write_report(table: pd.DataFrame, out_dir: str | os.PathLike, *, title: str = "fakescope EDA") -> Report:
    """Write `eda.parquet` (or .csv), `report.html` and, if kaleido works, a PNG per figure into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table_file = write_table(table, out / TABLE_NAME)
    figures = all_figures(table)
    lines = summary(table)
    html_file = out / HTML_NAME
    html_file.write_text(render_html(figures, lines, title), encoding="utf-8")
    pngs, note = _write_pngs(figures, out)
    return Report(table_file, html_file, pngs, note, tuple(lines))


def render_html(figures: dict[str, go.Figure], lines: list[str], title: str) -> str:
    """One HTML page: the summary as a list, then every figure; plotly.js inlined once, before the first."""
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=i == 0, default_width="100%")
        for i, fig in enumerate(figures.values())
    ]
    items = "\n".join(f"<li>{html.escape(line)}</li>" for line in lines)
    body = "\n".join(
        f'<section id="{name}">{part}</section>' for name, part in zip(figures, parts, strict=True)
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto;padding:1em}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n<h2>Summary</h2>\n<ul>\n{items}\n</ul>\n{body}\n</body></html>\n"
    )


def _write_pngs(figures: dict[str, go.Figure], out: Path) -> tuple[tuple[Path, ...], str]:
    if importlib.util.find_spec("kaleido") is None:
        return (), "kaleido is not installed: wrote the HTML report only, no PNGs"
    written = []
    for name, fig in figures.items():
        path = out / f"{name}.png"
        try:
            fig.write_image(path)
        except Exception as err:  # kaleido needs a browser; offline or headless it may not start
            message = " ".join(str(err).split())[:200]
            return tuple(written), f"kaleido could not render offline ({message}): PNGs skipped, HTML written"
        written.append(path)
    return tuple(written), ""
