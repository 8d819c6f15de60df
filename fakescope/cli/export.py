"""`fakescope export MODEL.keras --out MODEL.onnx`: convert, validate, quantise and seal a trained model.

Example:
    $ fakescope export runs/demo/best_model.keras --out models/fakescope-demo.onnx --int8 --calib data/demo
"""

from __future__ import annotations

from pathlib import Path

import click

from fakescope.extras import require_extra


@click.command()
@click.argument("model", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The FP32 .onnx file."
)
@click.option("--opset", default=17, show_default=True, type=click.IntRange(13, 18), help="ONNX opset.")
@click.option("--int8", is_flag=True, help="Also write <out>-int8.onnx (static QDQ INT8); needs --calib.")
@click.option("--calib", type=click.Path(file_okay=False, path_type=Path), help="Calibration images folder.")
@click.option("--calib-images", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--fp16", is_flag=True, help="Also write <out>-fp16.onnx (float16 weights, float32 I/O).")
@click.option(
    "--metrics",
    type=click.Path(dir_okay=False, path_type=Path),
    help="metrics.json of the run (threshold, test metrics). Default: the one next to MODEL, if any.",
)
@click.option(
    "--images",
    type=click.Path(file_okay=False, path_type=Path),
    help="Validation images. Default: the test split of --calib, else generated images.",
)
@click.option("--name", help="Model card name. Default: the output file's stem.")
@click.option("--demo", is_flag=True, help="Describe the model as the bundled demo in its card.")
@click.option(
    "--face-crop",
    type=click.FloatRange(0.0, 2.0),
    default=None,
    help="Trained on face crops with this margin: the runtime finds and crops faces the same way.",
)
@click.option(
    "--sign",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Sign every written model with this Ed25519 private key (from `fakescope keygen`).",
)
@click.option(
    "--calibration",
    type=click.Path(file_okay=False, path_type=Path),
    help="Labelled images used neither for training nor for the threshold: adds the in-graph OOD score "
    "(fitted on --calib's train split) and calibrates each model (temperature, conformal, OOD threshold); "
    "then measures it on --calib's test split (intervals, ECE, selective prediction, robustness).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
    help="The card's default conformal error level.",
)
@click.option("--no-robustness", is_flag=True, help="With --calibration: skip the robustness re-scoring.")
def export(
    model: Path,
    out: Path,
    opset: int,
    int8: bool,
    calib: Path | None,
    calib_images: int,
    fp16: bool,
    metrics: Path | None,
    images: Path | None,
    name: str | None,
    demo: bool,
    face_crop: float | None,
    sign: Path | None,
    calibration: Path | None,
    alpha: float,
    no_robustness: bool,
) -> None:
    """Export MODEL (a .keras file) to ONNX with in-graph Grad-CAM, validated against Keras."""
    with require_extra("train"):
        from fakescope.export.card import DEFAULT_TEXT, DEMO_TEXT
        from fakescope.export.errors import ValidationError
        from fakescope.export.pipeline import export_model
        from fakescope.runtime.errors import FakescopeError
        from fakescope.runtime.face_crop import FaceCrop
    try:
        export_model(
            model,
            out,
            opset=opset,
            int8=int8,
            fp16=fp16,
            calib=calib,
            calib_images=calib_images,
            images=images,
            metrics=metrics,
            name=name,
            text=DEMO_TEXT if demo else DEFAULT_TEXT,
            face_crop=None if face_crop is None else FaceCrop(enabled=True, margin=face_crop),
            sign=sign,
            calibration=calibration,
            alpha=alpha,
            robustness=not no_robustness,
            echo=click.echo,
        )
    except ValidationError as err:
        first, _, table = str(err).partition("\n")
        click.echo(table, err=True)
        raise click.ClickException(f"{first.rstrip(':')} (the table above shows each output)") from None
    except FakescopeError as err:
        raise click.ClickException(str(err)) from None
