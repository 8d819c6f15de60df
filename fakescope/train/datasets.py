"""tf.data pipelines that stream a dataset from disk through the runtime's own `preprocess`.

Each file is decoded by `fakescope.runtime.preprocess` inside `tf.numpy_function`, so a training tensor is the
serving tensor, byte for byte. Files that fail to decode are skipped and recorded in a `DecodeReport`, never
crashing an epoch. Decoded tensors are cached (in memory when they fit a budget) before the optional
augmentation, then batched and prefetched.

Example:
    >>> records = split_records(discover("data/demo"), ("train",), "data/demo")["train"]
    >>> ds = make_dataset(records, InputSpec(32, 32, greyscale=True), augment=Augment(), shuffle=True)
    >>> x, y = next(iter(ds))
    >>> x.shape, y.shape
    (TensorShape([32, 32, 32, 3]), TensorShape([32, 1]))
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import tensorflow as tf

from fakescope.data.layout import TRAINING_LIMITS, ImageRecord
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.face_crop import FaceCrop
from fakescope.runtime.faces import FaceFinder
from fakescope.runtime.framing import frame
from fakescope.runtime.images import ImageLimits, load_image
from fakescope.runtime.preprocess import InputSpec, model_view_to_tensor, preprocess
from fakescope.train.augment import Augment, augment_batchless

CACHE_BUDGET_BYTES = 2 * 1024**3
"""Decoded tensors are cached in memory when they fit this budget; larger sets stream every epoch."""


class DecodeReport:
    """Thread-safe record of the files a pipeline skipped, with the reason.

    Example:
        >>> report.skipped
        [('data/train/fake/broken.jpg', 'broken.jpg: the image data is damaged (...)')]
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skipped: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        with self._lock:
            self._skipped.setdefault(path, message)

    @property
    def skipped(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self._skipped.items())

    def write_csv(self, path: str | Path) -> None:
        """Write `path,error` rows (a header only when nothing was skipped)."""
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["path", "error"])
            writer.writerows(self.skipped)


def class_weights(records: Sequence[ImageRecord]) -> dict[int, float]:
    """Balanced class weights n / (2 n_c), as Keras' `class_weight` expects; 1.0 for an absent class."""
    counts = np.bincount([r.label for r in records], minlength=2)
    total = counts.sum()
    return {label: float(total / (2 * n)) if n else 1.0 for label, n in enumerate(counts)}


def load_tensor(
    path: str | Path,
    spec: InputSpec,
    limits: ImageLimits = TRAINING_LIMITS,
    face_crop: FaceCrop | None = None,
) -> np.ndarray:
    """The model input for one file: exactly `fakescope.runtime.preprocess(path, spec, limits)`, or, with an
    enabled face crop (as the model card declares it), the view of the largest face that the runtime's
    `frame` cuts — the function `Detector` uses at serving time (centre crop if none).
    """
    if face_crop is None or not face_crop.enabled:
        return preprocess(path, spec, limits)
    framed = frame(load_image(path, limits), spec, _face_finder(), face_crop)
    return model_view_to_tensor(framed.views[0], spec)


@cache
def _face_finder() -> FaceFinder:
    return FaceFinder(threads=1)


def make_dataset(
    records: Sequence[ImageRecord],
    spec: InputSpec,
    *,
    batch_size: int = 32,
    shuffle: bool = False,
    augment: Augment | None = None,
    seed: int = 1337,
    cache: bool | None = None,
    limits: ImageLimits = TRAINING_LIMITS,
    report: DecodeReport | None = None,
    face_crop: FaceCrop | None = None,
) -> tf.data.Dataset:
    """Stream `records` as batches of (image (N, H, W, 3) float32, label (N, 1) float32).

    Args:
        records: labelled image files.
        spec: the model's input contract (size, greyscale, value range).
        batch_size: images per batch. Defaults to 32.
        shuffle: reshuffle the files every epoch. Defaults to False.
        augment: augmentations applied after the cache. Defaults to None (none).
        seed: seed of shuffling and augmentation. Defaults to 1337.
        cache: keep decoded tensors in memory; None decides by `CACHE_BUDGET_BYTES`. Defaults to None.
        limits: decoding limits. Defaults to `TRAINING_LIMITS`.
        report: collects the files that failed to decode. Defaults to None (a private report).
        face_crop: crop each image to its largest face first, as `load_tensor`. Defaults to None.

    Raises:
        ValueError: no records or `batch_size` < 1.
    """
    if not records:
        raise ValueError("no images to read: the split is empty")
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1. Received: batch_size={batch_size}")
    report = report if report is not None else DecodeReport()
    if cache is None:
        cache = len(records) * spec.height * spec.width * 3 * 4 <= CACHE_BUDGET_BYTES

    def decode(path: bytes) -> tuple[np.ndarray, bool]:
        name = path.decode()
        try:
            return load_tensor(name, spec, limits, face_crop), True
        except (InvalidImageError, OSError) as err:
            report.add(name, str(err))
            return np.zeros((spec.height, spec.width, 3), np.float32), False

    def read(path: tf.Tensor, label: tf.Tensor):
        image, ok = tf.numpy_function(decode, [path], [tf.float32, tf.bool], stateful=False)
        image.set_shape((spec.height, spec.width, 3))
        ok.set_shape(())
        return image, tf.reshape(tf.cast(label, tf.float32), (1,)), ok

    paths = [str(r.path) for r in records]
    labels = [r.label for r in records]
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    ds = ds.map(read, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.filter(_decoded).map(_without_flag)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(min(len(records), 10_000), seed=seed, reshuffle_each_iteration=True)
    if augment is not None and augment.enabled:

        def jitter(pair, key):
            return augment_batchless(pair[0], key, augment, spec), pair[1]

        keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip(ds, keys).map(
            jitter, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
        )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _decoded(image: tf.Tensor, label: tf.Tensor, ok: tf.Tensor) -> tf.Tensor:
    return ok


def _without_flag(image: tf.Tensor, label: tf.Tensor, ok: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    return image, label
