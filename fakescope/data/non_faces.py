"""Pictures without a face, built here: scikit-image's sample pictures (the `data` extra), random noise and
flat colours; the verdict on each should be UNSURE (the tests and `benchmarks.bench_trust` use them).

Example:
    >>> pictures = non_face_pictures(noise=2)
    >>> sorted(pictures)[:4], pictures["noise 1"].shape
    (['brick', 'coffee', 'coins', 'flat 0'], (256, 256, 3))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAMPLES = ("coffee", "rocket", "horse", "coins", "moon", "brick", "page")
"""scikit-image's pictures without a face (`page` is a scanned text page)."""

FLAT_COLOURS = ((200, 40, 40), (128, 128, 128), (250, 250, 250))


def as_rgb(image) -> np.ndarray:
    """uint8 RGB (H, W, 3) of a greyscale, boolean, RGB or RGBA array."""
    pixels = np.asarray(image)
    if pixels.dtype == bool:
        pixels = pixels.astype(np.uint8) * 255
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=-1)
    return np.ascontiguousarray(pixels[..., :3]).astype(np.uint8)


def non_face_pictures(
    noise: int = 1, colours: Sequence[tuple[int, int, int]] = FLAT_COLOURS[:1], seed: int = 0
) -> dict[str, np.ndarray]:
    """`SAMPLES` by name, `noise` 256x256 uniform-noise pictures ("noise 0", ...) and one 128x128 flat
    picture per colour ("flat 0", ...).

    Args:
        noise: how many noise pictures. Defaults to 1.
        colours: the flat pictures' RGB colours. Defaults to one red.
        seed: the noise's seed. Defaults to 0.
    """
    import skimage.data

    pictures = {name: as_rgb(getattr(skimage.data, name)()) for name in SAMPLES}
    rng = np.random.default_rng(seed)
    for index in range(noise):
        pictures[f"noise {index}"] = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    for index, colour in enumerate(colours):
        pictures[f"flat {index}"] = np.full((128, 128, 3), colour, np.uint8)
    return pictures
