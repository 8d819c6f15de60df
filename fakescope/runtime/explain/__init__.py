"""Explanations you can check: the CAM family and faithfulness scores, with numpy and onnxruntime only.

Example:
    >>> from fakescope.runtime import Detector
    >>> explanation = Detector().explain("face.jpg", methods=["gradcam", "layercam"])
    >>> explanation.maps["layercam"].shape, type(explanation.faithfulness["layercam"].road_combined)
    ((32, 32), <class 'float'>)
"""

from fakescope.runtime.explain.base import (
    CAM_METHODS,
    CamInputs,
    CamMethod,
    available_methods,
    cam_method,
    method_names,
)
from fakescope.runtime.explain.explainer import explain_view
from fakescope.runtime.explain.explanation import Explanation
from fakescope.runtime.explain.faithfulness import Faithfulness, deletion_insertion, faithfulness, road

__all__ = [
    "CAM_METHODS",
    "CamInputs",
    "CamMethod",
    "Explanation",
    "Faithfulness",
    "available_methods",
    "cam_method",
    "deletion_insertion",
    "explain_view",
    "faithfulness",
    "method_names",
    "road",
]
