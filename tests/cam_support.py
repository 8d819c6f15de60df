"""Shared helpers of the CAM tests (no tests here): small trained models of every architecture, their ONNX
graphs, and the references computed from each method's definition with tf.GradientTape and Keras."""

from __future__ import annotations

import numpy as np

from fakescope.export.samples import generated_batch
from fakescope.runtime.preprocess import InputSpec

SIZES = {"small_cnn": 32, "mobilenet_v2": 64, "efficientnet_b0": 64}
EXPLAIN_ROW_KEYS = frozenset(
    {
        "path",
        "method",
        "prob_fake",
        "road_morf",
        "road_lerf",
        "road_combined",
        "deletion_auc",
        "insertion_auc",
        "error",
    }
)
"""The fields of one `fakescope explain` row (`Explanation.as_rows()`), as the CLI promises them."""


def patch_task(size: int, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images where "fake" ones carry a noisy square patch somewhere: evidence a CAM can localise."""
    rng = np.random.default_rng(seed)
    images = generated_batch(InputSpec(size, size), count, seed=seed)
    labels = (np.arange(count) % 2).astype(np.float32)
    side = size // 4
    for image, label in zip(images, labels, strict=True):
        if label:
            y, x = rng.integers(0, size - side, 2)
            image[y : y + side, x : x + side] = rng.random((side, side, 1))
    return images, labels


def trained_model(arch: str, steps: int = 12, seed: int = 0):
    """`build_model(arch)` trained for a few steps on `patch_task`, then its logit layer refitted.

    A few steps move every layer's weights away from their initialisation but leave the logits on one side
    of 0; `nontrivial_head` then sets the logit kernel so both classes' evidence shows in the maps.
    """
    import keras
    from support.export_runs import nontrivial_head

    from fakescope.train.models import build_model

    size = SIZES[arch]
    model = build_model(arch, size, seed=seed)
    images, labels = patch_task(size, 64, seed)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    for step in range(steps):
        chosen = np.arange(16 * step, 16 * step + 16) % len(images)
        model.train_on_batch(images[chosen], labels[chosen])
    nontrivial_head(model, images[:16])
    return model


def tape_parts(model, batch: np.ndarray):
    """(A, dy/dA, y) of the model's logit, in float64, from tf.GradientTape."""
    import keras
    import tensorflow as tf

    grad_model = keras.Model(
        model.inputs[0], [model.get_layer("last_conv").output, model.get_layer("logit").output]
    )
    x = tf.convert_to_tensor(batch, tf.float32)
    with tf.GradientTape() as tape:
        features, logit = grad_model(x, training=False)
    grads = tape.gradient(logit, features)
    return (
        np.asarray(features, np.float64),
        np.asarray(grads, np.float64),
        np.asarray(logit, np.float64)[:, 0],
    )


def ablation_drops(model, features: np.ndarray) -> np.ndarray:
    """(N, K): the logit minus the logit with channel k of A set to zero, through the model's own layers."""
    gap, dropout, logit = (model.get_layer(n) for n in ("gap", "dropout", "logit"))

    def head(a):
        return np.asarray(logit(dropout(gap(a.astype(np.float32)), training=False)), np.float64)[:, 0]

    n, _, _, channels = features.shape
    drops = np.empty((n, channels))
    for i in range(n):
        ablated = np.repeat(features[i : i + 1], channels, axis=0)
        ablated[np.arange(channels), :, :, np.arange(channels)] = 0.0
        drops[i] = head(features[i : i + 1]) - head(ablated)
    return drops


def by_max(maps: np.ndarray) -> np.ndarray:
    """Each map divided by its maximum (zero maps stay zero)."""
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape(-1, *([1] * (maps.ndim - 1)))
    return np.divide(maps, peak, out=np.zeros_like(maps, dtype=np.float64), where=peak > 0)
