"""Write a model card into an ONNX model, sealed with the hash of its graph and card (`runtime.seal`).

Example:
    >>> model_bytes = seal_model(onnx_model, card)
    >>> Path("model.onnx").write_bytes(model_bytes)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakescope.runtime.card import ModelCard
from fakescope.runtime.integrity import graph_sha256
from fakescope.runtime.seal import SEAL_METADATA_KEY, SIGNATURE_METADATA_KEY, seal_value
from fakescope.runtime.spec import CARD_METADATA_KEY

if TYPE_CHECKING:
    import onnx


def seal_model(model: onnx.ModelProto, card: ModelCard) -> bytes:
    """Serialize `model` with `card` (its `graph_sha256` filled in) and the seal over both.

    Any earlier card, seal or signature entry is replaced (a signature does not survive re-sealing).
    """
    import onnx

    sealed = onnx.ModelProto()
    sealed.CopyFrom(model)
    ours = (CARD_METADATA_KEY, SEAL_METADATA_KEY, SIGNATURE_METADATA_KEY)
    kept = [p for p in sealed.metadata_props if p.key not in ours]
    del sealed.metadata_props[:]
    sealed.metadata_props.extend(kept)
    digest = graph_sha256(sealed.SerializeToString())
    text = card.with_hash(digest).to_json()
    onnx.helper.set_model_props(
        sealed,
        {
            **{p.key: p.value for p in kept},
            CARD_METADATA_KEY: text,
            SEAL_METADATA_KEY: seal_value(digest, text),
        },
    )
    data = sealed.SerializeToString()
    if graph_sha256(data) != digest:
        raise RuntimeError("graph hash changed while writing the model card")
    return data


def read_card(model: onnx.ModelProto) -> ModelCard:
    """The card stored in an ONNX model (not verified against the graph)."""
    for prop in model.metadata_props:
        if prop.key == CARD_METADATA_KEY:
            return ModelCard.from_json(prop.value)
    raise KeyError("the model has no fakescope model card")
