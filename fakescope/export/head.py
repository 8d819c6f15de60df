"""Check that a Keras model has the head the exact in-graph Grad-CAM needs, and expose its parts.

For last_conv (A, shape (N, h, w, K)) → GlobalAveragePooling2D → Dropout → Dense(1) (kernel w, linear) →
sigmoid, the gradient of the logit with respect to A is w_k / (h w) at every position (dropout is the
identity at inference), so Grad-CAM is exactly ReLU(Σ_k w_k A_k) / (h w): no gradient op in the graph.

Example:
    >>> head = check_head(model)
    >>> head.feature_shape, head.kernel.shape
    ((5, 5, 1280), (1280, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fakescope.export.errors import UnsupportedHeadError
from fakescope.export.spec import DEFAULT_SPEC, ExportSpec

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Head:
    """The checked parts of a model: its input size, feature map A and logit layer."""

    input_shape: tuple[int, int, int]
    feature_shape: tuple[int, int, int]
    features: Any
    logit: Any
    prob: Any

    @property
    def kernel(self) -> np.ndarray:
        """The logit layer's Dense kernel w, float32 (K, 1)."""
        return np.asarray(self.logit.kernel, dtype=np.float32)


def check_head(model: keras.Model, spec: ExportSpec = DEFAULT_SPEC) -> Head:
    """The model's head, or `UnsupportedHeadError` naming the first thing that differs from the contract.

    Raises:
        UnsupportedHeadError: not a functional model with one (N, H, W, 3) float32 input and the head
            last_conv → gap (GlobalAveragePooling2D) → dropout (Dropout) → logit (Dense(1), linear) →
            prob_fake (sigmoid) as its only output.
    """
    import keras

    if (
        not isinstance(model, keras.Model)
        or not hasattr(model, "operations")
        or isinstance(model, keras.Sequential)
    ):
        raise UnsupportedHeadError(f"expected a functional keras.Model; got {type(model).__name__}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedHeadError(
            f"expected 1 input and 1 output; got {len(model.inputs)} inputs and {len(model.outputs)} outputs"
        )
    input_shape = tuple(model.inputs[0].shape)
    if len(input_shape) != 4 or input_shape[3] != 3 or None in input_shape[1:]:
        raise UnsupportedHeadError(f"expected input shape (None, H, W, 3); got {input_shape}")
    if model.inputs[0].dtype != "float32":
        raise UnsupportedHeadError(f"expected a float32 image input; got {model.inputs[0].dtype}")
    names = (spec.cam_layer, *spec.head_layers)
    layers = {}
    for name in names:
        try:
            layers[name] = model.get_layer(name)
        except ValueError:
            raise UnsupportedHeadError(
                f"the model has no layer named {name!r}; the head must be {_chain(names)}"
            ) from None
    features, gap, dropout, logit, prob = (layers[n] for n in names)
    feature_shape = tuple(features.output.shape)
    if len(feature_shape) != 4 or None in feature_shape[1:]:
        raise UnsupportedHeadError(f"{spec.cam_layer!r} must output a 4-D feature map; got {feature_shape}")
    _expect(gap, keras.layers.GlobalAveragePooling2D, features, names)
    if gap.data_format != "channels_last" or gap.keepdims:
        raise UnsupportedHeadError(f"{gap.name!r} must pool channels_last without keepdims")
    _expect(dropout, keras.layers.Dropout, gap, names)
    _expect(logit, keras.layers.Dense, dropout, names)
    if logit.units != 1 or logit.activation is not keras.activations.linear:
        raise UnsupportedHeadError(f"{logit.name!r} must be Dense(1) with a linear activation")
    _expect(prob, keras.layers.Activation, logit, names)
    if prob.activation is not keras.activations.sigmoid:
        raise UnsupportedHeadError(f"{prob.name!r} must be a sigmoid activation")
    if model.outputs[0] is not prob.output:
        raise UnsupportedHeadError(f"the model's output must be the {prob.name!r} layer's output")
    dtypes = {layer.compute_dtype for layer in (features, logit, prob)}
    if dtypes != {"float32"}:
        raise UnsupportedHeadError(f"the head must compute in float32; got {sorted(dtypes)}")
    return Head(input_shape[1:], feature_shape[1:], features, logit, prob)


def _expect(layer: Any, kind: type, parent: Any, names: tuple[str, ...]) -> None:
    if not isinstance(layer, kind):
        raise UnsupportedHeadError(
            f"layer {layer.name!r} is a {type(layer).__name__}, expected {kind.__name__}; "
            f"the head must be {_chain(names)}"
        )
    if len(layer._inbound_nodes) != 1 or layer.input is not parent.output:
        raise UnsupportedHeadError(
            f"layer {layer.name!r} must be called once, on the output of {parent.name!r}; "
            f"the head must be {_chain(names)}"
        )


def _chain(names: tuple[str, ...]) -> str:
    return " → ".join(names)
