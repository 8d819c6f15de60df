"""Carve a calibration set out of a dataset's train split, as links: the images temperature scaling and
conformal prediction are fitted on must be used neither for training nor for choosing the threshold.

`OUT/fit` holds the remaining train images with the valid and test splits unchanged (train on it, as usual);
`OUT/calibration/{real,fake}` holds the carved images (pass it to `fakescope export --calibration`).

Example:
    >>> counts = carve_calibration("data/demo", "data/demo-carved", fraction=0.2)
    >>> counts
    {'fit': {'real': 57, 'fake': 280}, 'calibration': {'real': 14, 'fake': 70}}
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from fakescope.data.layout import CLASS_DIRS, discover

NAMES = {label: name for name, label in CLASS_DIRS.items()}
DESCRIPTION_FILES = ("build_report.json", "README.md")
"""Files describing the dataset, linked into OUT/fit too so a run trained there describes its data alike."""


def carve_calibration(
    data: str | os.PathLike, out: str | os.PathLike, *, fraction: float = 0.2, seed: int = 0
) -> dict[str, dict[str, int]]:
    """Link `fraction` of each class of the train split of `data` into OUT/calibration, the rest into OUT/fit.

    Raises:
        ValueError: `fraction` is not in (0, 1), `out` is not empty, or a class would be left empty.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"`fraction` must be in (0, 1). Received: fraction={fraction}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty")
    records = discover(data)
    counts: dict[str, dict[str, int]] = {"fit": {}, "calibration": {}}
    rng = random.Random(seed)
    for label, name in NAMES.items():
        train = sorted((r for r in records if r.split == "train" and r.label == label), key=lambda r: r.path)
        carved = set(rng.sample(range(len(train)), round(len(train) * fraction)))
        if not carved or len(carved) == len(train):
            raise ValueError(f"cannot carve {fraction:.0%} of {len(train)} {name} training images")
        for index, record in enumerate(train):
            target = out / "calibration" / name if index in carved else out / "fit" / "train" / name
            _link(record.path, target)
        counts["calibration"][name] = len(carved)
        counts["fit"][name] = len(train) - len(carved)
    for record in (r for r in records if r.split != "train"):
        _link(record.path, out / "fit" / record.split / NAMES[record.label])
    for extra in DESCRIPTION_FILES:
        if (Path(data) / extra).is_file():
            _link(Path(data) / extra, out / "fit")
    return counts


def _link(source: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / source.name).symlink_to(source.resolve())
