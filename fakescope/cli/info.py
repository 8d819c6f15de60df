"""`fakescope info [MODEL | IMAGE]`: print a model's verified card, or an image's provenance record.

Example:
    $ fakescope info models/fakescope-demo.onnx --json
    $ fakescope info photo.jpg
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from fakescope.cli.common import c2pa_trust_option, load_detector, trust_option
from fakescope.runtime.card_trust import trust_lines
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.images import SUPPORTED_EXTENSIONS


@click.command()
@click.argument("model", required=False, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the card (or the provenance) as JSON.")
@c2pa_trust_option
@trust_option
def info(model: str | None, as_json: bool, c2pa_trust: str | None, trust: tuple[str, ...]) -> None:
    """Print the model card of MODEL (default: the bundled model) after verifying it, or, for an image
    file, everything its metadata declares about its origin (XMP, EXIF, PNG text, C2PA)."""
    if model and Path(model).suffix.lower() in SUPPORTED_EXTENSIONS:
        from fakescope.cli.image_info import print_provenance

        print_provenance(model, as_json, c2pa_trust)
        return
    detector = load_detector(model, trust=trust)
    card = detector.card
    if as_json:
        click.echo(card.to_json())
        return
    click.echo(f"{card.name} {card.version}  ({detector.model_path})")
    rows = {
        "architecture": card.architecture,
        "precision": card.precision,
        "input": f"{card.input_width}x{card.input_height}x3 {'greyscale' if card.greyscale else 'RGB'}, "
        f"values {list(card.value_range)}, {card.crop} crop, {card.resize_filter} resize",
        "classes": f"{', '.join(card.class_names)} ({card.label_convention})",
        "face front-end": _face_front_end(card.face_crop),
        "threshold": card.threshold,
        "cam layer": card.cam_layer,
        "created": card.created,
        "metrics": json.dumps(card.metrics) if card.metrics else "-",
        **trust_lines(card),
        "training data": card.training_data or "-",
        "intended use": card.intended_use or "-",
        "limitations": card.limitations or "-",
        "versions": ", ".join(f"{k} {v}" for k, v in card.versions.items()) or "-",
        "graph sha256": card.graph_sha256,
        "seal": f"{detector.sealed.seal} (graph and card, verified)",
        "signature": _signature(detector.sealed.signature, trust),
    }
    width = max(map(len, rows))
    for key, value in rows.items():
        click.echo(f"  {key.ljust(width)}  {value}")


def _signature(entry: str | None, trust: tuple[str, ...]) -> str:
    if entry is None:
        return "none"
    try:
        signer = json.loads(entry).get("key_id", "?")
    except (ValueError, AttributeError):
        signer = "?"
    if trust:
        return f"ed25519 key {signer}, verified against {', '.join(trust)}"
    return f"by key {signer}, not checked (pass --trust KEY.pub)"


def _face_front_end(face_crop: FaceCrop) -> str:
    if not face_crop.enabled:
        return "none (the centre crop of the whole image)"
    aligned = ", eyes levelled" if face_crop.align else ""
    return f"BlazeFace: each face cropped with a margin of {face_crop.margin}{aligned}"
