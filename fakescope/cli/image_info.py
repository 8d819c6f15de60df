"""`fakescope info IMAGE`: print everything an image's metadata declares about its origin.

Example:
    $ fakescope info photo.jpg --json
"""

from __future__ import annotations

import json

import click

from fakescope.cli.common import c2pa_checker
from fakescope.runtime import InvalidImageError, load_image
from fakescope.runtime.provenance import Provenance

CAVEAT = (
    "One-sided evidence: a declaration is reported as found; no declaration means nothing (most platforms "
    "strip metadata). It never changes P(fake)."
)


def print_provenance(path: str, as_json: bool, c2pa_trust: str | None) -> None:
    """Print the provenance record of the image at `path` (a one-line error if it cannot be read)."""
    checker = c2pa_checker(c2pa_trust)
    try:
        image = load_image(path, c2pa=checker)
    except InvalidImageError as err:
        raise click.ClickException(str(err)) from None
    record = image.info.provenance
    if as_json:
        click.echo(json.dumps({"image": image.info.as_dict(), "provenance": record.as_dict()}, indent=2))
        return
    info = image.info
    click.echo(f"{info.name}  {info.width}x{info.height} {info.format}")
    rows = _rows(record)
    width = max(map(len, rows))
    for key, value in rows.items():
        click.echo(f"  {key.ljust(width)}  {value}")
    click.echo(CAVEAT)


def _rows(record: Provenance) -> dict[str, str]:
    c2pa = record.c2pa
    actions = ", ".join(f"{a.action} ({a.source_type})" if a.source_type else a.action for a in c2pa.actions)
    rows = {
        "provenance": record.summary,
        "declared": record.declared or "-",
        "source": record.source or "-",
        "generator": record.generator or "-",
        "digital source": record.source_type or "-",
        "C2PA": c2pa.text,
        "C2PA issuer": c2pa.issuer or "-",
        "C2PA actions": actions or "-",
        "C2PA failures": ", ".join(c2pa.failures) or "-",
    }
    if c2pa.remote_url:
        rows["C2PA remote"] = f"{c2pa.remote_url} (never fetched)"
    for key, value in record.raw:
        rows[key] = value
    for index, note in enumerate(record.notes, 1):
        rows[f"note {index}"] = note
    return rows
