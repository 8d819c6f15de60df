"""The seal of an exported model: one sha256 over its graph and its card, checked at every load, and the
optional signature over the same bytes.

    seal = sha256("fakescope-seal-v1\\n" + graph_sha256 + "\\n" + the card's JSON text, byte for byte)

`graph_sha256` covers every top-level field of the ONNX file except `metadata_props` (graph, weights,
opsets); the card text is hashed exactly as stored, so every card field, present or future, is covered. Both
live in `metadata_props`: the card under `CARD_METADATA_KEY`, the seal under `SEAL_METADATA_KEY`, a signature
(written by `fakescope.signing`) under `SIGNATURE_METADATA_KEY`.

The seal proves the file is what an export wrote, as far as anyone who can run `fakescope export` could
have written it: it stops accidental damage and edits by tools that do not know it, not a deliberate forger,
who can recompute it. Only a signature checked against a key you trust (`Detector(trust=...)`) says who
exported the model.

Example:
    >>> from fakescope.runtime.models import default_model_path
    >>> sealed = open_sealed(default_model_path().read_bytes(), "the bundled model")
    >>> sealed.card.name, sealed.signed, sealed.seal == seal_value(sealed.graph_sha256, sealed.card_text)
    ('fakescope-demo', False, True)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from fakescope.runtime.card import ModelCard
from fakescope.runtime.errors import ModelCardError, ModelError, ModelSealError, ModelSignatureError
from fakescope.runtime.integrity import ProtobufError, graph_sha256, metadata_entries
from fakescope.runtime.sessions import refuse_external_data
from fakescope.runtime.spec import CARD_METADATA_KEY

SEAL_METADATA_KEY = "fakescope.seal"
SIGNATURE_METADATA_KEY = "fakescope.signature"
SEAL_VERSION = "fakescope-seal-v1"
_OURS = (CARD_METADATA_KEY, SEAL_METADATA_KEY, SIGNATURE_METADATA_KEY)


@runtime_checkable
class ModelVerifier(Protocol):
    """Checks a model's signature; `fakescope.signing.TrustedKeys` is one (Ed25519)."""

    def verify(self, message: bytes, signature: str) -> None:
        """Return if `signature` (the stored entry's text) signs `message`, else raise ModelSignatureError."""


@dataclass(frozen=True)
class SealedModel:
    """A model whose graph and card match their seal; `signature` is the stored entry, not yet checked."""

    card: ModelCard
    graph_sha256: str
    seal: str
    card_text: str = field(repr=False)
    signature: str | None = field(default=None, repr=False)

    @property
    def message(self) -> bytes:
        """The bytes the seal hashes and a signature signs."""
        return seal_message(self.graph_sha256, self.card_text)

    @property
    def signed(self) -> bool:
        return self.signature is not None

    def __repr__(self) -> str:
        signed = "signed" if self.signed else "unsigned"
        return f"SealedModel({self.card.name!r} v{self.card.version}, {self.seal[:19]}…, {signed})"


def seal_message(graph_digest: str, card_text: str) -> bytes:
    """What the seal hashes: the seal version, the graph hash and the card text."""
    return f"{SEAL_VERSION}\n{graph_digest}\n".encode() + card_text.encode("utf-8")


def seal_value(graph_digest: str, card_text: str) -> str:
    """The seal entry's value: "sha256:" and the hex digest of `seal_message`."""
    return "sha256:" + hashlib.sha256(seal_message(graph_digest, card_text)).hexdigest()


def open_sealed(model_bytes: bytes, label: str) -> SealedModel:
    """Check a serialized model before any session is built: its data, its seal and its card.

    Args:
        model_bytes: the whole ONNX file.
        label: how messages name the model (its path).

    Raises:
        ModelError: the bytes are not a well-formed ONNX protobuf, or a tensor's data is outside the file.
        ModelSealError: the seal is missing or does not match the graph and card (either was changed).
        ModelCardError: no card, the card is repeated, or a card value is out of range.
    """
    refuse_external_data(model_bytes, label)
    try:
        entries = metadata_entries(model_bytes)
        digest = graph_sha256(model_bytes)
    except ProtobufError as err:
        raise ModelError(f"{label} is not a well-formed ONNX file: {err}") from None
    ours: dict[str, str] = {}
    for key, value in entries:
        if key in _OURS and key in ours:
            raise ModelCardError(f"{label} holds two {key!r} entries")
        ours[key] = value
    card_text = ours.get(CARD_METADATA_KEY)
    if card_text is None:
        raise ModelCardError(f"{label} has no fakescope model card; export it with `fakescope export`")
    seal = ours.get(SEAL_METADATA_KEY)
    if seal is None:
        raise ModelSealError(
            f"{label} has no seal over its graph and card (exported by an older fakescope?); re-export it"
        )
    if seal != seal_value(digest, card_text):
        raise ModelSealError(
            f"{label} was modified after export: its graph or card does not match the seal "
            f"(graph sha256 {digest[:12]}…)"
        )
    card = ModelCard.from_json(card_text)
    if card.graph_sha256 != digest:
        raise ModelSealError(
            f"{label} was modified after export: graph sha256 {digest[:12]}… does not match the card's "
            f"{card.graph_sha256[:12]}…"
        )
    return SealedModel(card, digest, seal, card_text, ours.get(SIGNATURE_METADATA_KEY))


def check_signature(sealed: SealedModel, trust: ModelVerifier, label: str) -> None:
    """Raise `ModelSignatureError` unless `sealed` carries a signature that `trust` accepts."""
    if not isinstance(trust, ModelVerifier):
        raise TypeError(
            "`trust` must have a verify(message, signature) method, e.g. "
            f"fakescope.signing.TrustedKeys.from_file(path). Received: {type(trust).__name__}"
        )
    if sealed.signature is None:
        raise ModelSignatureError(f"{label} is not signed, and a signature was asked for")
    trust.verify(sealed.message, sealed.signature)
