"""Keras 3 functional models with the head the exporter turns into an exact in-graph Grad-CAM.

Every model takes `image` (N, S, S, 3) float32 in [0, 1] (any backbone rescaling is a layer inside) and ends
with the named layers `last_conv` (the last 4-D feature map A) → `gap` (GlobalAveragePooling2D) → `dropout` →
`logit` (Dense(1), linear) → `prob_fake` (sigmoid, the output).

Example:
    >>> model = build_model("small_cnn", input_size=32, seed=0)
    >>> model.output_shape, model.get_layer("last_conv").output.shape
    ((None, 1), (None, 8, 8, 64))
"""

from __future__ import annotations

import math
import warnings

import keras
from keras import layers

from fakescope.runtime.spec import (
    CAM_LAYER,
    DROPOUT_LAYER,
    GAP_LAYER,
    HEAD_LAYERS,
    INPUT_IMAGE,
    OUTPUT_LOGIT,
    OUTPUT_PROB,
    SCALE_LAYER,
)

ARCHITECTURES = ("small_cnn", "mobilenet_v2", "efficientnet_b0")
OWN_LAYERS = (INPUT_IMAGE, SCALE_LAYER, CAM_LAYER, *HEAD_LAYERS)
"""Layers that are not part of a pretrained backbone."""

MIN_INPUT_SIZE = 32
SMALL_CNN_WIDTH = 32
"""Filters of small_cnn's first stage; each later stage doubles them, up to SMALL_CNN_MAX_WIDTH."""
SMALL_CNN_MAX_WIDTH = 128
SMALL_CNN_BN_MOMENTUM = 0.9
"""Faster-moving BatchNorm statistics than Keras' 0.99: small datasets give few steps per epoch."""
SMALL_CNN_FEATURE_SIDE = 8
"""small_cnn halves the input while its feature map stays >= this side (8x8 at 32 px, 10x10 at 160 px)."""


def build_model(
    arch: str,
    input_size: int = 160,
    *,
    dropout: float = 0.2,
    weights: str | None = None,
    seed: int | None = None,
) -> keras.Model:
    """Build a fakescope classifier.

    Args:
        arch: one of `ARCHITECTURES`.
        input_size: square input side in pixels (>= 32). Defaults to 160.
        dropout: dropout rate before the logit. Defaults to 0.2.
        weights: None (random init) or "imagenet" for the transfer backbones; when ImageNet weights cannot be
            loaded (offline), warns and falls back to random init. Defaults to None.
        seed: seeds Python, numpy and TensorFlow (`keras.utils.set_random_seed`) for reproducible weights.
            Defaults to None.

    Returns:
        A functional `keras.Model` with output `prob_fake` (N, 1).

    Raises:
        ValueError: unknown `arch`, `input_size` < 32, `dropout` outside [0, 1), or unknown `weights`.
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"`arch` must be one of {ARCHITECTURES}. Received: arch={arch!r}")
    if input_size < MIN_INPUT_SIZE:
        raise ValueError(f"`input_size` must be >= {MIN_INPUT_SIZE}. Received: input_size={input_size}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
    if weights not in (None, "imagenet"):
        raise ValueError(f"`weights` must be None or 'imagenet'. Received: weights={weights!r}")
    if weights is not None and arch == "small_cnn":
        raise ValueError("`small_cnn` has no pretrained weights; use weights=None")
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input((input_size, input_size, 3), name=INPUT_IMAGE)
    if arch == "small_cnn":
        features = _small_cnn(inputs, input_size)
    else:
        features = layers.Identity(name=CAM_LAYER)(_backbone(arch, inputs, weights))
    x = layers.GlobalAveragePooling2D(name=GAP_LAYER)(features)
    x = layers.Dropout(dropout, seed=seed, name=DROPOUT_LAYER)(x)
    logit = layers.Dense(1, name=OUTPUT_LOGIT)(x)
    prob = layers.Activation("sigmoid", name=OUTPUT_PROB)(logit)
    return keras.Model(inputs, prob, name=arch)


def backbone_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers of a transfer model's backbone, input to output (empty for small_cnn)."""
    if model.name == "small_cnn":
        return []
    return [layer for layer in model.layers if layer.name not in OWN_LAYERS]


def _small_cnn(inputs: keras.KerasTensor, input_size: int) -> keras.KerasTensor:
    stages = max(1, math.floor(math.log2(input_size / SMALL_CNN_FEATURE_SIDE)))
    x = inputs
    for stage in range(stages):
        width = min(SMALL_CNN_WIDTH * 2**stage, SMALL_CNN_MAX_WIDTH)
        for conv in (1, 2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"block{stage + 1}_conv{conv}")(
                x
            )
            x = layers.BatchNormalization(momentum=SMALL_CNN_BN_MOMENTUM, name=f"block{stage + 1}_bn{conv}")(
                x
            )
            x = layers.ReLU(name=f"block{stage + 1}_relu{conv}")(x)
        x = layers.MaxPooling2D(2, name=f"block{stage + 1}_pool")(x)
    width = min(SMALL_CNN_WIDTH * 2**stages, SMALL_CNN_MAX_WIDTH)
    return layers.Conv2D(width, 3, padding="same", activation="relu", name=CAM_LAYER)(x)


def _backbone(arch: str, inputs: keras.KerasTensor, weights: str | None) -> keras.KerasTensor:
    if arch == "mobilenet_v2":
        scaled = layers.Rescaling(2.0, offset=-1.0, name=SCALE_LAYER)(inputs)  # [0, 1] -> [-1, 1]
        application = keras.applications.MobileNetV2
    else:
        scaled = layers.Rescaling(255.0, name=SCALE_LAYER)(
            inputs
        )  # [0, 1] -> [0, 255], EfficientNet rescales inside
        application = keras.applications.EfficientNetB0
    try:
        backbone = application(include_top=False, weights=weights, input_tensor=scaled)
    except Exception as err:  # offline, blocked URL, corrupt cache: Keras raises several types
        if weights is None:
            raise
        warnings.warn(
            f"could not load ImageNet weights for {arch} ({type(err).__name__}: {err}); "
            "falling back to random initialisation",
            stacklevel=3,
        )
        backbone = application(include_top=False, weights=None, input_tensor=scaled)
    return backbone.output
