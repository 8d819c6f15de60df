"""Judge a mixed list of files: images in batches through the `Detector`, videos one by one, order kept.

Whether a file is a video is decided by its first bytes (`looks_like_video`), so a misnamed file goes to the
right decoder. Without PyAV a video gets a `Rejected` row saying which extra to install; images still work.

Example:
    >>> [type(r).__name__ for r in predict_files(Detector(), ["clip.mp4", "photo.jpg", "notes.txt"])]
    ['VideoPrediction', 'Prediction', 'Rejected']
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from fakescope.runtime.detector import Detector
from fakescope.runtime.results import Prediction, Rejected
from fakescope.video.container import looks_like_video
from fakescope.video.errors import InvalidVideoError, MissingExtraError
from fakescope.video.predict import predict_video
from fakescope.video.results import VideoPrediction

Result = Prediction | VideoPrediction | Rejected


def predict_files(
    detector: Detector, paths: Sequence[str | os.PathLike], batch_size: int = 16, **video_options
) -> list[Result]:
    """One result per path, in order; bad files become `Rejected` with their one-line reason.

    Args:
        detector: the model.
        paths: image and video files.
        batch_size: images per model run. Defaults to 16.
        **video_options: passed to `predict_video` (frames, keyframes_only, aggregation, limits).
    """
    videos = [looks_like_video(path) for path in paths]
    images = [str(p) for p, video in zip(paths, videos, strict=True) if not video]
    judged = iter(
        detector.predict_batch(images, batch_size, names=images, on_error="return") if images else []
    )
    results: list[Result] = []
    for path, video in zip(paths, videos, strict=True):
        if not video:
            results.append(next(judged))
            continue
        try:
            results.append(predict_video(detector, path, name=str(path), **video_options))
        except (InvalidVideoError, MissingExtraError) as err:
            results.append(Rejected(str(path), err))
    return results
