"""The out-of-distribution score the export adds to the graph: a class-conditional Gaussian on the pooled
features (the GAP output) with one shared covariance, fitted on the training split.

ood_score(x) = min over classes c of (f(x) - mu_c)^T P (f(x) - mu_c), the squared Mahalanobis distance to the
nearest class mean, with P the inverse of the Ledoit-Wolf shrunk covariance of the class-centred features.
In the graph it is ||f L - mu_c L||^2 with P = L L^T (Cholesky): one MatMul and a few element-wise ops.

Example:
    >>> stats = fit_gaussian(features, labels)
    >>> ood_scores(features[:2], stats).round(1)
    array([12.3, 40.8])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

QUANTILE = 0.99
"""The OOD threshold is this quantile of held-out in-distribution scores."""


@dataclass(frozen=True)
class GaussianStats:
    """Class means (2, K), the shared precision matrix P (K, K) and its Cholesky factor L (P = L L^T)."""

    means: np.ndarray
    precision: np.ndarray
    cholesky: np.ndarray
    n: int

    @property
    def features(self) -> int:
        return int(self.means.shape[1])


def fit_gaussian(features: np.ndarray, labels: np.ndarray) -> GaussianStats:
    """Class means and the Ledoit-Wolf shared covariance of `features` (N, K) with 0/1 `labels`.

    Raises:
        ValueError: a class is missing or the shapes do not match.
    """
    from sklearn.covariance import LedoitWolf

    x = np.asarray(features, np.float64)
    y = np.asarray(labels).reshape(-1)
    if x.ndim != 2 or len(x) != len(y) or not all((y == c).any() for c in (0, 1)):
        raise ValueError(f"need (N, K) features and N labels of both classes. Received: {x.shape}, {y.shape}")
    means = np.stack([x[y == c].mean(axis=0) for c in (0, 1)])
    centred = x - means[y.astype(int)]
    precision = LedoitWolf(assume_centered=True).fit(centred).precision_
    precision = (precision + precision.T) / 2.0
    return GaussianStats(means, precision, np.linalg.cholesky(precision), len(x))


def ood_scores(features: np.ndarray, stats: GaussianStats) -> np.ndarray:
    """ood_score of each row of `features` (N, K), in numpy (float64)."""
    x = np.asarray(features, np.float64)
    distances = [np.einsum("nk,kl,nl->n", x - mu, stats.precision, x - mu) for mu in stats.means]
    return np.min(np.stack(distances, axis=1), axis=1)


def ood_threshold(scores: np.ndarray, quantile: float = QUANTILE) -> float:
    """The `quantile` of held-out in-distribution scores (the higher order statistic)."""
    return float(np.quantile(np.asarray(scores, np.float64), quantile, method="higher"))


def ood_graph(gap: Any, stats: GaussianStats) -> Any:
    """The TensorFlow ops computing ood_score (N,) from the pooled features `gap` (N, K), float32."""
    import tensorflow as tf

    chol = tf.constant(stats.cholesky.astype(np.float32))
    whitened_means = tf.constant((stats.means @ stats.cholesky).astype(np.float32))  # (2, K)
    whitened = tf.matmul(gap, chol)  # (N, K)
    distances = tf.reduce_sum(tf.square(whitened[:, None, :] - whitened_means[None, :, :]), axis=-1)
    return tf.reduce_min(distances, axis=1)


def gap_features(model, batch: np.ndarray, chunk: int = 64) -> np.ndarray:
    """The Keras model's pooled features (its `gap` layer output) on a float32 input batch, (N, K)."""
    import keras

    from fakescope.export.spec import HEAD_LAYERS

    pooled = keras.Model(model.inputs[0], model.get_layer(HEAD_LAYERS[0]).output)
    parts = [np.asarray(pooled(batch[i : i + chunk], training=False)) for i in range(0, len(batch), chunk)]
    return np.concatenate(parts).astype(np.float64)
