"""Training augmentations as stateless TensorFlow ops, each switchable and seeded.

Geometric and colour jitter (flip, small crop, brightness/contrast/saturation) plus the robustness
augmentations that matter for deepfakes: JPEG re-encoding at a random quality, Gaussian blur and resize
down-then-up. Each runs with its own probability (0 switches it off). Ops work on [0, 1] images; a greyscale
input stays greyscale.

Example:
    >>> aug = Augment.only("flip", "jpeg")
    >>> aug.enabled, aug.blur
    (True, 0.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import tensorflow as tf

from fakescope.runtime.preprocess import InputSpec

OPS = ("flip", "crop", "colour", "jpeg", "blur", "resize")


@dataclass(frozen=True)
class Augment:
    """Probabilities (0 = off) and ranges of the augmentations.

    Args:
        flip: probability of a horizontal flip. Defaults to 0.5.
        crop: probability of a random crop of `crop_min_scale`..1 of the side, resized back. Defaults to 0.3.
        colour: probability of brightness/contrast (and, for RGB, saturation) jitter. Defaults to 0.5.
        jpeg: probability of a JPEG round trip at a quality in `jpeg_quality`. Defaults to 0.3.
        blur: probability of a Gaussian blur with sigma in `blur_sigma` pixels. Defaults to 0.2.
        resize: probability of resizing down to `resize_min_scale`..0.9 of the side and back up.
            Defaults to 0.2.
    """

    flip: float = 0.5
    crop: float = 0.3
    colour: float = 0.5
    jpeg: float = 0.3
    blur: float = 0.2
    resize: float = 0.2
    crop_min_scale: float = 0.85
    brightness: float = 0.1
    contrast: float = 0.15
    jpeg_quality: tuple[int, int] = (30, 95)
    blur_sigma: tuple[float, float] = (0.2, 1.2)
    resize_min_scale: float = 0.5

    def __post_init__(self) -> None:
        for name in OPS:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(
                    f"`{name}` probability must be in [0, 1]. Received: {name}={getattr(self, name)}"
                )
        low, high = self.jpeg_quality
        if not 0 <= low <= high <= 100:
            raise ValueError(f"`jpeg_quality` must be 0 <= low <= high <= 100. Received: {self.jpeg_quality}")
        if not 0 < self.blur_sigma[0] <= self.blur_sigma[1]:
            raise ValueError(f"`blur_sigma` must be 0 < low <= high. Received: {self.blur_sigma}")
        for name in ("crop_min_scale", "resize_min_scale"):
            if not 0.1 <= getattr(self, name) <= 1.0:
                raise ValueError(f"`{name}` must be in [0.1, 1]. Received: {getattr(self, name)}")

    @property
    def enabled(self) -> bool:
        return any(getattr(self, name) > 0 for name in OPS)

    @classmethod
    def only(cls, *names: str) -> Augment:
        """The default settings with every op not in `names` switched off."""
        unknown = sorted(set(names) - set(OPS))
        if unknown:
            raise ValueError(f"unknown augmentation(s) {unknown}; choose from {OPS}")
        return replace(cls(), **{name: 0.0 for name in OPS if name not in names})


def augment_batchless(image: tf.Tensor, key: tf.Tensor, augment: Augment, spec: InputSpec) -> tf.Tensor:
    """Augment one (H, W, 3) image in `spec.value_range`, deterministically for a given int64 pair `key`."""
    low, high = spec.value_range
    x = (image - low) / (high - low)
    seeds = tf.random.experimental.stateless_split(tf.cast(key, tf.int64), num=2 * len(OPS))
    size = (spec.height, spec.width)
    steps = {
        "flip": lambda x, s: tf.image.flip_left_right(x),
        "crop": lambda x, s: _crop(x, s, augment.crop_min_scale, size),
        "colour": lambda x, s: _colour(x, s, augment, spec.greyscale),
        "jpeg": lambda x, s: tf.image.stateless_random_jpeg_quality(x, *augment.jpeg_quality, seed=s),
        "blur": lambda x, s: _blur(x, s, augment.blur_sigma),
        "resize": lambda x, s: _down_up(x, s, augment.resize_min_scale, size),
    }
    for i, name in enumerate(OPS):
        probability = getattr(augment, name)
        if probability <= 0:
            continue
        gate = tf.random.stateless_uniform((), seed=seeds[2 * i]) < probability
        x = tf.cond(gate, lambda x=x, i=i, name=name: steps[name](x, seeds[2 * i + 1]), lambda x=x: x)
        x = tf.clip_by_value(tf.ensure_shape(x, (*size, 3)), 0.0, 1.0)
    if spec.greyscale:  # the JPEG round trip can leave the three equal channels a grey level apart
        x = tf.repeat(tf.reduce_mean(x, axis=-1, keepdims=True), 3, axis=-1)
    return x * (high - low) + low


def _crop(x: tf.Tensor, seed: tf.Tensor, min_scale: float, size: tuple[int, int]) -> tf.Tensor:
    s1, s2 = tf.unstack(tf.random.experimental.stateless_split(seed, num=2))
    scale = tf.random.stateless_uniform((), s1, minval=min_scale, maxval=1.0)
    crop_h = tf.cast(tf.round(scale * size[0]), tf.int32)
    crop_w = tf.cast(tf.round(scale * size[1]), tf.int32)
    cropped = tf.image.stateless_random_crop(x, tf.stack([crop_h, crop_w, 3]), seed=s2)
    return tf.image.resize(cropped, size, method="bilinear", antialias=True)


def _colour(x: tf.Tensor, seed: tf.Tensor, augment: Augment, greyscale: bool) -> tf.Tensor:
    s1, s2, s3 = tf.unstack(tf.random.experimental.stateless_split(seed, num=3))
    x = tf.image.stateless_random_brightness(x, augment.brightness, seed=s1)
    x = tf.image.stateless_random_contrast(x, 1 - augment.contrast, 1 + augment.contrast, seed=s2)
    if not greyscale:
        x = tf.image.stateless_random_saturation(x, 1 - augment.contrast, 1 + augment.contrast, seed=s3)
    return x


def _blur(x: tf.Tensor, seed: tf.Tensor, sigma_range: tuple[float, float]) -> tf.Tensor:
    sigma = tf.random.stateless_uniform((), seed, minval=sigma_range[0], maxval=sigma_range[1])
    radius = math.ceil(2 * sigma_range[1])
    offsets = tf.range(-radius, radius + 1, dtype=tf.float32)
    kernel = tf.exp(-0.5 * tf.square(offsets / sigma))
    kernel = kernel / tf.reduce_sum(kernel)
    padded = tf.pad(x[None], [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT")
    rows = tf.tile(tf.reshape(kernel, (-1, 1, 1, 1)), (1, 1, 3, 1))
    cols = tf.tile(tf.reshape(kernel, (1, -1, 1, 1)), (1, 1, 3, 1))
    out = tf.nn.depthwise_conv2d(padded, rows, strides=(1, 1, 1, 1), padding="VALID")
    return tf.nn.depthwise_conv2d(out, cols, strides=(1, 1, 1, 1), padding="VALID")[0]


def _down_up(x: tf.Tensor, seed: tf.Tensor, min_scale: float, size: tuple[int, int]) -> tf.Tensor:
    scale = tf.random.stateless_uniform((), seed, minval=min_scale, maxval=0.9)
    small = tf.maximum(tf.cast(tf.round(scale * tf.constant(size, tf.float32)), tf.int32), 1)
    down = tf.image.resize(x, small, method="bilinear", antialias=True)
    return tf.image.resize(down, size, method="bilinear")
