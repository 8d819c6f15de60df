"""The provenance panel of a result card: what the file's own metadata declares, beside the verdict.

Four states, one colour each: green "camera", amber "declared AI", grey "no provenance data", red "manifest
invalid" (a C2PA manifest failed validation). The panel renders `Prediction.provenance`; it reads nothing.

Example:
    >>> panel = ProvenancePanel(Provenance(declared="camera", source="exif", generator="Canon EOS R5"))
    >>> panel.state
    'camera'
"""

from __future__ import annotations

import ipywidgets as ipw
import traitlets

from fakescope.runtime.provenance import Provenance
from fakescope.widgets.markup import esc

COLORS = {
    "camera": ("#2f9e44", "#ebfbee"),
    "declared AI": ("#e67700", "#fff9db"),
    "no provenance data": ("#868e96", "#f8f9fa"),
    "manifest invalid": ("#c92a2a", "#fff5f5"),
}
"""Border/label colour and background of each state."""

CAVEAT = "One-sided evidence: stripped metadata proves nothing, and it never changes P(fake)."
MAX_ROWS = 6


class ProvenancePanel(ipw.HTML):
    """A coloured box: the state, the summary line, the C2PA status and a few raw keys."""

    provenance = traitlets.Instance(Provenance, allow_none=True)

    def __init__(self, provenance: Provenance | None = None) -> None:
        super().__init__()
        self.add_class("fs-provenance")
        self.observe(self._on_provenance, "provenance")
        self.provenance = provenance
        self._on_provenance()

    @property
    def state(self) -> str:
        return self.provenance.panel if self.provenance else "no provenance data"

    def reset(self) -> None:
        self.provenance = None

    def _on_provenance(self, _change: dict | None = None) -> None:
        self.value = provenance_html(self.provenance)


def provenance_html(provenance: Provenance | None) -> str:
    """The panel's HTML for `provenance` (None: grey, no provenance data)."""
    record = provenance or Provenance()
    state = record.panel
    ink, background = COLORS[state]
    c2pa = record.c2pa
    lines = [record.summary, c2pa.text + (f" · issuer {c2pa.issuer}" if c2pa.issuer else "")]
    if c2pa.failures:
        lines.append("failures: " + ", ".join(c2pa.failures))
    lines += [f"{key}: {value}" for key, value in record.raw[:MAX_ROWS]]
    lines += list(record.notes[:2])
    body = "".join(f'<div style="overflow-wrap:anywhere">{esc(line)}</div>' for line in lines)
    return (
        f'<div class="fs-provenance-{state.replace(" ", "-")}" style="border-left:5px solid {ink};'
        f'background:{background};border-radius:8px;padding:6px 10px;margin:8px 0 0 0;font-size:12.5px">'
        f'<div style="font-weight:700;color:{ink};text-transform:uppercase;letter-spacing:.6px;'
        f'font-size:11.5px">Provenance · {esc(state)}</div>{body}'
        f'<div style="color:#616e7c;font-size:11px;margin-top:3px">{esc(CAVEAT)}</div></div>'
    )
