"""The dashboards' look: one style sheet scoped to `.fs-app`, injected once per top-level widget.

Example:
    >>> app = ipw.VBox([style_sheet(), ...])
    >>> app.add_class(APP_CLASS)
"""

from __future__ import annotations

import ipywidgets as ipw

from fakescope.report.style import CLASS_COLORS, FONT_FAMILY

APP_CLASS = "fs-app"

_VARIABLES = (
    f".fs-app {{ --fs-real: {CLASS_COLORS['REAL']}; --fs-fake: {CLASS_COLORS['FAKE']}; "
    f"font-family: {FONT_FAMILY}; }}"
)

_RULES = """
.fs-app { --fs-ink: #1f2933; --fs-muted: #616e7c; --fs-line: #e4e7eb; --fs-soft: #f5f7fa;
  --fs-accent: #3b5bdb; color: var(--fs-ink); max-width: 1280px; }
.fs-app .widget-html-content { line-height: 1.45; }
.fs-app .fs-row { gap: 10px; }
.fs-app .fs-header { background: linear-gradient(120deg, #1f2a44 0%, #34497a 100%); color: #fff;
  border-radius: 12px; padding: 16px 22px; margin: 0 0 12px 0; }
.fs-app .fs-header h1 { margin: 0; font-size: 24px; font-weight: 750; color: #fff; letter-spacing: .2px; }
.fs-app .fs-header p { margin: 4px 0 0 0; font-size: 14px; opacity: .85; }
.fs-app .fs-panel { background: #fff; border: 1px solid var(--fs-line); border-radius: 12px;
  padding: 10px 14px; box-shadow: 0 1px 2px rgba(31, 41, 51, .06); }
.fs-app .fs-sidebar { background: var(--fs-soft); border: 1px solid var(--fs-line); border-radius: 12px;
  padding: 10px 12px; }
.fs-app .fs-title { font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .7px;
  color: var(--fs-muted); margin: 6px 0 4px 0; }
.fs-app .fs-card-title { font-weight: 700; font-size: 15px; overflow-wrap: anywhere; }
.fs-app .fs-muted { color: var(--fs-muted); font-size: 12px; }
.fs-app .fs-verdict { border-radius: 10px; padding: 10px 16px; color: #fff; }
.fs-app .fs-verdict.fs-real { background: var(--fs-real); }
.fs-app .fs-verdict.fs-fake { background: var(--fs-fake); }
.fs-app .fs-verdict.fs-unsure { background: #b9770e; }
.fs-app .fs-verdict .fs-reasons { margin: 4px 0 0 0; padding-left: 18px; font-size: 13px; }
.fs-app .fs-pill.fs-unsure { background: #b9770e; }
.fs-app .fs-verdict .fs-label { font-size: 28px; font-weight: 800; letter-spacing: 1.5px; line-height: 1.2; }
.fs-app .fs-verdict .fs-sub { font-size: 13px; opacity: .92; }
.fs-app .fs-probs { display: flex; gap: 18px; margin: 10px 0 2px 0; font-size: 13px; color: var(--fs-muted); }
.fs-app .fs-probs b { font-size: 18px; color: var(--fs-ink); }
.fs-app .fs-meter { position: relative; height: 14px; border-radius: 7px; background: #e9edf2;
  margin: 24px 0 4px 0; }
.fs-app .fs-meter-fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 7px; }
.fs-app .fs-meter-mark { position: absolute; top: -6px; bottom: -6px; width: 3px; margin-left: -1.5px;
  background: var(--fs-ink); border-radius: 2px; }
.fs-app .fs-meter-mark span { position: absolute; top: -19px; left: 1px;
  font-size: 11px; white-space: nowrap; color: var(--fs-ink); }
.fs-app .fs-meter-scale { display: flex; justify-content: space-between; font-size: 11px;
  color: var(--fs-muted); }
.fs-app table.fs-table { border-collapse: collapse; font-size: 12.5px; width: 100%; }
.fs-app table.fs-table th { text-align: left; color: var(--fs-muted); font-weight: 600;
  border-bottom: 2px solid var(--fs-line); padding: 3px 8px; }
.fs-app table.fs-table td { border-bottom: 1px solid var(--fs-line); padding: 3px 8px;
  overflow-wrap: anywhere; }
.fs-app table.fs-kv td:first-child { color: var(--fs-muted); width: 40%; word-break: normal; }
.fs-app .fs-pill { display: inline-block; border-radius: 9px; padding: 0 8px; color: #fff; font-size: 11px;
  font-weight: 700; }
.fs-app .fs-pill.fs-real { background: var(--fs-real); }
.fs-app .fs-pill.fs-fake { background: var(--fs-fake); }
.fs-app .fs-pill.fs-rejected { background: #7b8794; }
.fs-app .fs-face-real { color: var(--fs-real); }
.fs-app .fs-face-fake { color: var(--fs-fake); }
.fs-app .fs-caption { text-align: center; font-size: 12px; color: var(--fs-muted); margin-top: 2px; }
.fs-app .fs-image img, .fs-app img.fs-image { border-radius: 8px; image-rendering: auto; }
.fs-app .fs-error { background: #fdecea; border-left: 4px solid var(--fs-fake); border-radius: 6px;
  padding: 6px 10px; margin: 3px 0; font-size: 13px; overflow-wrap: anywhere; }
.fs-app .fs-note { background: #eef2ff; border-left: 4px solid var(--fs-accent); border-radius: 6px;
  padding: 6px 10px; margin: 3px 0; font-size: 13px; }
.fs-app .fs-warn { background: #fff8e6; border-left: 4px solid #e8a317; border-radius: 6px;
  padding: 6px 10px; margin: 3px 0; font-size: 12.5px; }
.fs-app .fs-download { display: inline-block; margin-top: 6px; padding: 4px 12px; border-radius: 6px;
  border: 1px solid var(--fs-accent); color: var(--fs-accent); text-decoration: none; font-size: 13px; }
.fs-app .fs-summary { margin: 4px 0; padding-left: 20px; font-size: 13.5px; }
.fs-app .fs-summary li { margin: 3px 0; }
.fs-app .fs-tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 4px 0 8px 0; }
.fs-app .fs-tile { background: #fff; border: 1px solid var(--fs-line); border-radius: 10px; padding: 8px 14px;
  min-width: 110px; }
.fs-app .fs-tile-value { font-size: 22px; font-weight: 750; }
.fs-app .fs-thumb { font-size: 12px; text-align: center; width: 150px; line-height: 1.6; }
.fs-app .fs-thumb-name { font-weight: 700; overflow-wrap: anywhere; }
.fs-app .fs-scroll { max-height: 320px; overflow-y: auto; }
.fs-app .fs-hrow { display: grid; grid-template-columns: 48px 64px minmax(0, 2fr) 84px 60px minmax(0, 1.4fr)
  minmax(0, 2fr); gap: 8px; font-size: 12.5px; border-bottom: 1px solid var(--fs-line); padding: 3px 8px; }
.fs-app .fs-hrow span { overflow-wrap: anywhere; }
.fs-app .fs-hrow.fs-hhead { color: var(--fs-muted); font-weight: 600;
  border-bottom: 2px solid var(--fs-line); }
.fs-app .fs-history .widget-html, .fs-app .fs-history .widget-html-content { margin: 0; height: auto; }
"""

CSS = _VARIABLES + _RULES


def style_sheet() -> ipw.HTML:
    """An HTML widget holding the style sheet; place it first in the top-level widget."""
    return ipw.HTML(f"<style>{CSS}</style>", layout=ipw.Layout(height="0px", margin="0px"))


def styled(widget: ipw.DOMWidget, *classes: str) -> ipw.DOMWidget:
    """`widget` with the CSS `classes` added; returns it for inline use."""
    for name in classes:
        widget.add_class(name)
    return widget
