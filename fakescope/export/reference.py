"""The Keras reference the exported graph must reproduce, every map computed from its method's definition.

The references use no knowledge of the head. Grad-CAM, LayerCAM, Grad-CAM++ and the evidence for REAL take
the gradient g of the logit (of -logit for REAL) with respect to the feature map A from `tf.GradientTape`
and apply each paper's formula; Ablation-CAM zeroes each channel of A in turn and runs the model's own head
layers on it. For the contract's head these equal the graph's closed forms (`fakescope.export.head`), which is
what validation proves.

Example:
    >>> ref = keras_reference(model, batch)
    >>> ref["prob_fake"].shape, ref["cam"].shape, ref["features"].shape
    ((8, 1), (8, 5, 5), (8, 5, 5, 1280))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakescope.export.ood import GaussianStats, gap_features, ood_scores
from fakescope.export.spec import DEFAULT_SPEC, ExportSpec
from fakescope.runtime.spec import (
    OUTPUT_CAM,
    OUTPUT_CAM_ABLATION,
    OUTPUT_CAM_LAYER,
    OUTPUT_CAM_PLUSPLUS,
    OUTPUT_CAM_REAL,
    OUTPUT_FEATURES,
    OUTPUT_LOGIT,
    OUTPUT_OOD,
    OUTPUT_PROB,
)

if TYPE_CHECKING:
    import keras

ABLATION_CHUNK = 256
"""Ablated copies of one image's feature map run through the head at once."""


def keras_reference(
    model: keras.Model,
    batch: np.ndarray,
    spec: ExportSpec = DEFAULT_SPEC,
    chunk: int = 16,
    ood: GaussianStats | None = None,
) -> dict[str, np.ndarray]:
    """Every output the graph has, computed with Keras and autodiff: {name: array} in the spec's order;
    with `ood`, ood_score (N,) computed in numpy from the model's pooled features."""
    import keras
    import tensorflow as tf

    logit_layer = model.get_layer(spec.head_layers[2])
    grad_model = keras.Model(model.inputs[0], [model.get_layer(spec.cam_layer).output, logit_layer.output])
    head = _head_after_features(model, spec)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in spec.output_names if name != OUTPUT_OOD}
    for start in range(0, len(batch), chunk):
        x = tf.convert_to_tensor(batch[start : start + chunk], tf.float32)
        parts[OUTPUT_PROB].append(np.asarray(model(x, training=False)))
        with tf.GradientTape() as tape:
            features, logit = grad_model(x, training=False)
        # A non-scalar target is summed; each logit depends on its own image only, so this is every image's.
        grads = np.asarray(tape.gradient(logit, features), dtype=np.float64)
        a = np.asarray(features, dtype=np.float64)
        values = {OUTPUT_LOGIT: np.asarray(logit), OUTPUT_FEATURES: np.asarray(features)}
        for name, value in {**values, **_maps(set(parts), a, grads, head)}.items():
            if name in parts:  # only the outputs the spec names
                parts[name].append(value)
    reference = {name: np.concatenate(values).astype(np.float32) for name, values in parts.items()}
    if ood is not None:
        reference[OUTPUT_OOD] = ood_scores(gap_features(model, batch), ood)
    return reference


def _maps(names: set[str], a: np.ndarray, grads: np.ndarray, head) -> dict[str, np.ndarray]:
    """The CAM outputs among `names`, each from its method's definition."""
    methods = {
        OUTPUT_CAM: lambda: gradcam(a, grads),
        OUTPUT_CAM_REAL: lambda: gradcam(a, -grads),
        OUTPUT_CAM_LAYER: lambda: layercam(a, grads),
        OUTPUT_CAM_PLUSPLUS: lambda: gradcam_plusplus(a, grads),
        OUTPUT_CAM_ABLATION: lambda: ablationcam(a, head),
    }
    return {name: compute() for name, compute in methods.items() if name in names}


def gradcam(features: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """ReLU(Σ_k α_k A_k) with α_k the spatial mean of the gradient (Selvaraju et al. 2017)."""
    alpha = grads.mean(axis=(1, 2), keepdims=True)
    return np.maximum((alpha * features).sum(axis=-1), 0.0)


def layercam(features: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """ReLU(Σ_k ReLU(g_k) ⊙ A_k), position by position (Jiang et al. 2021)."""
    return np.maximum((np.maximum(grads, 0.0) * features).sum(axis=-1), 0.0)


def gradcam_plusplus(features: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM++ (Chattopadhyay et al. 2018) with the exponential score: α = g² / (2 g² + Σ A g³)."""
    g2, g3 = grads**2, grads**3
    sums = features.sum(axis=(1, 2), keepdims=True)
    denominator = 2.0 * g2 + sums * g3
    alpha = np.divide(g2, denominator, out=np.zeros_like(g2), where=(grads != 0) & (denominator != 0))
    weights = (alpha * np.maximum(grads, 0.0)).sum(axis=(1, 2), keepdims=True)
    return np.maximum((weights * features).sum(axis=-1), 0.0)


def ablationcam(features: np.ndarray, head) -> np.ndarray:
    """ReLU(Σ_k (y - y_k) A_k) / (h w), y_k the logit with channel k of A zeroed (Desai & Ramaswamy 2020).

    `head` maps feature maps (M, h, w, K) to logits (M,); each channel is actually ablated and run through it.
    """
    n, height, width, channels = features.shape
    drops = np.empty((n, channels))
    logits = head(features.astype(np.float32))
    for i in range(n):
        for start in range(0, channels, ABLATION_CHUNK):
            ks = np.arange(start, min(start + ABLATION_CHUNK, channels))
            ablated = np.repeat(features[i : i + 1], len(ks), axis=0)
            ablated[np.arange(len(ks)), :, :, ks] = 0.0
            drops[i, ks] = logits[i] - head(ablated.astype(np.float32))
    return np.maximum(np.einsum("nhwk,nk->nhw", features, drops), 0.0) / (height * width)


def _head_after_features(model: keras.Model, spec: ExportSpec):
    """The model's own layers after A (gap, dropout, logit), as a function from feature maps to logits."""
    gap, dropout, logit = (model.get_layer(name) for name in spec.head_layers[:3])

    def head(features: np.ndarray) -> np.ndarray:
        return np.asarray(logit(dropout(gap(features), training=False)), dtype=np.float64)[:, 0]

    return head
