"""The single preprocessing function shared by training, calibration, evaluation and inference.

Pipeline: `load_image` (decode, validate, EXIF, RGB uint8) → centre crop to the model's aspect →
resize with Pillow's antialiased bilinear filter → optional greyscale (ITU-R 601 luma, replicated to 3
channels) → float32 scaled linearly from [0, 255] to the card's value range.

Example:
    >>> spec = InputSpec(height=160, width=160)
    >>> x = preprocess("face.jpg", spec)
    >>> x.shape, x.dtype, float(x.min()) >= 0.0
    ((160, 160, 3), dtype('float32'), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from fakescope.runtime.images import DEFAULT_LIMITS, DecodedImage, ImageLimits, ImageSource, load_image

RESIZE_FILTER = "bilinear"
"""Pillow's BILINEAR resize, which widens its support when downscaling (antialiased)."""

DRAFT_FACTOR = 2
"""JPEG DCT-scaled decoding never goes below this multiple of the model input size."""


@dataclass(frozen=True)
class InputSpec:
    """What the model expects, as declared by its model card.

    Args:
        height: input height in pixels. Defaults to 160.
        width: input width in pixels. Defaults to 160.
        greyscale: convert to luma and replicate it to 3 channels. Defaults to False.
        value_range: (low, high) that pixel values 0 and 255 map to. Defaults to (0.0, 1.0).
    """

    height: int = 160
    width: int = 160
    greyscale: bool = False
    value_range: tuple[float, float] = (0.0, 1.0)

    def __post_init__(self) -> None:
        if self.height < 8 or self.width < 8:
            raise ValueError(f"input size must be >= 8. Received: height={self.height}, width={self.width}")
        low, high = self.value_range
        if not high > low:
            raise ValueError(f"`value_range` must be increasing. Received: value_range={self.value_range}")

    @property
    def size(self) -> tuple[int, int]:
        """(width, height), Pillow's order."""
        return (self.width, self.height)


def preprocess(
    image: ImageSource | DecodedImage,
    spec: InputSpec = InputSpec(),
    limits: ImageLimits = DEFAULT_LIMITS,
) -> np.ndarray:
    """Turn any supported image into the model's float32 (H, W, 3) input.

    Args:
        image: anything `load_image` accepts, or an already decoded image.
        spec: the model's input contract. Defaults to 160x160 RGB in [0, 1].
        limits: decoding limits. Defaults to `DEFAULT_LIMITS`.

    Returns:
        float32 array of shape (spec.height, spec.width, 3).
    """
    return model_view_to_tensor(model_view(image, spec, limits), spec)


def model_view(
    image: ImageSource | DecodedImage,
    spec: InputSpec = InputSpec(),
    limits: ImageLimits = DEFAULT_LIMITS,
) -> np.ndarray:
    """The uint8 (H, W, 3) picture the model sees: cropped, resized and (if declared) greyscale."""
    if not isinstance(spec, InputSpec):
        raise TypeError(f"`spec` must be an InputSpec. Received: {type(spec).__name__}")
    decoded = (
        image
        if isinstance(image, DecodedImage)
        else load_image(image, limits, draft_size=draft_size_for(spec))
    )
    pil = Image.fromarray(decoded.pixels)
    pil = pil.crop(crop_box(pil.size, spec))
    if pil.size != spec.size:
        pil = pil.resize(spec.size, Image.Resampling.BILINEAR)
    if spec.greyscale:
        pil = pil.convert("L").convert("RGB")
    return np.asarray(pil, dtype=np.uint8)


def model_view_to_tensor(view: np.ndarray, spec: InputSpec) -> np.ndarray:
    """Scale a uint8 model view into the card's float32 value range."""
    low, high = spec.value_range
    tensor = view.astype(np.float32) / np.float32(255.0)
    if (low, high) != (0.0, 1.0):
        tensor = tensor * np.float32(high - low) + np.float32(low)
    return tensor


def crop_box(size: tuple[int, int], spec: InputSpec) -> tuple[int, int, int, int]:
    """The centred (left, top, right, bottom) box of `size` with the model's aspect ratio."""
    width, height = size
    target = spec.width / spec.height
    if width / height > target:
        new_width = max(1, round(height * target))
        left = (width - new_width) // 2
        return (left, 0, left + new_width, height)
    new_height = max(1, round(width / target))
    top = (height - new_height) // 2
    return (0, top, width, top + new_height)


def draft_size_for(spec: InputSpec) -> tuple[int, int]:
    return (spec.width * DRAFT_FACTOR, spec.height * DRAFT_FACTOR)
