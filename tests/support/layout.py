"""The dataset layout the tests write: ROOT/{train,valid,test}/{real,fake}, in the package's own words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from fakescope.data.layout import SPLITS
from fakescope.runtime.spec import CLASS_FOLDERS


def class_folders(root: Path) -> Iterator[tuple[Path, str]]:
    """Make each split's class folders under `root` (train/real first) and yield (folder, class name)."""
    for split in SPLITS:
        for label in CLASS_FOLDERS:
            folder = Path(root) / split / label
            folder.mkdir(parents=True, exist_ok=True)
            yield folder, label
