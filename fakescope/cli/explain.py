"""`fakescope explain IMAGE...`: every CAM method's map of each image, and how faithful each map is.

Example:
    $ fakescope explain face.jpg --method gradcam --method layercam --out maps/ --format json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np
from PIL import Image

from fakescope.cli.common import load_detector, model_option
from fakescope.runtime import InvalidImageError
from fakescope.runtime.explain import Explanation, available_methods, method_names
from fakescope.runtime.explain.explainer import unavailable_line
from fakescope.runtime.explain.explanation import ROW_FIGURES

COLUMNS = ("path", "method", "prob_fake", *ROW_FIGURES, "error")
MAX_STEM = 100


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@model_option
@click.option(
    "--method",
    "methods",
    multiple=True,
    type=click.Choice(method_names()),
    help="A CAM method (repeatable). Default: every method the model can run.",
)
@click.option(
    "--out", type=click.Path(file_okay=False), default=None, help="Write overlay PNGs per method here."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--top-k", type=click.IntRange(min=1), default=32, show_default=True, help="Score-CAM channels."
)
@click.option("--threads", type=click.IntRange(min=1), default=None, help="onnxruntime intra-op threads.")
def explain(
    paths: tuple[str, ...],
    model: str | None,
    methods: tuple[str, ...],
    out: str | None,
    fmt: str,
    top_k: int,
    threads: int | None,
) -> None:
    """Explain each image with the CAM family and score each map's faithfulness (ROAD, deletion/insertion).

    Exit 0 if every image was explained, 2 if some were rejected.
    """
    detector = load_detector(model, threads)
    chosen = list(methods) or list(detector.cam_methods)
    missing = available_methods(detector.output_names)[1]
    if missing and not methods:
        click.echo(f"warning: {unavailable_line(missing)}", err=True)
    lacking = [m for m in chosen if m not in detector.cam_methods]
    if lacking:
        raise click.ClickException(
            f"{detector.model_path.name} cannot run {', '.join(lacking)}: re-export it"
        )
    rows, explained, rejected = [], [], False
    for path in paths:
        try:
            explanation = detector.explain(path, chosen, options={"scorecam": {"top_k": top_k}}, name=path)
        except InvalidImageError as err:
            rejected = True
            click.echo(f"rejected: {err}", err=True)
            rows += [_rejected_row(path, m, str(err)) for m in chosen]
            continue
        explained.append(explanation)
        rows += explanation.as_rows()
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(_table(rows))
    if out:
        _write_overlays(explained, Path(out))
    if rejected:
        sys.exit(2)


def _rejected_row(path: str, method: str, error: str) -> dict:
    return {"path": path, "method": method, "prob_fake": None, **dict.fromkeys(ROW_FIGURES), "error": error}


def _write_overlays(explanations: list[Explanation], folder: Path) -> None:
    """One PNG per image and method: the model's view beside the overlay, named after the input."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for index, explanation in enumerate(explanations):
            stem = Path(explanation.info.name or f"image{index}").stem[:MAX_STEM]
            for method in explanation.methods:
                picture = np.concatenate([explanation.view, explanation.overlay(method)], axis=1)
                name = method.replace("+", "p")
                Image.fromarray(picture).save(folder / f"{index:04d}_{stem}_{name}.png")
    except OSError as err:
        raise click.ClickException(f"cannot write overlays to {folder}: {err.strerror or err}") from None


def _table(rows: list[dict]) -> str:
    def cell(value) -> str:
        if value is None:
            return ""
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    cells = [[cell(row[c]) for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)
