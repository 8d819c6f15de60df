"""The `fakescope` command: a thin layer over the library.

Each sub-command lives in its own module and imports heavy packages (tensorflow, voila, pandas, ...) only
inside its function body, so `fakescope predict` starts as fast as the runtime.

Example:
    $ fakescope predict face.jpg --format json
"""

from __future__ import annotations

import importlib
import warnings

import click

from fakescope import __version__
from fakescope.extras import MissingExtraError

# (module, command attribute) pairs; modules that are missing are skipped so partial installs still work.
_COMMANDS = (
    ("fakescope.cli.predict", "predict"),
    ("fakescope.cli.explain", "explain"),
    ("fakescope.cli.scan", "scan"),
    ("fakescope.cli.report", "report"),
    ("fakescope.cli.info", "info"),
    ("fakescope.cli.keygen", "keygen"),
    ("fakescope.cli.data", "data"),
    ("fakescope.cli.train", "train"),
    ("fakescope.cli.train", "evaluate"),
    ("fakescope.cli.export", "export"),
    ("fakescope.cli.eda", "eda"),
    ("fakescope.cli.dashboard", "dashboard"),
    ("fakescope.cli.faces", "faces"),
    ("fakescope.cli.watch", "watch"),
)


class _Commands(click.Group):
    """Ends a command whose optional package is missing with one line naming the extra (`require_extra`)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MissingExtraError as err:
            raise click.ClickException(str(err)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fakescope")
def cli() -> None:
    """fakescope: deepfake-image detection with Grad-CAM explanations."""
    # Soft fallbacks (no ImageNet weights offline, skipped files, ...) read as one line, no source excerpt.
    warnings.formatwarning = _one_line_warning


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def _register() -> None:
    for module_name, attribute in _COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                continue
            raise
        cli.add_command(getattr(module, attribute))


# Pillow warns about odd but decodable files (e.g. TIFF tags past the end); the CLI reports errors, not noise.
warnings.filterwarnings("ignore", category=UserWarning, module="PIL")
_register()
