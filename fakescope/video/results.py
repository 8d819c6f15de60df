"""What video analysis returns: per-face tracks, the per-frame timeline and one verdict per clip.

Example:
    >>> result = predict_video(Detector(), "c.mp4")
    >>> result
    VideoPrediction(FAKE, prob_fake=0.973, threshold=0.500, 'c.mp4' 1280x720 10.0s h264, 2 tracks, 32 frames)
    >>> [(track.id, track.label, round(track.score, 2)) for track in result.tracks]
    [(0, 'REAL', 0.12), (1, 'FAKE', 0.97)]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from fakescope.runtime.checks import UNSURE
from fakescope.runtime.display import freeze, html_card, number, one_line
from fakescope.runtime.heatmap import overlay, place_cams
from fakescope.runtime.provenance import Provenance
from fakescope.runtime.results import FaceVerdict
from fakescope.runtime.spec import CLASS_NAMES, class_name
from fakescope.video.container import VideoInfo

VERDICTS = (*CLASS_NAMES, UNSURE)


@dataclass(frozen=True)
class Track:
    """One face followed across sampled frames: its frames' times (s), boxes (displayed pixels) and P(fake).

    `score` is the track's P(fake) by the `aggregation` rule; `thumbnail` is the model's view of the face in
    its most fake frame.
    """

    id: int
    times: tuple[float, ...]
    boxes: tuple[tuple[int, int, int, int], ...]
    scores: tuple[float, ...]
    score: float
    threshold: float
    aggregation: str
    thumbnail: np.ndarray = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        freeze(self, "thumbnail")

    def __repr__(self) -> str:
        return one_line(
            "Track", self.label, id=self.id, score=self.score, extra=[f"{len(self.times)} frames"]
        )

    @property
    def label(self) -> str:
        return class_name(self.score, self.threshold)

    @property
    def fake_fraction(self) -> float:
        """Share of the track's frames at or above the threshold."""
        return float(np.mean(np.asarray(self.scores) >= self.threshold))

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "label": self.label,
            "score": round(self.score, 6),
            "aggregation": self.aggregation,
            "times": [round(t, 4) for t in self.times],
            "boxes": [list(box) for box in self.boxes],
            "scores": [round(s, 6) for s in self.scores],
        }


@dataclass(frozen=True)
class TimelinePoint:
    """One sampled frame: its time (s), how many faces were found, and its P(fake) (the most fake face's)."""

    time: float
    faces: int
    prob_fake: float

    def as_dict(self) -> dict:
        return {"time": round(self.time, 4), "faces": self.faces, "prob_fake": round(self.prob_fake, 6)}


@dataclass(frozen=True)
class MostFakeFrame:
    """The sampled frame holding the most fake face of the deciding track, with that face's verdict and CAM.

    `picture` is the frame as analysed (upright, scaled to at most `VideoLimits.analysis_side`); the face's
    box and transform are in the full displayed frame's pixels, `size`.
    """

    time: float
    track: int
    size: tuple[int, int]
    face: FaceVerdict = field(compare=False)
    picture: np.ndarray = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        freeze(self, "picture")

    def overlay(self, alpha: float = 0.45) -> np.ndarray:
        """The face's Grad-CAM drawn where it lies in `picture`, blended over it: uint8 (H, W, 3)."""
        height, width = self.picture.shape[:2]
        cam = place_cams([self.face.cam], [self.face.transform], (width, height), width / self.size[0])
        return overlay(self.picture, cam, alpha)


@dataclass(frozen=True)
class VideoTimings:
    """Milliseconds spent: opening and planning, decoding and converting frames, the models, in all."""

    open_ms: float
    decode_ms: float
    analysis_ms: float
    total_ms: float


@dataclass(frozen=True)
class VideoPrediction:
    """The verdict on one clip: the most fake track decides.

    `verdict` is "REAL" or "FAKE" (the deciding track's score against the threshold) or "UNSURE" with
    `reasons` (no face in any sampled frame, a track that disagrees with itself, an image check that flagged
    most frames with a face, metadata declaring the opposite). `prob_fake` is the deciding
    track's score (without any face: the mean P(fake) of the frames' centre crops). `timeline` has one point
    per sampled frame; `frames` holds the analysed pictures only when asked for (`keep_frames`).
    """

    verdict: str
    reasons: tuple[str, ...]
    prob_fake: float
    threshold: float
    info: VideoInfo
    tracks: tuple[Track, ...]
    timeline: tuple[TimelinePoint, ...]
    most_fake: MostFakeFrame | None
    timings: VideoTimings
    frames_decoded: int
    sampling: str
    frame_checks: tuple[str, ...] = ()
    """The reasons of the image checks that flagged most frames with a face (as judged, at the detector's
    threshold; `with_threshold` keeps them)."""
    frames: tuple[np.ndarray, ...] = field(default=(), repr=False, compare=False)

    def with_threshold(self, threshold: float) -> VideoPrediction:
        """The same clip judged at another threshold (tracks relabelled, checks rerun; no model run)."""
        from fakescope.runtime.results import check_threshold
        from fakescope.video.verdict import final_verdict

        check_threshold(threshold)
        tracks = tuple(replace(t, threshold=float(threshold)) for t in self.tracks)
        label = class_name(self.prob_fake, threshold)
        verdict, reasons = final_verdict(
            tracks, float(threshold), len(self.timeline), label, self.info.provenance, self.frame_checks
        )
        return replace(self, tracks=tracks, threshold=float(threshold), verdict=verdict, reasons=reasons)

    def without_pictures(self) -> VideoPrediction:
        """The same verdict, tracks and timeline without any picture (for histories that keep many)."""
        blank = np.zeros((1, 1, 3), np.uint8)
        tracks = tuple(replace(t, thumbnail=blank) for t in self.tracks)
        return replace(self, tracks=tracks, most_fake=None, frames=())

    @property
    def label(self) -> str:
        """The plain decision at the threshold, whatever the checks say."""
        return class_name(self.prob_fake, self.threshold)

    @property
    def provenance(self) -> Provenance:
        """What the container's metadata declares about the clip's origin (never changes P(fake))."""
        return self.info.provenance

    @property
    def track(self) -> Track | None:
        """The deciding (most fake) track, or None when no face was found."""
        return max(self.tracks, key=lambda t: t.score) if self.tracks else None

    def __repr__(self) -> str:
        head = f"{UNSURE}: {'; '.join(self.reasons)}" if self.reasons else self.verdict
        return one_line(
            "VideoPrediction", head, prob_fake=self.prob_fake, threshold=self.threshold, extra=self._facts()
        )

    def _repr_html_(self) -> str:
        lines = [f"UNSURE: {reason}" for reason in self.reasons]
        lines.append(f"P(fake) {number(self.prob_fake)} (threshold {number(self.threshold)})")
        lines += [", ".join(self._facts())]
        lines += [
            f"track {t.id}: {t.label} {number(t.score)} over {len(t.times)} frames" for t in self.tracks
        ]
        picture = self.most_fake.overlay() if self.most_fake is not None else None
        return html_card("", self.verdict, lines, picture)

    def _facts(self) -> list[str]:
        i = self.info
        name = f"{i.name!r} " if i.name else ""
        tracks = len(self.tracks)
        return [
            f"{name}{i.width}x{i.height} {i.duration_s:.1f}s {i.codec}",
            f"{tracks} track{'' if tracks == 1 else 's'}",
            f"{len(self.timeline)} frames",
        ]

    def as_row(self) -> dict:
        """A flat record like an image's `Prediction.as_row()`, faces being the tracks' last boxes."""
        return {
            "path": self.info.name,
            "label": self.label,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "prob_fake": round(self.prob_fake, 6),
            "threshold": round(self.threshold, 6),
            "faces": [{"box": list(t.boxes[-1]), "prob_fake": round(t.score, 6)} for t in self.tracks],
            "provenance": self.provenance.as_dict(),
            "error": "",
        }

    def as_dict(self) -> dict:
        """Everything but arrays: the row, the video's facts, tracks, timeline and timings."""
        return {
            **self.as_row(),
            "kind": "video",
            "video": self.info.as_dict(),
            "sampling": self.sampling,
            "frames_decoded": self.frames_decoded,
            "tracks": [t.as_dict() for t in self.tracks],
            "timeline": [p.as_dict() for p in self.timeline],
            "most_fake": None
            if self.most_fake is None
            else {"time": round(self.most_fake.time, 4), "track": self.most_fake.track},
            "timings_ms": {k: round(v, 2) for k, v in vars(self.timings).items()},
        }
