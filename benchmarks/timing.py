"""Timing helpers: warm-up, many runs, median and spread.

Example:
    >>> stats = measure(lambda: detector.predict(path), runs=100)
    >>> stats.median_ms, stats.p90_ms
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Stats:
    median_ms: float
    p90_ms: float
    min_ms: float
    runs: int

    def __str__(self) -> str:
        return f"{self.median_ms:.2f} ms (p90 {self.p90_ms:.2f}, n={self.runs})"


def measure(fn: Callable[[], object], runs: int = 50, warmup: int = 5, max_seconds: float = 20.0) -> Stats:
    """Call `fn` `warmup` times, then up to `runs` times (stopping after `max_seconds`), timing each call."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + max_seconds
    while len(samples) < runs and (len(samples) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000.0)
    samples.sort()
    p90 = samples[min(len(samples) - 1, round(0.9 * (len(samples) - 1)))]
    return Stats(statistics.median(samples), p90, samples[0], len(samples))
