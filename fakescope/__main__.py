"""`python -m fakescope` runs the command line, like the `fakescope` script."""

from fakescope.cli.main import cli

if __name__ == "__main__":
    cli()
