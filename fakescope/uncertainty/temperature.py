"""Temperature scaling: the one number T that makes sigmoid(logit / T) honest, fitted by minimising log loss.

Example:
    >>> fit_temperature(np.array([0, 1, 1, 0]), np.array([-9.0, 8.0, -7.0, 6.0]))   # overconfident logits
    7.9
"""

from __future__ import annotations

import numpy as np

LOG_T_BOUNDS = (-4.0, 4.0)
"""log(T) is searched in this range: T from 0.018 to 55."""


def log_loss_of_logits(labels, logits, temperature: float = 1.0) -> float:
    """Mean binary log loss of sigmoid(logit / T) against 0/1 labels, from the logits (no clipping)."""
    y, z = _check(labels, logits)
    scaled = z / float(temperature)
    # -log sigmoid(s) = log(1 + e^-s) for fakes, -log(1 - sigmoid(s)) = log(1 + e^s) for reals.
    return float(np.mean(np.where(y == 1, np.logaddexp(0.0, -scaled), np.logaddexp(0.0, scaled))))


def fit_temperature(labels, logits) -> float:
    """The temperature T > 0 minimising the log loss of sigmoid(logit / T) on a calibration split.

    Args:
        labels: 0/1 (real = 0, fake = 1).
        logits: the model's logits, same length.

    Raises:
        ValueError: empty input, length mismatch, labels not 0/1 or not both present, non-finite logits.
    """
    from scipy.optimize import minimize_scalar

    y, z = _check(labels, logits)
    if len(np.unique(y)) < 2:
        raise ValueError("temperature scaling needs both classes in the calibration split")
    found = minimize_scalar(
        lambda log_t: log_loss_of_logits(y, z, float(np.exp(log_t))),
        bounds=LOG_T_BOUNDS,
        method="bounded",
        options={"xatol": 1e-6},
    )
    return float(np.exp(found.x))


def _check(labels, logits) -> tuple[np.ndarray, np.ndarray]:
    y, z = np.asarray(labels).reshape(-1), np.asarray(logits, dtype=np.float64).reshape(-1)
    if len(y) == 0 or len(y) != len(z):
        raise ValueError(f"need as many labels as logits, at least one. Received: {len(y)} and {len(z)}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (real) or 1 (fake)")
    if not np.isfinite(z).all():
        raise ValueError("logits must be finite")
    return y.astype(int), z
