"""Helpers shared by the CLI commands: loading a detector with a one-line error."""

from __future__ import annotations

import click

from fakescope.runtime import Detector, ModelError


def load_detector(model: str | None, threads: int | None = None) -> Detector:
    """A `Detector`, or a one-line `Error: ...` and exit status 1 when the model cannot be used."""
    try:
        return Detector(model, threads=threads)
    except (ModelError, ValueError) as err:
        raise click.ClickException(str(err)) from None


model_option = click.option(
    "--model",
    "-m",
    type=click.Path(dir_okay=False),
    default=None,
    help="ONNX model (default: the bundled one).",
)
