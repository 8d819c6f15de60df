"""Video-level evaluation: one P(fake) per clip (its most fake track's), scored against real/ and fake/.

The metrics are the project's one type (`BinaryMetrics`, scikit-learn), computed over clips, with the frame
level beside it (every sampled face's P(fake), labelled by its clip) to show what aggregation adds.

Example:
    >>> evaluation = evaluate_videos(Detector("m.onnx"), "videos/")
    >>> evaluation.videos.roc_auc, evaluation.frames.roc_auc, len(evaluation.rejected)
    (0.97, 0.91, 1)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fakescope.report.metrics import BinaryMetrics, binary_metrics
from fakescope.runtime.detector import Detector
from fakescope.runtime.images import SUPPORTED_EXTENSIONS
from fakescope.video.aggregation import DEFAULT_AGGREGATION
from fakescope.video.dataset import CLASSES, find_videos
from fakescope.video.errors import InvalidVideoError
from fakescope.video.predict import predict_video
from fakescope.video.sampler import DEFAULT_FRAMES


@dataclass(frozen=True)
class VideoEvaluation:
    """Clip-level and frame-level metrics at the detector's threshold, each clip's score, rejected clips."""

    videos: BinaryMetrics
    frames: BinaryMetrics | None
    scores: list[tuple[str, int, float, str]] = field(repr=False)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "level": "video",
            "videos": self.videos.as_dict(),
            "frames": self.frames.as_dict() if self.frames else None,
            "scores": [
                {"path": p, "label": y, "prob_fake": round(s, 6), "verdict": v} for p, y, s, v in self.scores
            ],
            "rejected": [{"path": p, "error": e} for p, e in self.rejected],
        }


def is_video_dataset(root: str | os.PathLike) -> bool:
    """Whether `root` has real/ and fake/ folders with videos and no images (`evaluate` routes it here)."""
    try:
        videos = find_videos(root)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not videos:
        return False
    folders = {p.name.lower(): p for p in Path(root).iterdir() if p.is_dir()}
    return not any(
        path.suffix.lower() in SUPPORTED_EXTENSIONS for name in CLASSES for path in folders[name].rglob("*")
    )


def evaluate_videos(
    detector: Detector,
    root: str | os.PathLike,
    *,
    frames: int = DEFAULT_FRAMES,
    aggregation: str = DEFAULT_AGGREGATION,
    progress: Callable[[int, int], None] | None = None,
) -> VideoEvaluation:
    """Judge every clip under `root/real` and `root/fake` and score the clips (and their frames).

    Raises:
        FileNotFoundError: `root` lacks real/ or fake/. ValueError: no clip could be analysed.
    """
    videos = find_videos(root)
    scores, rejected, frame_labels, frame_scores = [], [], [], []
    for done, (path, name) in enumerate(videos, 1):
        label = CLASSES[name]
        try:
            result = predict_video(detector, path, frames=frames, aggregation=aggregation)
        except InvalidVideoError as err:
            rejected.append((str(path), str(err)))
        else:
            scores.append((str(path), label, result.prob_fake, result.verdict))
            faces = [s for track in result.tracks for s in track.scores]
            frame_scores += faces
            frame_labels += [label] * len(faces)
        if progress:
            progress(done, len(videos))
    if not scores:
        raise ValueError(f"{root}: no video could be analysed ({len(rejected)} rejected)")
    threshold = detector.threshold
    labels = np.array([y for _, y, _, _ in scores])
    probs = np.clip(np.array([s for _, _, s, _ in scores]), 0.0, 1.0)
    clip_metrics = binary_metrics(labels, probs, threshold)
    frame_metrics = (
        binary_metrics(frame_labels, np.clip(frame_scores, 0, 1), threshold) if frame_scores else None
    )
    return VideoEvaluation(clip_metrics, frame_metrics, scores, rejected)
