"""Link face boxes across sampled frames into tracks: greedy IoU matching with each track's last box.

In the spirit of the IoU tracker a DFDC top team used: it only sees boxes (numpy, no pixels, no model), so two
people in a clip become two tracks and a face that leaves and comes back within `max_gap` frames keeps its
track. Sampled frames can be far apart, so a box that overlaps no track may still join the nearest one
whose centre lies within `max_shift` box widths and whose size is within a factor of 2 (a second, greedy
pass by centre distance).

Example:
    >>> tracker = IoUTracker()
    >>> tracker.update(np.array([[10, 10, 50, 50], [200, 10, 240, 50]]))
    [0, 1]
    >>> tracker.update(np.array([[205, 12, 245, 52], [12, 11, 52, 51]]))
    [1, 0]
"""

from __future__ import annotations

import numpy as np


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in `a` (N, 4) with every box in `b` (M, 4), boxes as (x0, y0, x1, y1): (N, M)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


class IoUTracker:
    """Assigns a track id to each box of each frame, in order.

    Args:
        iou_threshold: a box joins the track whose last box it overlaps most, if the IoU is at least this.
            Defaults to 0.2 (sampled frames can be far apart in time).
        max_gap: a track not seen for more than this many updates is closed. Defaults to 4.
        max_shift: the second pass joins a box to a track whose last centre is within this many box widths.
            Defaults to 1.0 (0 turns the pass off).
    """

    def __init__(self, iou_threshold: float = 0.2, max_gap: int = 4, max_shift: float = 1.0) -> None:
        if not 0.0 < iou_threshold <= 1.0:
            raise ValueError(f"`iou_threshold` must be in (0, 1]. Received: iou_threshold={iou_threshold}")
        if max_gap < 0:
            raise ValueError(f"`max_gap` must be >= 0. Received: max_gap={max_gap}")
        if max_shift < 0:
            raise ValueError(f"`max_shift` must be >= 0. Received: max_shift={max_shift}")
        self.iou_threshold, self.max_gap = float(iou_threshold), int(max_gap)
        self.max_shift = float(max_shift)
        self._last: dict[int, np.ndarray] = {}
        self._seen: dict[int, int] = {}
        self._step = 0
        self._next_id = 0

    def __repr__(self) -> str:
        return (
            f"IoUTracker(iou_threshold={self.iou_threshold}, max_gap={self.max_gap}, open={len(self._last)})"
        )

    def update(self, boxes: np.ndarray) -> list[int]:
        """Track ids for `boxes` (N, 4) of the next frame; unmatched boxes open new tracks."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        for track in [t for t, seen in self._seen.items() if self._step - seen > self.max_gap]:
            del self._last[track], self._seen[track]
        ids: list[int] = [-1] * len(boxes)
        tracks = list(self._last)
        if tracks and len(boxes):
            last = np.stack([self._last[t] for t in tracks])
            _greedy(box_iou(boxes, last), self.iou_threshold, ids, tracks)
            if self.max_shift > 0:
                _greedy(-_shift(boxes, last), -self.max_shift, ids, tracks)
        for box, track in enumerate(ids):
            if track < 0:
                ids[box] = track = self._next_id
                self._next_id += 1
            self._last[track] = boxes[box]
            self._seen[track] = self._step
        self._step += 1
        return ids


def _greedy(affinity: np.ndarray, minimum: float, ids: list[int], tracks: list[int]) -> None:
    """Pair the highest affinities first (at least `minimum`), skipping boxes and tracks already paired."""
    affinity = affinity.astype(np.float64).copy()
    affinity[[i for i, t in enumerate(ids) if t >= 0], :] = -np.inf
    affinity[:, [c for c, t in enumerate(tracks) if t in ids]] = -np.inf
    while affinity.size and affinity.max() >= minimum:
        box, column = np.unravel_index(int(np.argmax(affinity)), affinity.shape)
        ids[box] = tracks[column]
        affinity[box, :] = -np.inf
        affinity[:, column] = -np.inf


def _shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Centre distance in widths of the larger box, for box pairs within a factor 2 in size (else inf)."""
    width_a, width_b = a[:, 2] - a[:, 0], b[:, 2] - b[:, 0]
    centre_a, centre_b = (a[:, :2] + a[:, 2:]) / 2, (b[:, :2] + b[:, 2:]) / 2
    distance = np.linalg.norm(centre_a[:, None] - centre_b[None], axis=2)
    larger = np.maximum(width_a[:, None], width_b[None])
    ratio = larger / np.maximum(np.minimum(width_a[:, None], width_b[None]), 1e-9)
    return np.where(ratio <= 2.0, distance / np.maximum(larger, 1e-9), np.inf)
