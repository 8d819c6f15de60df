"""Helpers shared by the CLI commands: loading a detector with a one-line error, the C2PA options."""

from __future__ import annotations

import click

from fakescope.extras import MissingExtraError, require_extra
from fakescope.runtime import Detector, ModelError


def load_detector(
    model: str | None,
    threads: int | None = None,
    *,
    c2pa: bool = False,
    c2pa_trust: str | None = None,
    trust: tuple[str, ...] = (),
    alpha: float | None = None,
    tta: bool = False,
) -> Detector:
    """A `Detector`, or a one-line `Error: ...` and exit status 1 when the model cannot be used.

    With `c2pa`, it validates C2PA manifests when the `provenance` extra is installed (trusting the signers
    of the PEM file `c2pa_trust`); without the extra, provenance says C2PA was not checked. With `trust`
    (public key files), the model must be signed by one of those keys (the `signing` extra).
    """
    checker = c2pa_checker(c2pa_trust) if c2pa else None
    verifier = trusted_keys(trust) if trust else None
    try:
        return Detector(model, threads=threads, c2pa=checker, trust=verifier, alpha=alpha, tta=tta)
    except (ModelError, ValueError) as err:
        raise click.ClickException(str(err)) from None


def trusted_keys(paths: tuple[str, ...]):
    """`fakescope.signing.TrustedKeys` of the public key files, with one-line errors."""
    with require_extra("signing"):
        from fakescope.signing import SigningError, TrustedKeys
    try:
        return TrustedKeys.from_file(*paths)
    except SigningError as err:
        raise click.BadParameter(str(err), param_hint="--trust") from None


trust_option = click.option(
    "--trust",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Public key (PEM) of a publisher you trust: the model must be signed by it. Repeatable.",
)


alpha_option = click.option(
    "--alpha",
    type=click.FloatRange(0.0, 1.0, min_open=True, max_open=True),
    default=None,
    help="Conformal error level: a prediction set with both labels or neither means UNSURE. "
    "Default: the model card's.",
)
tta_option = click.option(
    "--tta",
    is_flag=True,
    help="Also judge a JPEG-75, a half-size and a mirrored copy (one batch); disagreement means UNSURE.",
)

model_option = click.option(
    "--model",
    "-m",
    type=click.Path(dir_okay=False),
    default=None,
    help="ONNX model (default: the bundled one).",
)


def c2pa_checker(trust: str | None):
    """The offline C2PA checker of the `provenance` extra, or None when it is not installed."""
    from fakescope.provenance import C2paTrustError, checker_if_installed, read_trust_anchors

    try:
        checker = checker_if_installed(read_trust_anchors(trust) if trust else None)
    except C2paTrustError as err:
        raise click.BadParameter(str(err), param_hint="--c2pa-trust") from None
    if checker is None and trust:
        raise MissingExtraError("provenance", "c2pa-python (for --c2pa-trust)")
    return checker


c2pa_trust_option = click.option(
    "--c2pa-trust",
    type=click.Path(dir_okay=False),
    default=None,
    help="PEM root certificates whose C2PA signers are trusted (default: none; needs the provenance extra).",
)
