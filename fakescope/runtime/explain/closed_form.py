"""The closed-form members: each reads its map from the graph (derived in `fakescope.export.head`).

HiResCAM and XGrad-CAM are not separate members: for the GAP → Dense(1) head they equal Grad-CAM.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from fakescope.runtime.explain.base import CamInputs, CamMethod, register
from fakescope.runtime.spec import (
    OUTPUT_CAM,
    OUTPUT_CAM_ABLATION,
    OUTPUT_CAM_LAYER,
    OUTPUT_CAM_PLUSPLUS,
    OUTPUT_CAM_REAL,
)


class GraphCam(CamMethod):
    """A map the exported graph computes; `raw` returns that output."""

    output: ClassVar[str]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.needs = (cls.output,)

    def raw(self, inputs: CamInputs) -> np.ndarray:
        return inputs.outputs[self.output]


@register
class GradCam(GraphCam):
    """Grad-CAM (= HiResCAM = XGrad-CAM for this head): ReLU(Σ_k w_k A_k)."""

    name, title, output = "gradcam", "Grad-CAM", OUTPUT_CAM


@register
class GradCamPlusPlus(GraphCam):
    """Grad-CAM++: ReLU(Σ_k v_k A_k) with v_k = max(w_k, 0) / (2 + w_k ā_k)."""

    name, title, output = "gradcam++", "Grad-CAM++", OUTPUT_CAM_PLUSPLUS


@register
class LayerCam(GraphCam):
    """LayerCAM, the positive evidence: ReLU(Σ_k max(w_k, 0) A_k)."""

    name, title, output = "layercam", "LayerCAM", OUTPUT_CAM_LAYER


@register
class AblationCam(GraphCam):
    """Ablation-CAM: ReLU(Σ_k (y - y_k) A_k), the logit's drop y - y_k = w_k ā_k when channel k is zeroed."""

    name, title, output = "ablationcam", "Ablation-CAM", OUTPUT_CAM_ABLATION


@register
class RealCam(GraphCam):
    """The evidence for REAL: Grad-CAM of the negated logit, ReLU(-Σ_k w_k A_k)."""

    name, title, output, target = "realcam", "evidence for REAL", OUTPUT_CAM_REAL, "REAL"
