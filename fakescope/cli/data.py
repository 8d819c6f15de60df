"""`fakescope data demo OUT_DIR`: build the offline demo dataset.

Example:
    $ fakescope data demo data/demo --n-fake 500
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def data() -> None:
    """Datasets: build the offline demo set."""


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
    try:
        from tqdm import tqdm

        from fakescope.data.demo import DemoConfig, build_demo
        from fakescope.runtime.errors import FakescopeError

        config = DemoConfig(n_fake=n_fake, first_seed=first_seed, split_seed=split_seed)
    except ModuleNotFoundError as err:
        raise click.ClickException(
            f"{err.name} is missing; install the data extra: pip install 'fakescope[data]'"
        ) from None
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
