"""The clip's verdict from its tracks: the most fake track decides, unless a check says UNSURE.

Checks, each giving one short reason: no face in any sampled frame; a track that disagrees with itself (at
least `DISAGREEMENT` of its frames on each side of the threshold, over at least `MIN_FRAMES` frames). Tracks
much shorter than the longest (a face seen in one or two frames, often a false detection) are reported but
do not decide while a longer track exists.

Example:
    >>> clip_verdict(tracks, threshold=0.5, sampled=32)
    ('UNSURE', ('track 1 disagrees with itself: 9 of 20 frames fake',))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fakescope.runtime.spec import CLASS_NAMES
from fakescope.video.results import UNSURE, Track

DISAGREEMENT = 0.25
MIN_FRAMES = 4
SHORT_TRACK = 0.25
"""Tracks with fewer frames than this share of the longest track's do not decide."""


def deciding_tracks(tracks: Sequence[Track]) -> list[Track]:
    """The tracks long enough to decide the clip (all of them when they are about equally long)."""
    if not tracks:
        return []
    longest = max(len(t.times) for t in tracks)
    return [t for t in tracks if len(t.times) >= math.ceil(SHORT_TRACK * longest)]


def disagrees(track: Track) -> bool:
    """Whether the track's frames split across the threshold (each side at least `DISAGREEMENT`)."""
    if len(track.scores) < MIN_FRAMES:
        return False
    share = track.fake_fraction
    return min(share, 1.0 - share) >= DISAGREEMENT


def clip_verdict(tracks: Sequence[Track], threshold: float, sampled: int) -> tuple[str, tuple[str, ...]]:
    """("REAL" | "FAKE" | "UNSURE", reasons) for a clip whose `sampled` frames gave `tracks`."""
    if not tracks:
        return UNSURE, (f"no face in any of the {sampled} sampled frames",)
    candidates = deciding_tracks(tracks)
    best = max(candidates, key=lambda t: t.score)
    split = [t for t in candidates if disagrees(t)]
    if best.score >= threshold and best not in split:
        return CLASS_NAMES[1], ()
    if split:
        return UNSURE, tuple(
            f"track {t.id} disagrees with itself: {round(t.fake_fraction * len(t.scores))} of "
            f"{len(t.scores)} frames fake"
            for t in split
        )
    return best.label, ()
