"""Typed errors of the export. Each message is one line (a validation error adds its table).

Example:
    >>> try:
    ...     export_model("model.keras", "model.onnx")
    ... except ToleranceError as err:
    ...     print(err)
"""

from fakescope.runtime.errors import FakescopeError


class ExportError(FakescopeError):
    """The model cannot be exported."""


class UnsupportedHeadError(ExportError):
    """The head is not last_conv → GAP → Dropout → Dense(1) → sigmoid: no exact in-graph CAM for it."""


class ValidationError(ExportError):
    """The exported model does not reproduce its reference."""


class ShapeError(ValidationError):
    """An output is missing, unexpected, or has the wrong shape."""


class ToleranceError(ValidationError):
    """An output's values differ from the reference by more than the tolerance."""


class QuantizationError(ExportError):
    """The quantisation options or calibration data are unusable."""
