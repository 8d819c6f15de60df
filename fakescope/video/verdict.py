"""The clip's verdict from its tracks: the most fake track decides, unless a check says UNSURE.

Checks, each giving one short reason: no face in any sampled frame; a track that disagrees with itself (at
least `DISAGREEMENT` of its frames on each side of the threshold, over at least `MIN_FRAMES` frames); an image
check of the runtime (`FRAME_CHECKS`: out of distribution, conformal set, test-time copies) that says UNSURE
on at least `FLAGGED_SHARE` of the frames with a face (`frame_check_reasons`). Tracks much shorter than the
longest (a face seen in one or two frames, often a false detection) are reported but do not decide while a
longer track exists.

Example:
    >>> clip_verdict(tracks, threshold=0.5, sampled=32)
    ('UNSURE', ('track 1 disagrees with itself: 9 of 20 frames fake',))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fakescope.runtime.provenance import Provenance
from fakescope.runtime.spec import CLASS_NAMES
from fakescope.video.results import UNSURE, Track

DISAGREEMENT = 0.25
FRAME_CHECKS = ("ood", "conformal", "tta")
"""The image checks (`fakescope.runtime.checks.CHECKS`) read on every sampled frame with a face."""
FLAGGED_SHARE = 0.5
"""A frame check makes the clip UNSURE when it flags at least this share of the frames with a face."""
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


def frame_check_reasons(flagged: dict[str, list[str]], frames_with_face: int) -> tuple[str, ...]:
    """A reason for each of `FRAME_CHECKS` whose reasons (`flagged[name]`, one per frame it flagged) cover at
    least `FLAGGED_SHARE` of the `frames_with_face` frames: the first frame's reason and the count."""
    return tuple(
        f"{reasons[0]} in {len(reasons)} of {frames_with_face} frames with a face"
        for name in FRAME_CHECKS
        if (reasons := flagged.get(name)) and len(reasons) >= FLAGGED_SHARE * frames_with_face
    )


def final_verdict(
    tracks: Sequence[Track],
    threshold: float,
    sampled: int,
    label: str,
    provenance: Provenance,
    frame_checks: Sequence[str] = (),
) -> tuple[str, tuple[str, ...]]:
    """`clip_verdict`, then UNSURE with more reasons: the frame checks' (`frame_check_reasons`) and the
    container's metadata when it declares the opposite of the clip's `label`."""
    verdict, reasons = clip_verdict(tracks, threshold, sampled)
    extra = tuple(frame_checks)
    if declared := provenance.disagreement(label):
        extra += (declared,)
    return (UNSURE, (*reasons, *extra)) if extra else (verdict, reasons)
