"""Check that a Keras model has the head the exact in-graph CAMs need, and expose its parts.

For last_conv (A, shape (N, h, w, K)) → GlobalAveragePooling2D → Dropout → Dense(1) (kernel w, bias b,
linear) → sigmoid, the logit is y = b + Σ_k w_k ā_k with ā_k = mean_ij A_k^ij (dropout is the identity at
inference), so its gradient g_k^ij = ∂y/∂A_k^ij = w_k / (h w) is the same at every position. Each method's
definition then has a closed form in A and w, and the graph needs no gradient op:

- Grad-CAM (Selvaraju et al. 2017): α_k = mean_ij g_k^ij = w_k / (h w), map ReLU(Σ_k w_k A_k) / (h w).
  HiResCAM (ReLU(Σ_k g_k ⊙ A_k)) and XGrad-CAM (α_k = Σ_ij g_k^ij A_k^ij / Σ_ij A_k^ij) give the same map,
  because g_k is constant over positions.
- LayerCAM (Jiang et al. 2021), the positive-evidence map: ReLU(Σ_k ReLU(g_k^ij) A_k^ij) =
  ReLU(Σ_k max(w_k, 0) A_k) / (h w): only the channels that push towards FAKE.
- Grad-CAM++ (Chattopadhyay et al. 2018), with the exponential score whose higher derivatives are powers of
  g: α_k^ij = g² / (2 g² + Σ_ab A_k^ab g³) = 1 / (2 + w_k ā_k) where g ≠ 0, and channel weights
  Σ_ij α_k^ij ReLU(g_k^ij) = max(w_k, 0) / (2 + w_k ā_k): the map ReLU(Σ_k v_k A_k) with those v_k, per
  image. (pytorch-grad-cam adds 1e-7 to the denominator; with this head's small g that would bias α, so the
  exact form is used.)
- Ablation-CAM (Desai & Ramaswamy 2020): zeroing channel k lowers the logit by exactly y - y_k = w_k ā_k, so
  no extra forward pass is needed; the map is ReLU(Σ_k (y - y_k) A_k) / (h w). The paper divides the weights
  by y: a positive per-image factor when y > 0, which normalisation removes; when y < 0 it would flip the map
  to the REAL side, which `cam_realcam` shows instead, so the map always explains the FAKE logit.
- The evidence for REAL: Grad-CAM of -y, ReLU(-Σ_k w_k A_k) / (h w).

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
    gap: Any
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
    return Head(input_shape[1:], feature_shape[1:], features, gap, logit, prob)


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
