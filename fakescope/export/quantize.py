"""Quantise an exported FP32 model for edge devices: static INT8 (QDQ, per-channel) or FP16 weights.

INT8: `quant_pre_process` (shape inference and graph optimisation), then `quantize_static` calibrated on
images read through the runtime's `preprocess`. The head after the feature map (GAP, logit, sigmoid and the
CAM) stays in float32 by default: it is a few hundred multiply-adds and keeps the CAM and logit precise.
FP16: weights and activations in float16 with float32 `image` input and outputs, via onnxconverter-common.

Example:
    >>> reader = ImageCalibrationReader(image_paths("data/demo", 200, split="train"), card.input_spec)
    >>> int8 = quantize_int8(fp32_bytes, reader)
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from onnxruntime.quantization import CalibrationDataReader

from fakescope.data.layout import TRAINING_LIMITS
from fakescope.export.errors import QuantizationError
from fakescope.export.samples import load_batch
from fakescope.runtime.images import ImageLimits
from fakescope.runtime.preprocess import InputSpec
from fakescope.runtime.spec import INPUT_IMAGE, OUTPUT_LOGIT

if TYPE_CHECKING:
    import onnx

_CALIBRATION_METHODS = ("minmax", "entropy", "percentile")
_ACTIVATION_TYPES = ("uint8", "int8")
_FORMATS = ("qdq", "qoperator")


@dataclass(frozen=True)
class QuantizeConfig:
    """Options of the INT8 quantisation, checked before any work starts.

    Args:
        quant_format: "qdq" (QuantizeLinear/DequantizeLinear pairs, fused by onnxruntime) or "qoperator".
            Defaults to "qdq".
        per_channel: one weight scale per output channel. Defaults to True.
        reduce_range: 7-bit weights, for CPUs without VNNI where uint8 x int8 products may saturate.
            Defaults to False.
        activation_type: "uint8" or "int8". Defaults to "uint8" (onnxruntime's fast x86 path, U8S8).
        calibrate_method: "minmax", "entropy" or "percentile". Defaults to "minmax".
        keep_head_float: leave the nodes after the feature map in float32. Defaults to True.
    """

    quant_format: str = "qdq"
    per_channel: bool = True
    reduce_range: bool = False
    activation_type: str = "uint8"
    calibrate_method: str = "minmax"
    keep_head_float: bool = True

    def __post_init__(self) -> None:
        for name, allowed in (
            ("quant_format", _FORMATS),
            ("activation_type", _ACTIVATION_TYPES),
            ("calibrate_method", _CALIBRATION_METHODS),
        ):
            if getattr(self, name) not in allowed:
                raise QuantizationError(f"`{name}` must be one of {allowed}. got {getattr(self, name)!r}")
        if self.quant_format == "qoperator" and self.activation_type == "int8":
            raise QuantizationError("the qoperator format needs uint8 activations on onnxruntime's CPU")


class ImageCalibrationReader(CalibrationDataReader):
    """A `CalibrationDataReader` yielding `{"image": batch}` of preprocessed images, then None.

    Args:
        paths: calibration images (unreadable ones are skipped with a warning).
        spec: the model's input contract.
        batch_size: images per batch. Defaults to 16.
        limits: decoding limits. Defaults to training's (`TRAINING_LIMITS`).

    Raises:
        QuantizationError: `paths` is empty.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        spec: InputSpec,
        batch_size: int = 16,
        limits: ImageLimits = TRAINING_LIMITS,
    ) -> None:
        if not paths:
            raise QuantizationError("the calibration set is empty; pass a folder of images with --calib")
        if batch_size < 1:
            raise ValueError(f"`batch_size` must be >= 1. Received: batch_size={batch_size}")
        self.paths, self.spec, self.batch_size, self.limits = list(paths), spec, batch_size, limits
        self._next = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self._next >= len(self.paths):
            return None
        chunk = self.paths[self._next : self._next + self.batch_size]
        self._next += self.batch_size
        return {INPUT_IMAGE: load_batch(chunk, self.spec, self.limits)}

    def rewind(self) -> None:
        self._next = 0


def quantize_int8(
    model: bytes | onnx.ModelProto, reader: ImageCalibrationReader, config: QuantizeConfig | None = None
) -> onnx.ModelProto:
    """The statically quantised INT8 model of the FP32 `model` (not sealed with a card)."""
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    config = config or QuantizeConfig()
    if not isinstance(model, bytes):
        model = model.SerializeToString()
    with tempfile.TemporaryDirectory(prefix="fakescope-quant-") as tmp:
        source, prepared, quantized = (os.path.join(tmp, f"{n}.onnx") for n in ("fp32", "prepared", "int8"))
        Path(source).write_bytes(model)
        # ONNX shape inference resolves every shape of these CNNs (only the batch is dynamic); the symbolic
        # pass is for transformer-style dynamic shapes and would need sympy. (A path, not a ModelProto: the
        # in-memory route of quant_pre_process mishandles large initializers.)
        quant_pre_process(source, prepared, skip_symbolic_shape=True)
        excluded = head_nodes(onnx.load(prepared)) if config.keep_head_float else []
        quantize_static(
            prepared,
            quantized,
            reader,
            quant_format=QuantFormat.QDQ if config.quant_format == "qdq" else QuantFormat.QOperator,
            per_channel=config.per_channel,
            reduce_range=config.reduce_range,
            activation_type=QuantType.QUInt8 if config.activation_type == "uint8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=excluded,
            calibrate_method={
                "minmax": CalibrationMethod.MinMax,
                "entropy": CalibrationMethod.Entropy,
                "percentile": CalibrationMethod.Percentile,
            }[config.calibrate_method],
        )
        return onnx.load(quantized)


def convert_fp16(model: bytes | onnx.ModelProto) -> onnx.ModelProto:
    """The model with float16 weights and activations, keeping the float32 input and outputs.

    Weights too small or too large for float16 are clamped by onnxconverter-common (one summary warning).
    """
    import onnx
    from onnxconverter_common.float16 import convert_float_to_float16

    model = onnx.load_from_string(model) if isinstance(model, bytes) else _copy(model)
    _detach_outputs(model)
    with warnings.catch_warnings(record=True) as clamped:
        warnings.simplefilter("always", UserWarning)
        converted = convert_float_to_float16(model, keep_io_types=True)
    if clamped:
        warnings.warn(f"{len(clamped)} weights were clamped to the float16 range", stacklevel=2)
    return converted


def _detach_outputs(model: onnx.ModelProto) -> None:
    """Give every graph output that other nodes also read (the logit feeds the sigmoid) its own Identity.

    onnxconverter-common casts such an output back to float32 in place, and the nodes reading it would then
    mix float32 and float16.
    """
    from onnx import helper

    outputs = {o.name for o in model.graph.output}
    read = {name for node in model.graph.node for name in node.input} & outputs
    for name in sorted(read):
        inner = f"{name}__value"
        for node in model.graph.node:
            node.input[:] = [inner if i == name else i for i in node.input]
            node.output[:] = [inner if o == name else o for o in node.output]
        model.graph.node.append(helper.make_node("Identity", [inner], [name], name=f"{name}__output"))


def _copy(model: onnx.ModelProto) -> onnx.ModelProto:
    import onnx

    copied = onnx.ModelProto()
    copied.CopyFrom(model)
    return copied


def head_nodes(model: onnx.ModelProto) -> list[str]:
    """Names of the nodes downstream of the feature map A (the input of the GAP that feeds the logit).

    Raises:
        QuantizationError: no GlobalAveragePool feeds the logit output.
    """
    producers = {out: node for node in model.graph.node for out in node.output}
    feature_map = _gap_input_before(producers, OUTPUT_LOGIT)
    consumers: dict[str, list] = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    names, frontier = [], [feature_map]
    while frontier:
        for node in consumers.get(frontier.pop(), []):
            if node.name not in names:
                names.append(node.name)
                frontier.extend(node.output)
    return names


def _gap_input_before(producers: dict, output: str) -> str:
    seen, frontier = set(), [output]
    while frontier:
        node = producers.get(frontier.pop())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        if node.op_type == "GlobalAveragePool":
            return node.input[0]
        frontier.extend(node.input)
    raise QuantizationError(f"no GlobalAveragePool feeds {output!r}; is this a fakescope model?")
