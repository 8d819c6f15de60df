"""`fakescope data demo OUT_DIR`: build the offline demo dataset.

Example:
    $ fakescope data demo data/demo --n-fake 500
"""

from __future__ import annotations

from pathlib import Path

import click

from fakescope.extras import require_extra


@click.group()
def data() -> None:
    """Datasets: build the offline demo set, extract face crops from videos."""


@data.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--n-fake", default=500, show_default=True, type=click.IntRange(min=5), help="Generated faces.")
@click.option(
    "--first-seed", default=0, show_default=True, type=click.IntRange(min=0), help="First latent seed."
)
@click.option("--split-seed", default=1337, show_default=True, help="Seed of the stratified split.")
@click.option("--cache", type=click.Path(file_okay=False, path_type=Path), help="Wheel cache folder.")
@click.option(
    "--wheel",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Use this random_face-2021.7.21.1 wheel instead of downloading it with pip.",
)
@click.option("--overwrite", is_flag=True, help="Replace a dataset already in OUT_DIR.")
def demo(
    out_dir: Path,
    n_fake: int,
    first_seed: int,
    split_seed: int,
    cache: Path | None,
    wheel: Path | None,
    overwrite: bool,
) -> None:
    """Build the real-vs-fake demo face set in OUT_DIR (LFW crops vs MobileStyleGAN faces)."""
    with require_extra("data"):
        from tqdm import tqdm

        from fakescope.data.demo import DemoConfig, build_demo
        from fakescope.runtime.errors import FakescopeError
    try:
        config = DemoConfig(n_fake=n_fake, first_seed=first_seed, split_seed=split_seed)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None
    with tqdm(total=n_fake, desc="generating faces", unit="face") as bar:
        try:
            report = build_demo(
                out_dir,
                config,
                cache=cache,
                wheel=wheel,
                overwrite=overwrite,
                progress=lambda done, total: bar.update(done - bar.n),
            )
        except (FakescopeError, FileExistsError, RuntimeError) as err:
            raise click.ClickException(str(err)) from None
    for split, counts in report.counts.items():
        click.echo(f"{split:5s}  real {counts['real']:4d}  fake {counts['fake']:4d}")
    click.echo(report.shortcut.summary())
    click.echo(
        f"built {out_dir} in {report.seconds['total']:.0f} s (README.md, manifest.csv, build_report.json)"
    )


@data.command()
@click.argument("videos", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--frames", default=8, show_default=True, type=click.IntRange(min=1), help="Frames per video.")
@click.option("--margin", default=0.3, show_default=True, type=click.FloatRange(min=0), help="Face margin.")
@click.option("--size", type=click.IntRange(min=8), default=None, help="Resize crops to SIZE x SIZE.")
@click.option("--split-seed", default=1337, show_default=True, help="Seed of the per-video split.")
@click.option("--overwrite", is_flag=True, help="Write into a non-empty OUT_DIR.")
def frames(
    videos: Path,
    out_dir: Path,
    frames: int,
    margin: float,
    size: int | None,
    split_seed: int,
    overwrite: bool,
) -> None:
    """Extract face crops from VIDEOS/real and VIDEOS/fake into OUT_DIR/{train,valid,test}/{real,fake}.

    The split is made per video, so frames of one clip never land in two splits; OUT_DIR/manifest.csv maps
    each crop to its video and OUT_DIR/skipped.csv lists the videos that could not be read.
    """
    from tqdm import tqdm

    from fakescope.runtime.errors import FakescopeError
    from fakescope.video.dataset import extract_faces

    with tqdm(desc="videos", unit="video", disable=None) as bar:
        try:
            report = extract_faces(
                videos,
                out_dir,
                frames_per_video=frames,
                margin=margin,
                size=size,
                seed=split_seed,
                overwrite=overwrite,
                progress=lambda done, total: (setattr(bar, "total", total), bar.update(done - bar.n)),
            )
        except (FakescopeError, FileNotFoundError, FileExistsError) as err:
            raise click.ClickException(str(err)) from None
    for split in report.crops:
        v, c = report.videos[split], report.crops[split]
        click.echo(
            f"{split:5s}  real {v['real']:4d} videos {c['real']:6d} crops  fake {v['fake']:4d} videos "
            f"{c['fake']:6d} crops"
        )
    for _video, error in report.skipped:
        click.echo(f"skipped: {error}", err=True)
    click.echo(f"wrote {out_dir} (manifest.csv, skipped.csv)")


@data.command("carve-calibration")
@click.argument("data_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--fraction", default=0.2, show_default=True, type=click.FloatRange(0, 1, min_open=True, max_open=True)
)
@click.option("--seed", default=0, show_default=True, type=int)
def carve_calibration_command(data_dir: Path, out_dir: Path, fraction: float, seed: int) -> None:
    """Link a calibration set out of DATA_DIR's train split: OUT_DIR/fit to train on, OUT_DIR/calibration
    for `fakescope export --calibration`."""
    from fakescope.data.calibration_split import carve_calibration

    try:
        counts = carve_calibration(data_dir, out_dir, fraction=fraction, seed=seed)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    for part, per_class in counts.items():
        click.echo(f"{out_dir / part}: {per_class['real']} real, {per_class['fake']} fake training images")
