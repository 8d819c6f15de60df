"""Validate an exported model against its reference: names, then shapes, then values, one line per output.

Every failure is collected before one typed error is raised (`ShapeError` for names and shapes, else
`ToleranceError`); a failed validation is never a warning.

Example:
    >>> report = validate(onnx_bytes, keras_reference(model, batch), batch, spec.tolerance("fp32"))
    >>> print(report.table())
    ✓ prob_fake        (8, 1)             max abs diff 3.0e-08 <= 1e-05
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fakescope.export.errors import ShapeError, ToleranceError
from fakescope.export.spec import Tolerance
from fakescope.runtime.sessions import make_session, read_model_bytes
from fakescope.runtime.spec import INPUT_IMAGE, OUTPUT_FEATURES, OUTPUT_LOGIT, OUTPUT_OOD, OUTPUT_PROB

if TYPE_CHECKING:
    import onnx

_MEASURES = {
    OUTPUT_PROB: "max abs diff",
    OUTPUT_LOGIT: "max rel diff",
    OUTPUT_OOD: "max rel diff",
    OUTPUT_FEATURES: "max diff / |A| max",
}
_MAP_MEASURE = "max diff / map max"
_WIDTH = 16


@dataclass(frozen=True)
class OutputCheck:
    """The comparison of one output with its reference."""

    name: str
    expected_shape: tuple[int, ...] | None
    actual_shape: tuple[int, ...] | None
    difference: float | None = None
    limit: float | None = None
    note: str = ""
    measure: str = ""
    """How `difference` was measured; defaults to the measure of the exporter's output of that name."""

    @property
    def passed(self) -> bool:
        return self.shape_ok and self.difference is not None and self.difference <= self.limit

    @property
    def shape_ok(self) -> bool:
        return self.expected_shape is not None and self.expected_shape == self.actual_shape

    def line(self) -> str:
        if self.actual_shape is None:
            return f"x {self.name:<{_WIDTH}} missing from the exported model"
        if self.expected_shape is None:
            return f"x {self.name:<{_WIDTH}} unexpected output"
        if not self.shape_ok:
            return f"x {self.name:<{_WIDTH}} shape {self.actual_shape} != reference {self.expected_shape}"
        mark, cmp = ("✓", "<=") if self.passed else ("x", ">")
        shape = str(self.actual_shape)
        measure = self.measure or _MEASURES.get(self.name, _MAP_MEASURE)
        line = f"{mark} {self.name:<{_WIDTH}} {shape:<18} {measure} {self.difference:.1e}"
        line = f"{line} {cmp} {self.limit:g}"
        return f"{line} ({self.note})" if self.note else line


@dataclass(frozen=True)
class ValidationReport:
    """All output checks of one model against one reference (e.g. "keras" or "fp32 onnx")."""

    precision: str
    against: str
    checks: tuple[OutputCheck, ...]
    images: int

    @property
    def ok(self) -> bool:
        return all(check.passed for check in self.checks)

    def table(self) -> str:
        title = f"{self.precision} vs {self.against} on {self.images} images"
        return "\n".join([title, *(check.line() for check in self.checks)])

    def differences(self) -> dict[str, float]:
        """{output: difference} of the outputs that could be compared."""
        return {c.name: c.difference for c in self.checks if c.difference is not None}

    def raise_for_failures(self) -> None:
        failed = [check for check in self.checks if not check.passed]
        if not failed:
            return
        kind = ShapeError if any(not check.shape_ok for check in failed) else ToleranceError
        raise kind(f"{self.precision} export failed validation against {self.against}:\n{self.table()}")


def compare(
    outputs: dict[str, np.ndarray],
    reference: dict[str, np.ndarray],
    tolerance: Tolerance,
    precision: str = "fp32",
    against: str = "keras",
) -> ValidationReport:
    """Check `outputs` against `reference` by name, shape, then value; never raises (`raise_for_failures`).

    The reference's names, in its order, are the outputs expected; any other output is unexpected.
    """
    checks = []
    for name in (*reference, *sorted(set(outputs) - set(reference))):
        got, want = outputs.get(name), reference.get(name)
        check = OutputCheck(
            name,
            tuple(want.shape) if want is not None else None,
            tuple(got.shape) if got is not None else None,
        )
        if check.shape_ok:
            vacuous = name not in _MEASURES and not np.any(want > 0)
            check = OutputCheck(
                name,
                check.expected_shape,
                check.actual_shape,
                _difference(name, got, want),
                tolerance.limit(name),
                "the reference map is zero on every image" if vacuous else "",
            )
        checks.append(check)
    return ValidationReport(precision, against, tuple(checks), len(next(iter(reference.values()))))


def validate(
    model: bytes | str | os.PathLike | onnx.ModelProto,
    reference: dict[str, np.ndarray],
    batch: np.ndarray,
    tolerance: Tolerance,
    precision: str = "fp32",
    against: str = "keras",
) -> ValidationReport:
    """Run `model` on `batch` with onnxruntime and compare with `reference`; raise on any failure.

    Raises:
        ShapeError: an output is missing, unexpected or has the wrong shape.
        ToleranceError: an output differs by more than `tolerance`.
    """
    report = compare(run_onnx(model, batch), reference, tolerance, precision, against)
    report.raise_for_failures()
    return report


def run_onnx(model: bytes | str | os.PathLike | onnx.ModelProto, batch: np.ndarray) -> dict[str, np.ndarray]:
    """Every output of `model` on `batch`, with onnxruntime's CPU provider and all graph optimisations."""
    path = None
    if isinstance(model, (str, os.PathLike)):
        path, model = model, read_model_bytes(model)
    elif not isinstance(model, bytes):
        model = model.SerializeToString()
    session = make_session(model, path)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {INPUT_IMAGE: batch.astype(np.float32)}), strict=True))


def _difference(name: str, got: np.ndarray, want: np.ndarray) -> float:
    got, want = got.astype(np.float64), want.astype(np.float64)
    diff = float(np.max(np.abs(got - want), initial=0.0))
    if name in (OUTPUT_LOGIT, OUTPUT_OOD):
        return diff / max(1.0, float(np.max(np.abs(want), initial=0.0)))
    if name == OUTPUT_PROB:
        return diff
    return diff / max(float(np.max(np.abs(want), initial=0.0)), 1e-12)
