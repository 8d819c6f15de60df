"""Validation compares outputs by name, then shape, then value, prints one line per output and collects every
failure before raising one typed error."""

from __future__ import annotations

import numpy as np
import pytest

from fakescope.export.errors import ShapeError, ToleranceError
from fakescope.export.spec import DEFAULT_SPEC, ExportSpec
from fakescope.export.validate import compare

FP32 = DEFAULT_SPEC.tolerance("fp32")


def _outputs(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    logit = rng.normal(0, 2, (6, 1)).astype(np.float32)
    cam = np.maximum(rng.normal(0, 1, (6, 4, 4)), 0).astype(np.float32)
    return {"prob_fake": 1 / (1 + np.exp(-logit)), "logit": logit, "cam": cam}


def test_matching_outputs_pass_with_one_tick_line_each():
    reference = _outputs()
    report = compare({k: v.copy() for k, v in reference.items()}, reference, FP32)
    assert report.ok
    lines = report.table().splitlines()
    assert lines[0] == "fp32 vs keras on 6 images"
    assert [line.split()[:2] for line in lines[1:]] == [["✓", "prob_fake"], ["✓", "logit"], ["✓", "cam"]]


def test_every_value_failure_is_collected_into_one_tolerance_error():
    reference = _outputs()
    got = {k: v.copy() for k, v in reference.items()}
    got["prob_fake"][2] += 3e-5
    got["cam"][1, 2, 2] += 2e-4 * reference["cam"].max()
    report = compare(got, reference, FP32)
    assert report.differences()["prob_fake"] == pytest.approx(3e-5, rel=1e-2)
    assert report.differences()["cam"] == pytest.approx(2e-4, rel=1e-2)
    with pytest.raises(ToleranceError) as caught:
        report.raise_for_failures()
    message = str(caught.value)
    assert "x prob_fake" in message and "x cam" in message and "✓ logit" in message


def test_cam_difference_is_relative_to_the_reference_maximum():
    reference = _outputs()
    got = {k: v.copy() for k, v in reference.items()}
    got["cam"] = got["cam"] * np.float32(1 + 5e-5)
    small = compare(got, reference, FP32).differences()["cam"]
    scaled_ref = reference | {"cam": reference["cam"] * 1000}
    scaled_got = got | {"cam": got["cam"] * 1000}
    assert compare(scaled_got, scaled_ref, FP32).differences()["cam"] == pytest.approx(small, rel=1e-3)
    assert small == pytest.approx(5e-5, rel=1e-2)


def test_an_all_zero_reference_cam_is_flagged_in_the_table():
    reference = _outputs() | {"cam": np.zeros((6, 4, 4), np.float32)}
    line = compare(reference, reference, FP32).table().splitlines()[-1]
    assert line.startswith("✓ cam") and line.endswith("(the reference map is zero on every image)")


def test_missing_and_misshapen_outputs_raise_shape_error_listing_both():
    reference = _outputs()
    got = {"prob_fake": reference["prob_fake"], "cam": reference["cam"][:, :2]}
    with pytest.raises(ShapeError) as caught:
        compare(got, reference, FP32).raise_for_failures()
    message = str(caught.value)
    assert f"x {'logit':<16} missing" in message and f"x {'cam':<16} shape (6, 2, 4)" in message


def test_an_unexpected_output_fails():
    reference = _outputs()
    got = reference | {"extra": np.zeros(3)}
    with pytest.raises(ShapeError, match=r"extra .*unexpected"):
        compare(got, reference, FP32).raise_for_failures()


def test_quantised_tolerances_are_looser_and_opset_is_checked():
    spec = ExportSpec()
    assert spec.tolerance("fp32").prob_abs < spec.tolerance("fp16").prob_abs < spec.tolerance("int8").prob_abs
    with pytest.raises(ValueError, match="precision"):
        spec.tolerance("int4")
    with pytest.raises(ValueError, match="opset"):
        ExportSpec(opset=9)
