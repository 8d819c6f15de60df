"""Videos in `fakescope scan`: a `FileJudge` that lists video files and gives each one report row.

Example:
    >>> scan_folder(Detector(), "media/", "report.csv", judges=[VideoJudge(Detector(), frames=16)])
    ScanSummary(analysed=41, rejected=1, ...)
"""

from __future__ import annotations

import os
from pathlib import Path

from fakescope.runtime.detector import Detector
from fakescope.runtime.results import faces_text, reasons_text
from fakescope.runtime.scan_rows import analyse, decode, error_row
from fakescope.video.aggregation import DEFAULT_AGGREGATION
from fakescope.video.container import VIDEO_EXTENSIONS, looks_like_video
from fakescope.video.errors import InvalidVideoError, MissingExtraError
from fakescope.video.limits import DEFAULT_VIDEO_LIMITS, VideoLimits
from fakescope.video.predict import predict_video
from fakescope.video.sampler import DEFAULT_FRAMES


class VideoJudge:
    """One scan row per video file: its clip verdict (the most fake track's), size, container and codec.

    Args:
        detector: the model.
        frames: moments sampled per video. Defaults to 32.
        keyframes_only: sample keyframes only. Defaults to False.
        aggregation: the track aggregation rule. Defaults to "mean".
        limits: video limits. Defaults to `DEFAULT_VIDEO_LIMITS`.
    """

    def __init__(
        self,
        detector: Detector,
        frames: int = DEFAULT_FRAMES,
        keyframes_only: bool = False,
        aggregation: str = DEFAULT_AGGREGATION,
        limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
    ) -> None:
        self.detector = detector
        self.options = {"frames": frames, "keyframes_only": keyframes_only, "aggregation": aggregation}
        self.limits = limits

    def __repr__(self) -> str:
        return f"VideoJudge(frames={self.options['frames']}, aggregation={self.options['aggregation']!r})"

    def files(self, folder: Path, recursive: bool) -> list[Path]:
        """Video files (by extension) under `folder`, absolute and sorted; links to folders not followed."""
        found = []
        for current, dirs, names in os.walk(folder):
            if not recursive:
                dirs.clear()
            found += [Path(current) / n for n in names if Path(n).suffix.lower() in VIDEO_EXTENSIONS]
        return sorted(found)

    def row(self, path: Path) -> dict:
        if not looks_like_video(path):  # a picture named like a video: judged as `predict` judges it
            return analyse(self.detector, [decode(self.detector, path)])[0]
        row = error_row(str(path), self.detector.threshold, "")
        try:
            result = predict_video(self.detector, path, limits=self.limits, **self.options)
        except (InvalidVideoError, MissingExtraError) as err:
            return {**row, "error": str(err)}
        except Exception as err:  # never lose a row: anything unexpected is recorded, not raised
            return {**row, "error": f"{path.name}: unexpected error ({type(err).__name__}: {err})"}
        record = result.as_row()
        info = result.info
        return {
            **row,
            "verdict": result.verdict,
            "reasons": reasons_text(record["reasons"]),
            "label": result.label,
            "prob_fake": record["prob_fake"],
            "width": info.width,
            "height": info.height,
            "format": f"{info.container}/{info.codec}",
            "faces": faces_text(record["faces"]),
            "provenance": record["provenance"],
        }
