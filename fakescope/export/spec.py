"""The export's I/O contract: one object read by conversion, validation, quantisation and the model card.

Example:
    >>> spec = ExportSpec(opset=17)
    >>> spec.output_names[:4], spec.tolerance("int8").prob_abs
    (('prob_fake', 'logit', 'cam', 'cam_layercam'), 0.05)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fakescope.runtime.spec import (
    CAM_LAYER,
    EXPLAIN_OUTPUTS,
    HEAD_LAYERS,
    INPUT_IMAGE,
    OUTPUT_LOGIT,
    OUTPUT_NAMES,
    OUTPUT_OOD,
    OUTPUT_PROB,
)

BATCH_AXIS = "N"
"""Name of the dynamic batch dimension of the input and every output."""

PRECISIONS = ("fp32", "fp16", "int8")
DEFAULT_OPSET = 17


@dataclass(frozen=True)
class Tolerance:
    """Largest accepted differences of one exported model against its reference.

    Args:
        prob_abs: max |prob_fake - reference|.
        logit_rel: max |logit - reference| / max(1, max |reference|).
        cam_rel: max |map - reference| / max |reference| over the batch, for every CAM output and for the
            feature map A.
        ood_rel: max |ood_score - reference| / max(1, max |reference|).
    """

    prob_abs: float
    logit_rel: float
    cam_rel: float
    ood_rel: float = 1e-3

    def limit(self, output: str) -> float:
        limits = {OUTPUT_PROB: self.prob_abs, OUTPUT_LOGIT: self.logit_rel, OUTPUT_OOD: self.ood_rel}
        return limits.get(output, self.cam_rel)


@dataclass(frozen=True)
class ExportSpec:
    """Names, opset and tolerances of a fakescope export.

    Args:
        opset: ONNX opset of the conversion. Defaults to 17.
        tolerances: per precision; fp32 is checked against Keras, fp16 and int8 against the FP32 ONNX model.
    """

    opset: int = DEFAULT_OPSET
    input_name: str = INPUT_IMAGE
    output_names: tuple[str, ...] = (*OUTPUT_NAMES, *EXPLAIN_OUTPUTS)
    batch_axis: str = BATCH_AXIS
    cam_layer: str = CAM_LAYER
    head_layers: tuple[str, ...] = HEAD_LAYERS
    tolerances: dict[str, Tolerance] = field(
        default_factory=lambda: {
            "fp32": Tolerance(prob_abs=1e-5, logit_rel=1e-4, cam_rel=1e-4),
            "fp16": Tolerance(prob_abs=5e-3, logit_rel=1e-2, cam_rel=2e-2, ood_rel=5e-2),
            "int8": Tolerance(prob_abs=0.05, logit_rel=0.2, cam_rel=0.2, ood_rel=0.5),
        }
    )

    def __post_init__(self) -> None:
        if not 13 <= self.opset <= 18:
            raise ValueError(f"`opset` must be in [13, 18] (tf2onnx 1.17). Received: opset={self.opset}")

    def tolerance(self, precision: str) -> Tolerance:
        if precision not in self.tolerances:
            raise ValueError(f"`precision` must be one of {PRECISIONS}. Received: precision={precision!r}")
        return self.tolerances[precision]


DEFAULT_SPEC = ExportSpec()
