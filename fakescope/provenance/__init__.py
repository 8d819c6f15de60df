"""C2PA Content Credentials for `Prediction.provenance`, through c2pa-python (the `provenance` extra).

The runtime reads XMP, EXIF and PNG text on its own and says "C2PA not checked"; pass a `C2paChecker` to the
`Detector` to validate manifests too. Validation is offline: remote manifests, OCSP and every other network
fetch are off, and a signer is trusted only when it chains to the PEM trust anchors you give.

Example:
    >>> from fakescope.runtime import Detector
    >>> detector = Detector(c2pa=C2paChecker(trust_anchors=None))
    >>> detector.c2pa
    C2paChecker(offline, trusting no signer)
"""

from fakescope.provenance.c2pa_check import (
    C2paChecker,
    C2paTrustError,
    checker_if_installed,
    read_trust_anchors,
)

__all__ = ["C2paChecker", "C2paTrustError", "checker_if_installed", "read_trust_anchors"]
