"""`fakescope dashboard`: serve the detector dashboard (or the explorer, or the model report) with Voila.

Example:
    $ fakescope dashboard --model models/fakescope-demo.onnx
    $ fakescope dashboard explore --data data/demo --data data/140k
"""

from __future__ import annotations

import click

from fakescope.extras import require_extra
from fakescope.widgets.limits import DEFAULT_IDLE_SECONDS


@click.command()
@click.argument("notebook", default="dashboard", metavar="[NOTEBOOK]")
@click.option("--port", type=click.IntRange(1, 65535), default=8866, show_default=True, help="TCP port.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; anything but localhost is public.",
)
@click.option("--model", "-m", type=click.Path(dir_okay=False), default=None, help="ONNX model to open.")
@click.option(
    "--data",
    type=click.Path(exists=True, file_okay=False),
    multiple=True,
    help="Dataset folder the explorer and the model report may read (with its subfolders); repeatable. "
    "They read nothing else.",
)
@click.option("--samples", type=click.Path(file_okay=False), default=None, help="Images for 'try a sample'.")
@click.option(
    "--pool-size",
    type=click.IntRange(0, 8),
    default=1,
    show_default=True,
    help="Pre-heated kernels (0: none).",
)
@click.option(
    "--max-kernels",
    type=click.IntRange(1, 256),
    default=8,
    show_default=True,
    help="Most page sessions (kernels) alive at once, pre-heated ones included.",
)
@click.option(
    "--idle-timeout",
    type=click.IntRange(10, 86_400),
    default=DEFAULT_IDLE_SECONDS,
    show_default=True,
    help="Seconds a page's kernel is kept without a connection (a closed tab) before it is shut down.",
)
@click.option(
    "--max-upload-mb",
    type=click.FloatRange(0.1, 100.0),
    default=10.0,
    show_default=True,
    help="Largest image file accepted, in MiB.",
)
def dashboard(
    notebook: str,
    port: int,
    host: str,
    model: str | None,
    data: tuple[str, ...],
    samples: str | None,
    pool_size: int,
    max_kernels: int,
    idle_timeout: int,
    max_upload_mb: float,
) -> None:
    """Serve a dashboard in the browser with Voila until Ctrl-C.

    NOTEBOOK is `dashboard` (the detector, default), `explore` (dataset statistics), `evaluate` (model
    report) or the path of a notebook.
    """
    from fakescope.widgets.notebooks import notebook_path
    from fakescope.widgets.serve import dashboard_env, is_local, serve, url_for

    with require_extra("widgets"):
        import voila  # noqa: F401
    try:
        path = notebook_path(notebook)
    except FileNotFoundError as err:
        raise click.ClickException(str(err)) from None
    if model is not None:
        from fakescope.cli.common import load_detector

        load_detector(model)
    if not is_local(host):
        click.echo(
            f"warning: binding to {host} makes the dashboard reachable from other machines, with no password",
            err=True,
        )
    if max_kernels <= pool_size:
        raise click.BadParameter(f"must exceed --pool-size ({pool_size})", param_hint="--max-kernels")
    click.echo(f"fakescope dashboard: serving {path.name} at {url_for(host, port)} (Ctrl-C to stop)")
    env = dashboard_env(model, data, samples, max_upload_mb)
    serve(
        path,
        port=port,
        host=host,
        pool_size=pool_size,
        max_kernels=max_kernels,
        idle_seconds=idle_timeout,
        env=env,
    )
    click.echo("fakescope dashboard: stopped")
