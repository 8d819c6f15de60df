"""Sign a sealed model: an Ed25519 signature over its seal message, stored as one metadata entry.

The entry (`SIGNATURE_METADATA_KEY`) is JSON: {"algorithm": "ed25519", "key_id": ..., "signature": base64}.
It is appended to the file's bytes, so the graph, the card and the seal are untouched, and the seal message
it signs covers both graph and card.

Example:
    >>> import tempfile
    >>> from fakescope.runtime.models import default_model_path
    >>> from fakescope.signing import generate_keypair, load_private_key
    >>> private, _ = generate_keypair(Path(tempfile.mkdtemp()) / "publisher")
    >>> signed = sign_model_bytes(default_model_path().read_bytes(), load_private_key(private))
    >>> open_sealed(signed, "signed").signed
    True
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fakescope.runtime.errors import ModelError, ModelSignatureError
from fakescope.runtime.files import read_regular_file
from fakescope.runtime.integrity import metadata_field, without_metadata
from fakescope.runtime.seal import SIGNATURE_METADATA_KEY, open_sealed
from fakescope.signing.keys import SigningError, key_id

ALGORITHM = "ed25519"
_MAX_MODEL_BYTES = 512 * 1024 * 1024


def sign_model_bytes(model_bytes: bytes, private_key: Ed25519PrivateKey, label: str = "model") -> bytes:
    """The model's bytes with a signature over its seal (any earlier signature replaced).

    Raises:
        ModelError: the model is not a sealed fakescope model (its seal is checked before signing).
    """
    sealed = open_sealed(model_bytes, label)
    entry = json.dumps(
        {
            "algorithm": ALGORITHM,
            "key_id": key_id(private_key.public_key()),
            "signature": base64.b64encode(private_key.sign(sealed.message)).decode("ascii"),
        },
        sort_keys=True,
    )
    unsigned = without_metadata(model_bytes, {SIGNATURE_METADATA_KEY})
    return unsigned + metadata_field(SIGNATURE_METADATA_KEY, entry)


def sign_model_file(path: str | os.PathLike, private_key: Ed25519PrivateKey) -> str:
    """Sign the model file in place (written to a temporary file, then renamed); returns the key id."""
    path = Path(path)
    try:
        data = read_regular_file(path, _MAX_MODEL_BYTES)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot read model {path}: {getattr(err, 'strerror', None) or err}") from None
    signed = sign_model_bytes(data, private_key, str(path))
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(signed)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as err:
        raise SigningError(f"cannot write the signed model {path}: {err.strerror or err}") from None
    return key_id(private_key.public_key())


def read_signature(entry: str) -> tuple[str, bytes]:
    """(key id, raw signature) of a signature entry.

    Raises:
        ModelSignatureError: not the JSON this package writes, or another algorithm.
    """
    try:
        data = json.loads(entry)
        algorithm, signer, encoded = data["algorithm"], data["key_id"], data["signature"]
        raw = base64.b64decode(encoded, validate=True)
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise ModelSignatureError("the model's signature entry is malformed") from None
    if algorithm != ALGORITHM:
        raise ModelSignatureError(f"the model is signed with {str(algorithm)[:20]!r}, not {ALGORITHM}")
    if not isinstance(signer, str) or len(raw) != 64:
        raise ModelSignatureError("the model's signature entry is malformed")
    return signer, raw
