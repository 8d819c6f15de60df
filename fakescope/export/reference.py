"""The Keras reference the exported graph must reproduce, with Grad-CAM computed independently by autodiff.

The reference CAM uses no knowledge of the head: the gradient of the logit with respect to the feature map
A (tf.GradientTape), averaged over positions into channel weights α_k, then ReLU(Σ_k α_k A_k). For the
contract's head this equals the graph's ReLU(Σ_k w_k A_k) / (h w), which is what validation proves.

Example:
    >>> ref = keras_reference(model, batch)
    >>> ref["prob_fake"].shape, ref["cam"].shape
    ((8, 1), (8, 5, 5))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fakescope.export.ood import GaussianStats, gap_features, ood_scores
from fakescope.export.spec import DEFAULT_SPEC, ExportSpec
from fakescope.runtime.spec import OUTPUT_CAM, OUTPUT_LOGIT, OUTPUT_OOD, OUTPUT_PROB

if TYPE_CHECKING:
    import keras


def keras_reference(
    model: keras.Model,
    batch: np.ndarray,
    spec: ExportSpec = DEFAULT_SPEC,
    chunk: int = 16,
    ood: GaussianStats | None = None,
) -> dict[str, np.ndarray]:
    """prob_fake (N, 1) from the model itself, its logit (N, 1) and the GradientTape Grad-CAM (N, h, w); with
    `ood`, ood_score (N,) computed in numpy from the model's pooled features."""
    import keras
    import tensorflow as tf

    logit_layer = model.get_layer(spec.head_layers[2])
    grad_model = keras.Model(model.inputs[0], [model.get_layer(spec.cam_layer).output, logit_layer.output])
    probs, logits, cams = [], [], []
    for start in range(0, len(batch), chunk):
        x = tf.convert_to_tensor(batch[start : start + chunk], tf.float32)
        probs.append(np.asarray(model(x, training=False)))
        with tf.GradientTape() as tape:
            features, logit = grad_model(x, training=False)
        # A non-scalar target is summed; each logit depends on its own image only, so this is every image's.
        grads = tape.gradient(logit, features)
        alpha = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cams.append(np.asarray(tf.nn.relu(tf.reduce_sum(alpha * features, axis=-1))))
        logits.append(np.asarray(logit))
    reference = {
        OUTPUT_PROB: np.concatenate(probs),
        OUTPUT_LOGIT: np.concatenate(logits),
        OUTPUT_CAM: np.concatenate(cams),
    }
    if ood is not None:
        reference[OUTPUT_OOD] = ood_scores(gap_features(model, batch), ood)
    return reference
