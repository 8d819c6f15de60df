"""Tiny fakescope-compatible ONNX graphs built with `onnx.helper`, for runtime tests without TensorFlow.

The graph is the real head the exporter emits: conv(ReLU) feature map A -> GAP -> Dense(1) logit -> sigmoid,
and cam = ReLU(sum_k w_k A_k) / (h w). `reference_outputs` recomputes all three in numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fakescope.export.card_io import seal_model
from fakescope.runtime.card import ModelCard
from fakescope.runtime.face_crop import FaceCrop

CHANNELS = 4


def tiny_weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "conv_w": rng.normal(0, 0.5, (CHANNELS, 3, 3, 3)).astype(np.float32),
        "conv_b": rng.normal(0, 0.1, (CHANNELS,)).astype(np.float32),
        "dense_w": rng.normal(0, 2.0, (CHANNELS, 1)).astype(np.float32),
        "dense_b": np.array([0.1], dtype=np.float32),
    }


def tiny_model(
    size: int = 32, greyscale: bool = False, seed: int = 0, threshold: float = 0.5
) -> onnx.ModelProto:
    w = tiny_weights(seed)
    inits = [numpy_helper.from_array(v, k) for k, v in w.items()]
    hw = float((size // 2) * (size // 2))
    inits.append(numpy_helper.from_array(np.array(1.0 / hw, dtype=np.float32), "inv_hw"))
    inits.append(numpy_helper.from_array(w["dense_w"].reshape(1, CHANNELS, 1, 1), "cam_w"))
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "conv_w", "conv_b"], ["conv"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["features"]),
        helper.make_node("GlobalAveragePool", ["features"], ["gap4"]),
        helper.make_node("Flatten", ["gap4"], ["gap"]),
        helper.make_node("Gemm", ["gap", "dense_w", "dense_b"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["prob_fake"]),
        helper.make_node("Mul", ["features", "cam_w"], ["weighted"]),
        helper.make_node("ReduceSum", ["weighted", "axes1"], ["summed"], keepdims=0),
        helper.make_node("Relu", ["summed"], ["cam_relu"]),
        helper.make_node("Mul", ["cam_relu", "inv_hw"], ["cam"]),
    ]
    inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axes1"))
    graph = helper.make_graph(
        nodes,
        "tiny_fakescope",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", size, size, 3])],
        [
            helper.make_tensor_value_info("prob_fake", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N", 1]),
            helper.make_tensor_value_info("cam", TensorProto.FLOAT, ["N", size // 2, size // 2]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def tiny_card(size: int = 32, greyscale: bool = False, threshold: float = 0.5, face_crop=None) -> ModelCard:
    """`face_crop`: a `FaceCrop`, or its card entry as a dict. Defaults to none."""
    return ModelCard(
        face_crop=FaceCrop.from_dict(face_crop or {}) if not isinstance(face_crop, FaceCrop) else face_crop,
        name="tiny-test",
        version="0.0.1",
        architecture="tiny_conv",
        input_height=size,
        input_width=size,
        greyscale=greyscale,
        threshold=threshold,
        limitations="random weights; for tests only",
    )


def write_tiny_model(
    path: Path, size: int = 32, greyscale: bool = False, seed: int = 0, threshold: float = 0.5, face_crop=None
) -> Path:
    card = tiny_card(size, greyscale, threshold, face_crop)
    path.write_bytes(seal_model(tiny_model(size, greyscale, seed), card))
    return path


def reference_outputs(batch: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """prob (N,), logit (N,), raw cam (N, h, w) computed with numpy from the same weights."""
    w = tiny_weights(seed)
    x = np.transpose(batch, (0, 3, 1, 2)).astype(np.float64)
    n, _, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = height // 2, width // 2
    features = np.zeros((n, CHANNELS, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = padded[:, :, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]
            features[:, :, i, j] = np.einsum("ncij,kcij->nk", patch, w["conv_w"]) + w["conv_b"]
    features = np.maximum(features, 0)
    dense = w["dense_w"][:, 0].astype(np.float64)
    logit = features.mean(axis=(2, 3)) @ dense + w["dense_b"][0]
    cam = np.maximum(np.einsum("nkij,k->nij", features, dense), 0) / (oh * ow)
    return 1 / (1 + np.exp(-logit)), logit, cam
