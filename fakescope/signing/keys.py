"""Ed25519 keys: make a pair, load the private one to sign, trust public ones to verify.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> private, public = generate_keypair(Path(tempfile.mkdtemp()) / "publisher")
    >>> private.name, public.name, len(TrustedKeys.from_file(public).key_ids[0])
    ('publisher.key', 'publisher.pub', 16)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fakescope.runtime.errors import FakescopeError, ModelSignatureError

MAX_KEY_BYTES = 16 * 1024


class SigningError(FakescopeError, ValueError):
    """A key cannot be made, read or used for signing."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the sha256 of the raw public key: how a signature names its key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(stem: str | os.PathLike) -> tuple[Path, Path]:
    """Write a new key pair: `STEM.key` (private, PKCS#8 PEM, readable by you only) and `STEM.pub`.

    Raises:
        SigningError: `stem` names no file (empty, or a folder such as "keys/"), either file exists already
            (a key is never overwritten) or cannot be written.
    """
    text = os.fspath(stem)
    if not text.strip() or text.endswith(("/", os.sep)) or Path(text).name in ("", ".", ".."):
        raise SigningError(f"the key pair needs a file name to start from (e.g. publisher); got {text!r}")
    private_path, public_path = Path(f"{text}.key"), Path(f"{text}.pub")
    for path in (private_path, public_path):
        if path.exists():
            raise SigningError(f"{path} exists already; keys are never overwritten")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(private_pem)
        public_path.write_bytes(public_pem)
    except OSError as err:
        raise SigningError(f"cannot write the key pair {stem}: {err.strerror or err}") from None
    return private_path, public_path


def load_private_key(path: str | os.PathLike) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file (unencrypted PKCS#8, as `generate_keypair` writes).

    Raises:
        SigningError: unreadable, not PEM, encrypted, or not an Ed25519 key.
    """
    data = _read_key(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (TypeError, ValueError) as err:
        raise SigningError(f"{path} is not an unencrypted PEM private key ({_first_line(err)})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is a {type(key).__name__}, not an Ed25519 key")
    return key


class TrustedKeys:
    """Ed25519 public keys you trust; a model passes when any of them signed it (a `ModelVerifier`).

    Args:
        keys: the public keys. At least one.
    """

    def __init__(self, keys: Sequence[Ed25519PublicKey]) -> None:
        if not keys or not all(isinstance(k, Ed25519PublicKey) for k in keys):
            raise SigningError("TrustedKeys needs at least one Ed25519 public key")
        self._keys = {key_id(k): k for k in keys}

    @classmethod
    def from_file(cls, *paths: str | os.PathLike) -> TrustedKeys:
        """Trust the public keys in these PEM files (as `generate_keypair` writes `STEM.pub`)."""
        keys = []
        for path in paths:
            try:
                key = serialization.load_pem_public_key(_read_key(path))
            except (TypeError, ValueError) as err:
                raise SigningError(f"{path} is not a PEM public key ({_first_line(err)})") from None
            if not isinstance(key, Ed25519PublicKey):
                raise SigningError(f"{path} is a {type(key).__name__}, not an Ed25519 key")
            keys.append(key)
        return cls(keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def verify(self, message: bytes, signature: str) -> None:
        """Return if `signature` (a model's signature entry) signs `message` with a trusted key.

        Raises:
            ModelSignatureError: malformed, by another key, or not matching the message.
        """
        from fakescope.signing.sign import read_signature

        signer, raw = read_signature(signature)
        key = self._keys.get(signer)
        if key is None:
            raise ModelSignatureError(
                f"signed by key {signer}, which is not trusted (trusted: {', '.join(self._keys)})"
            )
        try:
            key.verify(raw, message)
        except InvalidSignature:
            raise ModelSignatureError(
                f"the signature by key {signer} does not match: the graph or card changed after signing"
            ) from None

    def __repr__(self) -> str:
        return f"TrustedKeys(ed25519 {', '.join(self._keys)})"


def _read_key(path: str | os.PathLike) -> bytes:
    from fakescope.runtime.files import read_regular_file

    try:
        return read_regular_file(path, MAX_KEY_BYTES)
    except (OSError, ValueError) as err:
        raise SigningError(f"cannot read key {path}: {getattr(err, 'strerror', None) or err}") from None


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:120] if text else type(err).__name__
