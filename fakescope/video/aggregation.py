"""Turn one track's per-frame P(fake) into the track's score: a small family of rules, registered by name.

Every rule only sees scores. `mean` is the plain average. `confident` is the rule of the DFDC winner
(Seferbekov's `confident_strategy`): when many frames are confidently fake, average those; when nearly all
are confidently real, average those; else the mean. A few confidently fake frames thus outweigh many
uncertain ones, since a face swap often shows only in some frames.

Example:
    >>> aggregate([0.2, 0.4, 0.9], "mean")
    0.5
    >>> sorted(AGGREGATIONS)
    ['confident', 'mean']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Aggregation = Callable[[np.ndarray], float]
AGGREGATIONS: dict[str, Aggregation] = {}
DEFAULT_AGGREGATION = "mean"


def register(name: str) -> Callable[[Aggregation], Aggregation]:
    """Add a rule to `AGGREGATIONS` under `name` (the CLI and the dashboard list them from there)."""

    def add(rule: Aggregation) -> Aggregation:
        AGGREGATIONS[name] = rule
        return rule

    return add


@register("mean")
def mean(scores: np.ndarray) -> float:
    """The average P(fake) of the track's frames."""
    return float(np.mean(scores))


@register("confident")
def confident(
    scores: np.ndarray, fake_above: float = 0.8, real_below: float = 0.2, min_fakes: int = 11
) -> float:
    """The DFDC winner's rule: the mean of the confident frames when they dominate, else the mean.

    If more than `min_fakes` frames, and more than len / 2.5 of them, are above `fake_above`, the mean of
    those; else if more than 90% are below `real_below`, the mean of those; else the mean of all. The
    defaults are the winner's, tuned for 32 frames per clip.
    """
    fakes = scores[scores > fake_above]
    if len(fakes) > len(scores) // 2.5 and len(fakes) > min_fakes:
        return float(np.mean(fakes))
    reals = scores[scores < real_below]
    if len(reals) > 0.9 * len(scores):
        return float(np.mean(reals))
    return float(np.mean(scores))


def check_aggregation(rule: str) -> None:
    """Raise a ValueError listing the registered rules when `rule` is not one of them."""
    if rule not in AGGREGATIONS:
        raise ValueError(
            f"`aggregation` must be one of {', '.join(sorted(AGGREGATIONS))}. Received: {rule!r}"
        )


def aggregate(scores: Sequence[float] | np.ndarray, rule: str = DEFAULT_AGGREGATION) -> float:
    """The track score of `scores` (P(fake) per frame, at least one) by the rule registered as `rule`."""
    check_aggregation(rule)
    values = np.asarray(scores, np.float64).reshape(-1)
    if values.size == 0:
        raise ValueError("cannot aggregate an empty track")
    return AGGREGATIONS[rule](values)
