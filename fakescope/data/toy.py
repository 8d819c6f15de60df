"""A synthetic real-vs-fake folder in the 140k layout, for smoke tests and trying the pipeline in seconds.

"real" images are smooth random colour fields; "fake" ones carry a faint high-frequency checkerboard (the kind
of upsampling trace generators leave). It is not data about faces: use it to exercise training, evaluation and
export, never to judge a model.

Example:
    >>> root = write_toy_dataset("/tmp/toy", counts=(8, 4, 4))
    >>> sorted(p.name for p in root.iterdir())
    ['test', 'train', 'valid']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fakescope.data.layout import SPLITS
from fakescope.runtime.spec import CLASS_FOLDERS


def toy_image(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One uint8 (size, size, 3) picture of class `label` (0 = real, 1 = fake)."""
    coarse = rng.integers(40, 216, (4, 4, 3), dtype=np.uint8)
    base = np.asarray(
        Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), dtype=np.float64
    )
    if label == 1:
        rows, cols = np.indices((size, size))
        base += (((rows + cols) % 2) * 2 - 1)[..., None] * 24.0
    return np.clip(np.rint(base), 0, 255).astype(np.uint8)


def write_toy_dataset(
    root: str | Path,
    counts: tuple[int, int, int] = (16, 8, 8),
    size: int = 48,
    seed: int = 0,
    fmt: str = "PNG",
) -> Path:
    """Write `counts` (train, valid, test) images per class under root/{split}/{real,fake}/.

    Args:
        root: destination folder.
        counts: images per class in train, valid and test. Defaults to (16, 8, 8).
        size: image side in pixels. Defaults to 48.
        seed: random seed. Defaults to 0.
        fmt: Pillow format, "PNG" or "JPEG". Defaults to "PNG".

    Returns:
        `root` as a Path.
    """
    root = Path(root)
    rng = np.random.default_rng(seed)
    suffix = ".jpg" if fmt.upper() == "JPEG" else f".{fmt.lower()}"
    for split, count in zip(SPLITS, counts, strict=True):
        for label, name in enumerate(CLASS_FOLDERS):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                Image.fromarray(toy_image(label, size, rng)).save(
                    folder / f"{name}_{i:04d}{suffix}", format=fmt
                )
    return root
