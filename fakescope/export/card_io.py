"""Write a model card into an ONNX model, sealed with the hash of its graph.

Example:
    >>> model_bytes = seal_model(onnx_model, card)
    >>> Path("model.onnx").write_bytes(model_bytes)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakescope.runtime.card import ModelCard
from fakescope.runtime.integrity import graph_sha256
from fakescope.runtime.spec import CARD_METADATA_KEY

if TYPE_CHECKING:
    import onnx


def seal_model(model: onnx.ModelProto, card: ModelCard) -> bytes:
    """Serialize `model` with `card` (its `graph_sha256` filled in) as the only fakescope metadata entry."""
    import onnx

    sealed = onnx.ModelProto()
    sealed.CopyFrom(model)
    kept = [p for p in sealed.metadata_props if p.key != CARD_METADATA_KEY]
    del sealed.metadata_props[:]
    sealed.metadata_props.extend(kept)
    digest = graph_sha256(sealed.SerializeToString())
    onnx.helper.set_model_props(
        sealed, {**{p.key: p.value for p in kept}, CARD_METADATA_KEY: card.with_hash(digest).to_json()}
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
