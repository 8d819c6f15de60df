"""ROAD's noisy linear imputation (Rong et al. 2022) in numpy: removed pixels become their neighbours' mean.

Each removed pixel's value is the weighted mean of its 8 neighbours (edge neighbours 1/6, corner ones 1/12),
removed neighbours included, which is one sparse symmetric linear system per image; it is solved with
conjugate gradients on the pixel grid (no scipy in the runtime). Gaussian noise is then added to the imputed
pixels, so the removal leaks neither the mask's shape (the imputation is smooth) nor its values.

Example:
    >>> tensor = np.random.default_rng(0).random((32, 32, 3))
    >>> removed = np.zeros((32, 32), bool); removed[8:16, 8:16] = True
    >>> imputed = impute(tensor, removed, noise=0.01, rng=np.random.default_rng(0))
    >>> imputed.shape, bool(np.all(imputed[~removed] == tensor[~removed].astype(np.float32)))
    ((32, 32, 3), True)
"""

from __future__ import annotations

import numpy as np

NEIGHBOURS = (
    ((-1, -1), 1 / 12),
    ((-1, 0), 1 / 6),
    ((-1, 1), 1 / 12),
    ((0, -1), 1 / 6),
    ((0, 1), 1 / 6),
    ((1, -1), 1 / 12),
    ((1, 0), 1 / 6),
    ((1, 1), 1 / 12),
)
"""(row, column) offset and weight of each neighbour, as in the ROAD paper's reference code."""

NOISE = 0.01
"""Standard deviation of the noise added to imputed pixels, in units of the input's value span."""


def impute(
    image: np.ndarray,
    removed: np.ndarray,
    noise: float = NOISE,
    rng: np.random.Generator | None = None,
    tol: float = 1e-4,
) -> np.ndarray:
    """`image` (H, W, C) with the `removed` (H, W) pixels replaced by their noisy linear imputation.

    Args:
        image: float (H, W, C).
        removed: bool (H, W), True where a pixel is removed; at least one pixel must be kept.
        noise: standard deviation of the added Gaussian noise (0 for none). Channels that are equal
            everywhere (greyscale replicated to RGB) get the same noise. Defaults to `NOISE`.
        rng: noise generator. Defaults to `np.random.default_rng(0)`.
        tol: relative residual at which the conjugate gradients stop (far below the noise). Defaults to 1e-4.

    Returns:
        float32 (H, W, C).
    """
    image = np.asarray(image, dtype=np.float64)
    removed = np.asarray(removed, dtype=bool)
    if image.ndim != 3 or removed.shape != image.shape[:2]:
        raise ValueError(
            f"`image` must be (H, W, C) and `removed` (H, W). Received: {image.shape}, {removed.shape}"
        )
    if removed.all():
        raise ValueError("cannot impute an image with every pixel removed")
    out = image.copy()
    if not removed.any():
        return out.astype(np.float32)
    mask = removed[..., None].astype(np.float64)
    kept = image * (1.0 - mask)
    diagonal = _neighbour_sum(np.ones_like(mask)) * mask  # Σ w over neighbours inside the image
    rhs = _neighbour_sum(kept) * mask

    def apply(x: np.ndarray) -> np.ndarray:
        return (diagonal * x - _neighbour_sum(x)) * mask

    start = _pull_push(kept, 1.0 - mask) * mask
    x = _conjugate_gradients(apply, rhs, start, tol, max_iter=4 * max(image.shape[:2]) + 50)
    if noise > 0:
        rng = rng or np.random.default_rng(0)
        equal = image.shape[2] > 1 and np.all(image == image[..., :1])
        shape = (*image.shape[:2], 1 if equal else image.shape[2])
        x = x + noise * rng.standard_normal(shape) * mask
    out[removed] = x[removed]
    return out.astype(np.float32)


def _pull_push(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A smooth fill of the zero-weight pixels from an image pyramid: the solver's starting point."""
    if min(values.shape[:2]) <= 1 or weights.all():
        return np.where(weights > 0, values / np.maximum(weights, 1e-12), values)
    height, width = values.shape[:2]
    pad = ((0, height % 2), (0, width % 2), (0, 0))
    v, w = np.pad(values * weights, pad), np.pad(weights, pad)
    pooled_v = v[0::2, 0::2] + v[1::2, 0::2] + v[0::2, 1::2] + v[1::2, 1::2]
    pooled_w = w[0::2, 0::2] + w[1::2, 0::2] + w[0::2, 1::2] + w[1::2, 1::2]
    means = np.divide(pooled_v, pooled_w, out=np.zeros_like(pooled_v), where=pooled_w > 0)
    coarse = _pull_push(means, np.minimum(pooled_w, 1.0))
    up = np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1)[:height, :width]
    return np.where(weights > 0, values, up)


def _neighbour_sum(x: np.ndarray) -> np.ndarray:
    """Σ_offsets w · x shifted by the offset, with zeros outside the image."""
    height, width = x.shape[:2]
    padded = np.pad(x, ((1, 1), (1, 1), (0, 0)))
    total = np.zeros_like(x)
    for (dy, dx), weight in NEIGHBOURS:
        total += weight * padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
    return total


def _conjugate_gradients(apply, rhs: np.ndarray, start: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """Solve apply(x) = rhs for each channel at once (the operator is symmetric positive definite)."""
    axes = (0, 1)
    x = start.copy()
    residual = rhs - apply(x)
    direction = residual.copy()
    power = (residual * residual).sum(axis=axes)
    target = (tol**2) * np.maximum((rhs * rhs).sum(axis=axes), 1e-30)
    for _ in range(max_iter):
        if np.all(power <= target):
            break
        product = apply(direction)
        curvature = (direction * product).sum(axis=axes)
        step = np.divide(power, curvature, out=np.zeros_like(power), where=curvature > 0)
        x += step * direction
        residual -= step * product
        new_power = (residual * residual).sum(axis=axes)
        direction = (
            residual + np.divide(new_power, power, out=np.zeros_like(power), where=power > 0) * direction
        )
        power = new_power
    return x
