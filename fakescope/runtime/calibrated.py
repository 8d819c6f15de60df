"""Calibrated P(fake) from the model's logit: temperature scaling, applied before any threshold.

Example:
    >>> calibrated_prob(np.array([0.0, 4.0]), temperature=2.0).round(3)
    array([0.5  , 0.881])
"""

from __future__ import annotations

import numpy as np


def calibrated_prob(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """sigmoid(logit / temperature) as float64, computed without overflow for any logit."""
    if not temperature > 0:
        raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature}")
    scaled = np.asarray(logits, dtype=np.float64) / float(temperature)
    # exp of a non-positive number only: 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0.
    exp = np.exp(-np.abs(scaled))
    return np.where(scaled >= 0, 1.0 / (1.0 + exp), exp / (1.0 + exp))
