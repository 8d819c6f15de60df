"""Turn folders of real and fake videos into face crops in the layout training reads, split per video.

`ROOT/real/...` and `ROOT/fake/...` (any depth; FaceForensics++, Celeb-DF or DFDC as users unpack them) become
`OUT/{train,valid,test}/{real,fake}/<video>_<k>.png`. The split is drawn per video (stratified by class,
seeded), so the frames of one clip never land in two splits, and `manifest.csv` maps every crop back to its
video. A video that cannot be read is listed in `skipped.csv` and the rest go on.

Example:
    >>> report = extract_faces("videos/", "data/video-faces", frames_per_video=8)
    >>> report.crops["train"]["fake"], len(report.skipped)
    (512, 1)
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from fakescope.data.layout import CLASS_DIRS, SPLITS
from fakescope.runtime.face_crop import DEFAULT_MARGIN, crop_face
from fakescope.runtime.faces import FaceFinder, select_faces
from fakescope.video.container import DEFAULT_FPS, VIDEO_EXTENSIONS, open_video
from fakescope.video.errors import InvalidVideoError, NoFramesError
from fakescope.video.frames import read_frames
from fakescope.video.limits import DEFAULT_VIDEO_LIMITS, VideoLimits
from fakescope.video.sampler import evenly_spaced, plan_reads

CLASSES = CLASS_DIRS
MANIFEST_COLUMNS = ("crop", "video", "split", "label", "time", "box")


@dataclass(frozen=True)
class VideoRecord:
    path: Path
    label: str
    split: str


@dataclass(frozen=True)
class FramesReport:
    """What an extraction wrote: videos read and crops per split and class, the videos skipped with why."""

    videos: dict[str, dict[str, int]]
    crops: dict[str, dict[str, int]]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    out: Path = Path()


def find_videos(root: str | os.PathLike) -> list[tuple[Path, str]]:
    """(path, "real" | "fake") for every video file under `root/real` and `root/fake`, sorted.

    Raises:
        FileNotFoundError: `root` lacks a real/ or a fake/ folder.
    """
    root = Path(root)
    folders = {p.name.lower(): p for p in root.iterdir() if p.is_dir()} if root.is_dir() else {}
    missing = [name for name in CLASSES if name not in folders]
    if missing:
        raise FileNotFoundError(
            f"{root}: expected real/ and fake/ folders of videos (missing {', '.join(missing)})"
        )
    found = []
    for name in CLASSES:
        for path in sorted(folders[name].rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folders[name]).parts)
            if path.suffix.lower() in VIDEO_EXTENSIONS and path.is_file() and not hidden:
                found.append((path, name))
    return found


def split_videos(
    videos: list[tuple[Path, str]],
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 1337,
) -> list[VideoRecord]:
    """Assign each video (not each frame) to a split: stratified by class, shuffled with `seed`."""
    if abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"`fractions` must be >= 0 and sum to 1. Received: fractions={fractions}")
    records = []
    for name in CLASSES:
        members = sorted(path for path, label in videos if label == name)
        random.Random(f"{seed}-{name}").shuffle(members)
        cut_train = round(len(members) * fractions[0])
        cut_valid = cut_train + round(len(members) * fractions[1])
        for index, path in enumerate(members):
            split = "train" if index < cut_train else "valid" if index < cut_valid else "test"
            records.append(VideoRecord(path, name, split))
    return sorted(records, key=lambda r: (SPLITS.index(r.split), r.label, str(r.path)))


def extract_faces(
    root: str | os.PathLike,
    out: str | os.PathLike,
    *,
    frames_per_video: int = 8,
    margin: float = DEFAULT_MARGIN,
    size: int | None = None,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 1337,
    limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> FramesReport:
    """Extract the largest face of `frames_per_video` evenly spaced frames of every video under `root`.

    Args:
        root: folder with real/ and fake/ sub-folders of videos.
        out: output dataset folder (must be empty unless `overwrite`).
        frames_per_video: moments sampled per video. Defaults to 8.
        margin: the face crop's margin, as `fakescope train --face-crop` takes it. Defaults to 0.3.
        size: resize every crop to `size` x `size` pixels. Defaults to None (crops keep their size).
        fractions: train/valid/test shares of each class's videos. Defaults to (0.7, 0.15, 0.15).
        seed: seed of the per-video split. Defaults to 1337.
        limits: limits for each video. Defaults to `DEFAULT_VIDEO_LIMITS`.
        overwrite: write into a non-empty `out`. Defaults to False.
        progress: called with (videos done, videos in all) after each video.

    Raises:
        FileNotFoundError: `root` lacks real/ or fake/. FileExistsError: `out` is not empty.
    """
    if frames_per_video < 1:
        raise ValueError(f"`frames_per_video` must be >= 1. Received: {frames_per_video}")
    records = split_videos(find_videos(root), fractions, seed)
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} is not empty; pass overwrite=True (--overwrite) to write into it")
    finder = FaceFinder()
    videos = {s: dict.fromkeys(CLASSES, 0) for s in SPLITS}
    crops = {s: dict.fromkeys(CLASSES, 0) for s in SPLITS}
    skipped: list[tuple[str, str]] = []
    rows: list[dict] = []
    for done, record in enumerate(records, 1):
        folder = out / record.split / record.label
        folder.mkdir(parents=True, exist_ok=True)
        try:
            written = _extract_one(record, folder, finder, frames_per_video, margin, size, limits)
        except InvalidVideoError as err:
            skipped.append((str(record.path), str(err)))
            continue
        finally:
            if progress:
                progress(done, len(records))
        videos[record.split][record.label] += 1
        crops[record.split][record.label] += len(written)
        rows += [
            {**row, "video": str(record.path), "split": record.split, "label": record.label}
            for row in written
        ]
    _write_csv(out / "manifest.csv", MANIFEST_COLUMNS, rows)
    _write_csv(out / "skipped.csv", ("video", "error"), [{"video": v, "error": e} for v, e in skipped])
    return FramesReport(videos, crops, skipped, out)


def _extract_one(record, folder: Path, finder, count, margin, size, limits) -> list[dict]:
    stem = f"{record.path.stem[:80]}-{hashlib.sha1(str(record.path).encode()).hexdigest()[:8]}"
    written = []
    with open_video(record.path, limits) as video:
        interval = 1.0 / (video.info.fps or DEFAULT_FPS)
        times = evenly_spaced(max(video.duration(), interval), count)
        reads = plan_reads(times, video.keyframes, interval)
        decoded = False
        for frame in read_frames(
            video,
            reads,
            max_side=limits.analysis_side,
            max_decoded=limits.max_frames_decoded,
            max_pixels=limits.max_pixels,
        ):
            decoded = True
            faces = select_faces(finder.find(frame.pixels))
            if not faces:
                continue
            face = max(faces, key=lambda f: f.area)
            crop = crop_face(frame.pixels, face, margin)
            if size:
                crop = np.asarray(Image.fromarray(crop).resize((size, size), Image.Resampling.BILINEAR))
            name = f"{stem}_{len(written):03d}.png"
            Image.fromarray(crop).save(folder / name)
            scale = frame.size[0] / frame.pixels.shape[1]
            box = " ".join(str(round(v * scale)) for v in face.box)
            written.append({"crop": str(folder / name), "time": round(frame.time, 4), "box": box})
        if not decoded:
            raise NoFramesError(f"{record.path.name}: no decodable frame")
    return written


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
