"""Find the images of a real-vs-fake dataset on disk, in the layouts users actually have.

Accepted layouts (folder names are case-insensitive):
- the "140k Real and Fake Faces" layout: ROOT/{train,valid,test}/{real,fake}/..., also one level deeper
  (e.g. ROOT/real_vs_fake/real-vs-fake/train/real);
- a flat ROOT/{real,fake}/..., split stratified and reproducibly (seeded) into train/valid/test.

Labels: real = 0, fake = 1. Files are found by extension; whether they decode is the reader's business.

Example:
    >>> records = discover("data/demo")
    >>> records[0]
    ImageRecord(path=PosixPath('data/demo/train/real/0001.png'), label=0, split='train')
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fakescope.runtime.images import SUPPORTED_EXTENSIONS, ImageLimits
from fakescope.runtime.spec import CLASS_FOLDERS

TRAINING_LIMITS = ImageLimits(min_side=8)
"""Decoding limits for training data: the runtime's defaults, except that small crops (the demo set's 25x25
faces) are accepted; uploads at serving time keep the runtime's own minimum."""

SPLITS = ("train", "valid", "test")
CLASS_DIRS = {name: label for label, name in enumerate(CLASS_FOLDERS)}
"""Folder name -> label: {"real": 0, "fake": 1}."""
SPLIT_ALIASES = {"train": "train", "valid": "valid", "validation": "valid", "val": "valid", "test": "test"}


class DatasetLayoutError(ValueError):
    """The folder holds neither split folders with real/fake nor real/fake folders."""


@dataclass(frozen=True)
class ImageRecord:
    path: Path
    label: int
    split: str


def discover(
    root: str | Path,
    *,
    seed: int = 1337,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
) -> list[ImageRecord]:
    """Every image under `root` with its label and split, sorted by split then path.

    Args:
        root: dataset folder in one of the accepted layouts.
        seed: seed of the stratified split for flat layouts. Defaults to 1337.
        fractions: train/valid/test fractions for flat layouts. Defaults to (0.7, 0.15, 0.15).

    Raises:
        DatasetLayoutError: no accepted layout under `root` (searched two levels deep).
    """
    if abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise ValueError(f"`fractions` must be >= 0 and sum to 1. Received: fractions={fractions}")
    root = Path(root)
    if not root.is_dir():
        raise DatasetLayoutError(f"{root} is not a folder")
    base = _find_base(root)
    if base is None:
        raise DatasetLayoutError(
            f"{root}: expected train/valid/test folders holding real/ and fake/, or real/ and fake/ folders"
        )
    split_dirs = _split_dirs(base)
    if split_dirs:
        records = [
            ImageRecord(path, label, split)
            for split, folder in split_dirs.items()
            for label, class_dir in _class_dirs(folder).items()
            for path in iter_images(class_dir)
        ]
    else:
        records = _split_flat(base, seed, fractions)
    order = {s: i for i, s in enumerate(SPLITS)}
    return sorted(records, key=lambda r: (order[r.split], str(r.path)))


def split_records(
    records: list[ImageRecord], names: tuple[str, ...], root: str | Path
) -> dict[str, list[ImageRecord]]:
    """The records of each split in `names`, checked to hold both real and fake images.

    Raises:
        DatasetLayoutError: a split named in `names` has no real or no fake image.
    """
    splits = {name: [r for r in records if r.split == name] for name in names}
    for name, members in splits.items():
        for class_name, label in CLASS_DIRS.items():
            if not any(r.label == label for r in members):
                raise DatasetLayoutError(f"{root}: the {name} split has no {class_name} images")
    return splits


def text_path(path: str | os.PathLike) -> str:
    """`path` as text any table or file format can hold: bytes of a name that is not UTF-8 become U+FFFD.

    Example:
        >>> text_path(os.fsdecode(b"faces/\\xff.png"))
        'faces/\ufffd.png'
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "replace")
    return text


def iter_images(folder: str | Path, recursive: bool = True) -> Iterator[Path]:
    """Image files (by extension) under `folder`, sorted, hidden files skipped."""
    folder = Path(folder)
    pattern = folder.rglob("*") if recursive else folder.glob("*")
    found = (
        p
        for p in pattern
        if p.suffix.lower() in SUPPORTED_EXTENSIONS
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.is_file()
    )
    yield from sorted(found)


def find_dataset(root: str | Path) -> Path | None:
    """The folder at or up to two levels under `root` that holds an accepted layout, or None (also for a
    missing or unreadable folder). Looks at folder names only, so it is cheap on any dataset size.

    Example:
        >>> find_dataset("data/demo")
        PosixPath('data/demo')
    """
    try:
        return _find_base(Path(root)) if Path(root).is_dir() else None
    except OSError:
        return None


def _find_base(root: Path) -> Path | None:
    for candidate in _breadth_first(root, depth=2):
        if _split_dirs(candidate) or len(_class_dirs(candidate)) == 2:
            return candidate
    return None


def _breadth_first(root: Path, depth: int) -> Iterator[Path]:
    level = [root]
    for _ in range(depth + 1):
        yield from level
        level = [child for parent in level for child in _subdirs(parent)]


def _subdirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _split_dirs(folder: Path) -> dict[str, Path]:
    found = {}
    for child in _subdirs(folder):
        split = SPLIT_ALIASES.get(child.name.lower())
        if split and len(_class_dirs(child)) == 2:
            found[split] = child
    return found


def _class_dirs(folder: Path) -> dict[int, Path]:
    return {CLASS_DIRS[c.name.lower()]: c for c in _subdirs(folder) if c.name.lower() in CLASS_DIRS}


def _split_flat(base: Path, seed: int, fractions: tuple[float, float, float]) -> list[ImageRecord]:
    records = []
    for label, class_dir in sorted(_class_dirs(base).items()):
        paths = list(iter_images(class_dir))
        random.Random(f"{seed}-{label}").shuffle(paths)
        n_train = round(len(paths) * fractions[0])
        n_valid = round(len(paths) * fractions[1])
        for i, path in enumerate(paths):
            split = "train" if i < n_train else "valid" if i < n_train + n_valid else "test"
            records.append(ImageRecord(path, label, split))
    return records
