"""Generated benchmark images: 256x256 JPEGs with photo-like texture (smooth shapes plus fine noise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def photo_like(seed: int, size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(coarse).resize((size, size), Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.normal(0, 12, (size, size, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def write_jpegs(folder: Path, count: int, size: int = 256, quality: int = 90) -> list[Path]:
    """Write `count` JPEGs (cycling through 64 distinct pictures) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    pictures = [Image.fromarray(photo_like(seed, size)) for seed in range(min(count, 64))]
    paths = []
    for i in range(count):
        path = folder / f"{i:06d}.jpg"
        pictures[i % len(pictures)].save(path, "JPEG", quality=quality)
        paths.append(path)
    return paths
