"""Image batches for validation and calibration: real images from a folder, or generated ones.

Every image goes through the runtime's `preprocess`, so the exported model is checked and calibrated on
exactly the tensors it will see in service.

Example:
    >>> batch = sample_batch("data/demo", InputSpec(32, 32, greyscale=True), count=16)
    >>> batch.shape
    (16, 32, 32, 3)
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from fakescope.data.layout import TRAINING_LIMITS, DatasetLayoutError, discover, iter_images
from fakescope.export.errors import ExportError
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.images import ImageLimits
from fakescope.runtime.preprocess import InputSpec, preprocess


def image_paths(folder: str | Path, count: int, *, split: str | None = None, seed: int = 0) -> list[Path]:
    """Up to `count` image paths from `folder`, drawn reproducibly at random.

    Args:
        folder: a dataset in a layout `fakescope.data.layout.discover` accepts, or any folder of images.
        count: how many paths at most.
        split: keep only this split of a dataset ("train", "valid", "test"). Defaults to all.
        seed: seed of the draw. Defaults to 0.
    """
    if count < 1:
        raise ValueError(f"`count` must be >= 1. Received: count={count}")
    try:
        records = discover(folder)
        paths = [r.path for r in records if split is None or r.split == split]
    except DatasetLayoutError:
        if not Path(folder).is_dir():
            raise ExportError(f"{folder} is not a folder") from None
        paths = list(iter_images(folder))
    random.Random(seed).shuffle(paths)
    return paths[:count]


def load_batch(paths: Sequence[Path], spec: InputSpec, limits: ImageLimits = TRAINING_LIMITS) -> np.ndarray:
    """The preprocessed float32 (N, H, W, 3) batch of the readable images; unreadable ones are skipped.

    The default limits are training's, which accept dataset crops smaller than the 32 px upload minimum.
    """
    tensors, skipped = [], []
    for path in paths:
        try:
            tensors.append(preprocess(path, spec, limits))
        except InvalidImageError as err:
            skipped.append(str(err))
    if skipped:
        warnings.warn(f"skipped {len(skipped)} unreadable images, e.g. {skipped[0]}", stacklevel=2)
    if not tensors:
        raise ExportError(f"none of the {len(paths)} images could be read")
    return np.stack(tensors)


def generated_batch(spec: InputSpec, count: int, seed: int = 0) -> np.ndarray:
    """`count` smooth random colour images (blobs and gradients), preprocessed like uploads."""
    rng = np.random.default_rng(seed)
    side = max(spec.height, spec.width, 32) * 2
    images = []
    for _ in range(count):
        coarse = rng.integers(0, 256, (rng.integers(2, 9), rng.integers(2, 9), 3), dtype=np.uint8)
        pixels = np.asarray(Image.fromarray(coarse).resize((side, side), Image.Resampling.BICUBIC))
        noise = rng.normal(0.0, rng.uniform(0.0, 12.0), pixels.shape)
        images.append(preprocess(np.clip(pixels + noise, 0, 255).astype(np.uint8), spec))
    return np.stack(images)


def sample_batch(
    folder: str | Path | None, spec: InputSpec, count: int = 32, *, split: str | None = None, seed: int = 0
) -> np.ndarray:
    """A batch of real images from `folder`, or generated images when `folder` is None."""
    if folder is None:
        return generated_batch(spec, count, seed)
    paths = image_paths(folder, count, split=split, seed=seed)
    if not paths:
        raise ExportError(f"no images found in {folder}")
    return load_batch(paths, spec)
