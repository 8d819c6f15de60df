"""`fakescope keygen STEM`: make an Ed25519 key pair for signing exported models.

Example:
    $ fakescope keygen publisher          # publisher.key (keep it secret), publisher.pub (share it)
    $ fakescope export run/best_model.keras --out model.onnx --sign publisher.key
    $ fakescope info model.onnx --trust publisher.pub
"""

from __future__ import annotations

import click

from fakescope.extras import require_extra


@click.command()
@click.argument("stem", type=click.Path(dir_okay=False))
def keygen(stem: str) -> None:
    """Write a new Ed25519 key pair: STEM.key (private, mode 600) and STEM.pub (public)."""
    with require_extra("signing"):
        from fakescope.signing import SigningError, TrustedKeys, generate_keypair
    try:
        private, public = generate_keypair(stem)
        (key,) = TrustedKeys.from_file(public).key_ids
    except SigningError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"wrote {private} (private: keep it secret) and {public} (public: share it); key id {key}")
