"""How true a map is to the model: ROAD (Rong et al. 2022) and deletion/insertion AUC (Petsiuk et al. 2018).

Both remove pixels in the order the map ranks them and watch the score of the class the map explains
(P(fake), or P(real) for the evidence for REAL):

- ROAD: the p% most relevant pixels (MoRF) or least relevant (LeRF) are replaced by their noisy linear
  imputation (`imputation.impute`), at each percentile p. `road_morf` and `road_lerf` are the mean scores
  after removal (a faithful map: low MoRF, high LeRF); `road_combined` = mean((LeRF - MoRF) / 2), in
  [-0.5, 0.5], higher is more faithful.
- Deletion / insertion: the most relevant pixels first are set to black (deletion), or copied onto a blurred
  copy of the input (insertion), in `steps` equal steps; the AUC of the score against the fraction of pixels
  changed (trapezoid rule; deletion lower is better, insertion higher).

Every perturbed input of one map is scored in one call of `score`, which runs the model in batches.

Example:
    >>> import numpy as np
    >>> tensor = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    >>> cam = np.zeros((32, 32)); cam[:16] = 1.0            # attends to the top half
    >>> result = faithfulness(tensor, cam, lambda batch: batch[:, :16].mean(axis=(1, 2, 3)))  # a toy score
    >>> result.sentence()       # e.g. 'removing the 20% most-attended pixels moves P(fake) from 0.98 to ...'
    'removing the 20% most-attended pixels moves P(fake) from ...'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from fakescope.runtime.explain.imputation import NOISE, impute

PERCENTILES = (10, 20, 30, 40, 50, 60, 70, 80, 90)
"""The removal percentiles of ROAD, as in the paper's figures."""

STEPS = 16
"""Deletion and insertion steps (the curves have STEPS + 1 points)."""

Score = Callable[[np.ndarray], np.ndarray]
"""float32 (M, H, W, C) inputs -> (M,) probability of the class the map explains."""


@dataclass(frozen=True)
class Faithfulness:
    """The faithfulness figures of one map on one input (see the module docstring)."""

    target: str
    score: float
    percentiles: tuple[int, ...]
    morf: tuple[float, ...]
    lerf: tuple[float, ...]
    deletion: tuple[float, ...]
    insertion: tuple[float, ...]

    @property
    def road_morf(self) -> float:
        return float(np.mean(self.morf))

    @property
    def road_lerf(self) -> float:
        return float(np.mean(self.lerf))

    @property
    def road_combined(self) -> float:
        return float(np.mean((np.asarray(self.lerf) - np.asarray(self.morf)) / 2.0))

    @property
    def deletion_auc(self) -> float:
        return _auc(self.deletion)

    @property
    def insertion_auc(self) -> float:
        return _auc(self.insertion)

    def as_dict(self) -> dict[str, float]:
        """The five headline figures, rounded for JSON."""
        names = ("road_morf", "road_lerf", "road_combined", "deletion_auc", "insertion_auc")
        return {name: round(getattr(self, name), 6) for name in names}

    def sentence(self, percent: int = 20) -> str:
        """The ROAD result at `percent` in words (the nearest percentile measured)."""
        k = int(np.argmin(np.abs(np.asarray(self.percentiles) - percent)))
        p, label = self.percentiles[k], f"P({self.target.lower()})"
        return (
            f"removing the {p}% most-attended pixels moves {label} from {self.score:.2f} "
            f"to {self.morf[k]:.2f}; removing the {p}% least-attended moves it to {self.lerf[k]:.2f}"
        )

    def __repr__(self) -> str:
        return (
            f"Faithfulness(road={self.road_combined:+.3f}, morf={self.road_morf:.3f}, "
            f"lerf={self.road_lerf:.3f}, deletion={self.deletion_auc:.3f}, "
            f"insertion={self.insertion_auc:.3f})"
        )


def ranking(saliency: np.ndarray, seed: int = 0) -> np.ndarray:
    """Flat pixel indices of `saliency` (H, W), most relevant first; ties in a seeded random order."""
    values = np.asarray(saliency, dtype=np.float64).ravel()
    jitter = np.random.default_rng(seed).random(values.size)
    return np.lexsort((jitter, -values))


def road_inputs(
    image: np.ndarray, order: np.ndarray, percentiles: Sequence[int], noise: float, seed: int
) -> np.ndarray:
    """The MoRF inputs then the LeRF inputs, one per percentile: float32 (2 P, H, W, C)."""
    height, width = image.shape[:2]
    rng = np.random.default_rng(seed)
    inputs = []
    for most_first in (True, False):
        for p in percentiles:
            count = round(p / 100.0 * order.size)
            chosen = order[:count] if most_first else order[order.size - count :]
            removed = np.zeros(order.size, dtype=bool)
            removed[chosen] = True
            inputs.append(impute(image, removed.reshape(height, width), noise, rng))
    return np.stack(inputs)


def deletion_insertion_inputs(
    image: np.ndarray, order: np.ndarray, steps: int, baseline: float, blur_sigma: float | None = None
) -> np.ndarray:
    """The deletion inputs then the insertion inputs, `steps` + 1 each: float32 (2 (steps + 1), H, W, C)."""
    height, width, channels = image.shape
    flat = image.reshape(-1, channels)
    canvas = blur(image, blur_sigma if blur_sigma is not None else max(1.0, height / 45.0)).reshape(
        -1, channels
    )
    inputs = []
    for deleting in (True, False):
        for k in range(steps + 1):
            top = order[: round(k / steps * order.size)]
            out = flat.copy() if deleting else canvas.copy()
            out[top] = baseline if deleting else flat[top]
            inputs.append(out.reshape(height, width, channels))
    return np.stack(inputs).astype(np.float32)


def faithfulness(
    image: np.ndarray,
    saliency: np.ndarray,
    score: Score,
    *,
    target: str = "FAKE",
    percentiles: Sequence[int] = PERCENTILES,
    steps: int = STEPS,
    noise: float = NOISE,
    baseline: float = 0.0,
    seed: int = 0,
) -> Faithfulness:
    """ROAD and deletion/insertion of `saliency` (H, W) on `image` (H, W, C), scored in one call of `score`.

    Args:
        image: float (H, W, C), the model's input tensor.
        saliency: (H, W), higher = more relevant.
        score: the probability of `target` on a batch of inputs.
        target: the class the map explains, for the figures' wording. Defaults to "FAKE".
        percentiles: ROAD removal percentiles in (0, 100). Defaults to `PERCENTILES`.
        steps: deletion/insertion steps (>= 1). Defaults to `STEPS`.
        noise: imputation noise (absolute, in the input's units). Defaults to `NOISE`.
        baseline: the value deleted pixels get (black in the input's range). Defaults to 0.0.
        seed: seed of the tie order and the imputation noise. Defaults to 0.
    """
    image = np.asarray(image, dtype=np.float32)
    saliency = np.asarray(saliency)
    if image.ndim != 3 or saliency.shape != image.shape[:2]:
        raise ValueError(f"`saliency` {saliency.shape} must match `image` (H, W, C) {image.shape}")
    percentiles = tuple(int(p) for p in percentiles)
    if not percentiles or not all(0 < p < 100 for p in percentiles):
        raise ValueError(f"`percentiles` must be in (0, 100). Received: percentiles={percentiles}")
    if steps < 1:
        raise ValueError(f"`steps` must be >= 1. Received: steps={steps}")
    order = ranking(saliency, seed)
    batch = np.concatenate(
        [
            image[None],
            road_inputs(image, order, percentiles, noise, seed),
            deletion_insertion_inputs(image, order, steps, baseline),
        ]
    )
    scores = np.asarray(score(batch), dtype=np.float64).reshape(-1)
    if scores.shape != (len(batch),):
        raise ValueError(f"`score` returned {scores.shape[0]} scores for {len(batch)} inputs")
    n = len(percentiles)
    road_scores, curves = scores[1 : 1 + 2 * n], scores[1 + 2 * n :]
    return Faithfulness(
        target=target,
        score=float(scores[0]),
        percentiles=percentiles,
        morf=_floats(road_scores[:n]),
        lerf=_floats(road_scores[n:]),
        deletion=_floats(curves[: steps + 1]),
        insertion=_floats(curves[steps + 1 :]),
    )


def road(
    image: np.ndarray,
    saliency: np.ndarray,
    score: Score,
    percentiles: Sequence[int] = PERCENTILES,
    noise: float = NOISE,
    seed: int = 0,
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(MoRF scores, LeRF scores) of `saliency` on `image`, one per percentile."""
    order = ranking(saliency, seed)
    scores = np.asarray(score(road_inputs(np.asarray(image, np.float32), order, percentiles, noise, seed)))
    return _floats(scores[: len(percentiles)]), _floats(scores[len(percentiles) :])


def deletion_insertion(
    image: np.ndarray,
    saliency: np.ndarray,
    score: Score,
    steps: int = STEPS,
    baseline: float = 0.0,
    seed: int = 0,
) -> tuple[float, float]:
    """(deletion AUC, insertion AUC) of `saliency` on `image`."""
    order = ranking(saliency, seed)
    scores = np.asarray(
        score(deletion_insertion_inputs(np.asarray(image, np.float32), order, steps, baseline))
    )
    return _auc(scores[: steps + 1]), _auc(scores[steps + 1 :])


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of (H, W, C) with edge-reflecting borders (insertion's starting canvas)."""
    radius = max(1, int(np.ceil(3.0 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    out = np.asarray(image, dtype=np.float64)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect" if out.shape[axis] > radius else "edge")
        length = out.shape[axis]
        out = sum(t * np.take(padded, np.arange(i, i + length), axis=axis) for i, t in enumerate(taps))
    return out


def _auc(curve: Sequence[float]) -> float:
    values = np.asarray(curve, dtype=np.float64)
    return float((values[:-1] + values[1:]).sum() / (2.0 * (len(values) - 1)))


def _floats(values: np.ndarray) -> tuple[float, ...]:
    return tuple(float(v) for v in values)
