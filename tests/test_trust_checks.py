"""Checks 2-4 and temperature scaling in the Detector, on tiny sealed ONNX models whose cards carry the trust
fields: each verdict is compared with an independent numpy computation of the same graph."""

from __future__ import annotations

import json
import math
import subprocess
import warnings
from dataclasses import replace

import numpy as np
import onnx
import pytest
from image_factory import encode, fakescope_command, random_rgb
from onnx import helper
from onnx_fixtures import CHANNELS, reference_outputs, tiny_card, tiny_model, tiny_weights

from fakescope.export.card_io import seal_model
from fakescope.runtime import Detector, ModelCard, load_image
from fakescope.runtime.card_trust import trust_lines
from fakescope.runtime.degrade import DEGRADATIONS, TTA_COPIES
from fakescope.runtime.errors import ModelCardError
from fakescope.runtime.models import models_dir
from fakescope.runtime.preprocess import model_view, model_view_to_tensor
from fakescope.runtime.spec import OUTPUT_OOD

SPEC = tiny_card().input_spec


def with_ood_output(model: onnx.ModelProto) -> onnx.ModelProto:
    """The tiny graph plus ood_score = sum of the squared pooled features (a stand-in distance)."""
    graph = model.graph
    graph.node.extend(
        [
            helper.make_node("Mul", ["gap", "gap"], ["gap_sq"]),
            helper.make_node("ReduceSum", ["gap_sq", "axes1"], ["ood_score"], keepdims=0),
        ]
    )
    graph.output.append(helper.make_tensor_value_info(OUTPUT_OOD, onnx.TensorProto.FLOAT, ["N"]))
    onnx.checker.check_model(model, full_check=True)
    return model


def write(path, card: ModelCard, ood: bool = False):
    model = tiny_model()
    path.write_bytes(seal_model(with_ood_output(model) if ood else model, card))
    return path


def tensor_of(pixels: np.ndarray) -> np.ndarray:
    """The model's input for `pixels`, through the runtime's one preprocessing (a centre crop here)."""
    return model_view_to_tensor(model_view(load_image(pixels), SPEC)[None], SPEC)


def pooled_sq(pixels: np.ndarray) -> float:
    """Independent numpy ood_score of the stand-in graph: conv -> ReLU -> mean, squared, summed."""
    w = tiny_weights()
    x = np.transpose(tensor_of(pixels), (0, 3, 1, 2)).astype(np.float64)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    side = SPEC.height // 2
    feats = np.zeros((1, CHANNELS, side, side))
    for i in range(side):
        for j in range(side):
            patch = padded[:, :, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3]
            feats[:, :, i, j] = np.einsum("ncij,kcij->nk", patch, w["conv_w"]) + w["conv_b"]
    return float(np.sum(np.maximum(feats, 0).mean(axis=(2, 3)) ** 2))


def test_temperature_scales_the_logit_before_the_threshold(tmp_path):
    path = write(tmp_path / "t.onnx", replace(tiny_card(), temperature=2.5))
    pixels = random_rgb(48, 48, seed=3)
    result = Detector(path).predict(pixels)
    _, logit, _ = reference_outputs(tensor_of(pixels))
    assert result.evidence.logit == pytest.approx(logit[0], rel=1e-5)
    assert result.prob_fake == pytest.approx(1 / (1 + np.exp(-logit[0] / 2.5)), rel=1e-5)


def test_ood_score_over_the_card_threshold_makes_the_verdict_unsure(tmp_path):
    pictures = [random_rgb(40, 40, seed=s) for s in range(6)]
    scores = [pooled_sq(p) for p in pictures]
    limit = float(np.median(scores))
    card = replace(tiny_card(), ood={"threshold": limit, "quantile": 0.99, "n": 10})
    detector = Detector(write(tmp_path / "o.onnx", card, ood=True))
    for pixels, expected in zip(pictures, scores, strict=True):
        result = detector.predict(pixels)
        assert result.evidence.ood_score == pytest.approx(expected, rel=1e-4)
        unlike = any(r.startswith("unlike the training data") for r in result.reasons)
        assert unlike == (expected > limit)
        assert result.verdict == ("UNSURE" if unlike else result.label)


def conformal_card(real: list[float], fake: list[float], alpha: float = 0.1) -> ModelCard:
    return replace(tiny_card(), conformal={"alpha": alpha, "scores": {"REAL": real, "FAKE": fake}})


def test_a_conformal_set_with_both_labels_or_neither_is_unsure(tmp_path):
    pixels = random_rgb(48, 48, seed=4)
    p = Detector(write(tmp_path / "plain.onnx", tiny_card())).predict(pixels).prob_fake
    # Nonconformity of REAL is p, of FAKE 1 - p: thresholds above both keep both labels, below both keep none.
    roomy = [min(1.0, max(p, 1 - p) + 0.01)] * 30
    tight = [max(0.0, min(p, 1 - p) - 0.01)] * 30
    both = Detector(write(tmp_path / "both.onnx", conformal_card(roomy, roomy))).predict(pixels)
    assert both.evidence.prediction_set == ("REAL", "FAKE") and both.verdict == "UNSURE"
    assert both.reasons == ("both labels plausible at alpha=0.1",)
    neither = Detector(write(tmp_path / "none.onnx", conformal_card(tight, tight))).predict(pixels)
    assert neither.evidence.prediction_set == () and neither.reasons == (
        "neither label plausible at alpha=0.1",
    )


def test_alpha_chooses_the_conformal_quantile(tmp_path):
    scores = list(np.linspace(0.0, 1.0, 99))
    path = write(tmp_path / "a.onnx", conformal_card(scores, scores, alpha=0.05))
    pixels = random_rgb(48, 48, seed=5)
    for alpha in (0.05, 0.5, 0.9):
        result = Detector(path, alpha=alpha).predict(pixels)
        q = np.sort(scores)[int(np.ceil(100 * (1 - alpha))) - 1]
        expected = tuple(
            name for name, nc in (("REAL", result.prob_fake), ("FAKE", 1 - result.prob_fake)) if nc <= q
        )
        assert result.evidence.alpha == alpha and result.evidence.prediction_set == expected
    with pytest.raises(ValueError, match="alpha"):
        Detector(path, alpha=1.5)
    with pytest.raises(ValueError, match="conformal calibration"):
        Detector(write(tmp_path / "plain.onnx", tiny_card()), alpha=0.1)


def test_tta_judges_the_degraded_copies_in_one_batch_and_disagreement_is_unsure(tmp_path):
    path = write(tmp_path / "plain.onnx", tiny_card())
    pixels = random_rgb(64, 64, seed=6)
    result = Detector(path, tta=True).predict(pixels)
    plain = Detector(path)
    expected = [plain.predict(DEGRADATIONS[name](pixels)).prob_fake for name in TTA_COPIES]
    np.testing.assert_allclose(result.evidence.tta_probs, expected, atol=1e-6)
    assert result.prob_fake == pytest.approx(plain.predict(pixels).prob_fake, abs=1e-9)
    every = [result.prob_fake, *expected]
    split = result.with_threshold((min(every) + max(every)) / 2)
    assert split.verdict == "UNSURE" and split.reasons[0].startswith("degraded copies disagree")
    agree = result.with_threshold(min(0.999, max(every) + 1e-3))
    assert not any(r.startswith("degraded") for r in agree.reasons)
    row = result.as_row()["tta"]
    assert list(row["copies"]) == list(TTA_COPIES)
    np.testing.assert_allclose(list(row["copies"].values()), expected, atol=1e-5)
    assert row["spread"] == pytest.approx(max(every) - min(every), abs=1e-5)
    assert "tta" not in plain.predict(pixels).as_row()


def run_cli(*args):
    return subprocess.run(
        [*fakescope_command(), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_predict_reports_the_tta_spread_in_json_and_keeps_csv_columns(tmp_path):
    model = write(tmp_path / "plain.onnx", tiny_card())
    image = tmp_path / "upload.png"
    image.write_bytes(encode(random_rgb(64, 64, seed=6), "PNG"))
    out = run_cli("predict", image, "--model", model, "--tta", "--format", "json")
    assert out.returncode == 0, out.stderr
    expected = Detector(model, tta=True).predict(image)
    every = [expected.prob_fake, *expected.evidence.tta_probs]
    assert json.loads(out.stdout)[0]["tta"]["spread"] == pytest.approx(max(every) - min(every), abs=1e-5)
    out = run_cli("predict", image, "--model", model, "--tta", "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert (
        out.stdout.splitlines()[0] == "path,verdict,reasons,label,prob_fake,threshold,faces,provenance,error"
    )


def test_cards_round_trip_the_trust_fields_and_refuse_bad_ones():
    card = replace(
        conformal_card([0.1, 0.2], [0.3]),
        temperature=1.7,
        ood={"threshold": 12.5, "quantile": 0.99, "n": 40},
        intervals={"n_real": 15, "n_fake": 75, "metrics": {"roc_auc": [0.98, 0.95, 1.0]}},
        warnings=("the validation split is small",),
    )
    assert ModelCard.from_json(card.to_json()) == card
    for bad in (
        {"temperature": 0.0},
        {"conformal": {"alpha": 1.5, "scores": {"REAL": [0.1], "FAKE": [0.1]}}},
        {"conformal": {"alpha": 0.1, "scores": {"REAL": []}}},
        {"ood": {"threshold": "high"}},
    ):
        with pytest.raises(ModelCardError):
            replace(card, **bad)


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"intervals": {"metrics": {"roc_auc": "high"}}}, "intervals metrics 'roc_auc' must be"),
        ({"intervals": {"metrics": {"roc_auc": [0.9, "a", None]}}}, "intervals metrics 'roc_auc' must be"),
        ({"intervals": {"metrics": [1, 2]}}, "intervals metrics must be a table"),
        ({"intervals": {"level": 95}}, "intervals level must be a number in"),
        ({"calibration": {"test_ece": "x", "test_ece_before": 0.1}}, "calibration test_ece must be"),
        ({"calibration": {"test_ece": 0.1}}, "needs test_ece and test_ece_before together"),
        ({"calibration": {"selective": [1]}}, "selective needs coverage and accuracy"),
        ({"calibration": {"selective": {"coverage": "all", "accuracy": 1}}}, "selective must be a number"),
        ({"calibration": {"n_real": -1}}, "n_real must be a whole number"),
        ({"calibration": {"curve": {"a": {"b": {"c": {"d": 1}}}}}}, "nested over 4 deep"),
        ({"calibration": {"curve": list(range(2001))}}, "2001 entries, over 2000"),
        ({"calibration": {"note": "x\u001b[2J"}}, "holds control characters"),
        ({"robustness": {"jpeg75": 0.9}}, "robustness 'jpeg75' must be a table"),
        ({"robustness": {"jpeg75": {"roc_auc": "x"}}}, "robustness 'jpeg75' must be a number"),
        ({"ood": {"threshold": 1.0, "quantile": "x"}}, "ood.quantile must be a number"),
        ({"ood": {"threshold": 1.0, "n": 2.5}}, "ood.n must be a whole number"),
        ({"warnings": ["w" * 401]}, "warning is 401 characters long"),
        ({"warnings": ["w"] * 21}, "21 warnings, over 20"),
    ],
)
def test_report_fields_that_info_and_the_dashboard_print_are_checked_in_the_card(bad, message):
    # A forger can reseal any card: what `fakescope info` and the model panel format must be refused at load
    # as one ModelCardError, not crash them with a traceback.
    card = conformal_card([0.1, 0.2], [0.3])
    with pytest.raises(ModelCardError, match=message):
        replace(card, **{key: tuple(v) if key == "warnings" else v for key, v in bad.items()})


def test_info_prints_every_well_formed_report_field():
    card = replace(
        conformal_card([0.1, 0.2], [0.3]),
        ood={"threshold": 12.5, "quantile": 0.99, "n": 40, "features": 8, "fit": "class means"},
        intervals={
            "level": 0.95,
            "n_real": 15,
            "n_fake": 75,
            "metrics": {"roc_auc": [0.98, 0.95, 1.0], "accuracy": [0.9, 0.85, 0.95]},
        },
        calibration={
            "test_ece": 0.05,
            "test_ece_before": 0.1,
            "selective": {"coverage": 0.9, "accuracy": None},
        },
        robustness={"jpeg75": {"roc_auc": None, "n": 0}, "half": {"roc_auc": 0.9, "flipped": 0.1, "n": 90}},
    )
    lines = trust_lines(card)
    expected = "ROC AUC 0.980 [0.950, 1.000]; accuracy 0.900 [0.850, 0.950] (95%, 15 real / 75 fake)"
    assert lines["intervals"] == expected and not any(key.startswith("intervals ") for key in lines)
    assert lines["answered"] == "90.0% of the test split; accuracy on the answered -"
    assert "test ECE 0.100 -> 0.050" in lines["calibration"] and "0.99 quantile of 40" in lines["OOD"]


def test_with_checks_changes_alpha_and_tta_on_the_same_session(tmp_path):
    scores = list(np.linspace(0.0, 1.0, 99))
    detector = Detector(write(tmp_path / "a.onnx", conformal_card(scores, scores, alpha=0.05)))
    other = detector.with_checks(alpha=0.5, tta=True)
    assert other.session is detector.session and (other.alpha, other.tta) == (0.5, True)
    assert (detector.alpha, detector.tta) == (0.05, False)
    assert len(other.predict(random_rgb(48, 48)).evidence.tta_probs) == len(TTA_COPIES)


def test_the_history_keeps_unsure_and_its_reasons_at_every_threshold(tmp_path):
    from fakescope.widgets.history import HistoryEntry, HistoryTable

    path = write(tmp_path / "plain.onnx", tiny_card())
    result = Detector(path, tta=True).predict(random_rgb(64, 64, seed=6))
    every = [result.prob_fake, *result.evidence.tta_probs]
    table = HistoryTable()
    table.add(HistoryEntry.of(result, model="tiny"))
    table.threshold = (min(every) + max(every)) / 2
    row = table.to_csv().splitlines()[1].split(",")
    assert row[2] == "UNSURE" and row[3].startswith("degraded copies disagree")
    table.threshold = min(0.999, max(every) + 1e-3)
    assert table.to_csv().splitlines()[1].split(",")[2] == "REAL"


def test_evaluate_says_which_ece_is_before_and_which_after_temperature_scaling():
    from fakescope.cli.train import trust_text

    assert trust_text({"calibration": {"ece": 0.05, "ece_before": 0.1}}) == [
        "ECE 0.1000 before temperature scaling, 0.0500 after"
    ]
    assert trust_text({"calibration": {"ece": 0.05}}) == ["ECE 0.0500"]


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.3])
def test_an_alpha_the_calibration_cannot_support_warns_with_the_count_it_needs(tmp_path, alpha):
    # The smallest class size whose conformal quantile is finite, found by brute force on the order statistic.
    needed = next(n for n in range(1, 100) if math.ceil((n + 1) * (1 - alpha)) <= n)
    path = write(tmp_path / "a.onnx", conformal_card([0.1] * (needed - 1), [0.2] * needed))
    with pytest.warns(
        UserWarning, match=f"needs at least {needed} calibration images.*only {needed - 1} real"
    ):
        detector = Detector(path, alpha=alpha)
    assert detector.conformal["REAL"] == math.inf and detector.conformal["FAKE"] < math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Detector(write(tmp_path / "b.onnx", conformal_card([0.1] * needed, [0.2] * needed)), alpha=alpha)
    out = run_cli("predict", models_dir() / "samples" / "real_lfw_044.png", "--alpha", "0.05")
    assert out.returncode == 0 and out.stderr.startswith("warning: fakescope-demo: conformal alpha=0.05")
    assert len(out.stderr.splitlines()) == 1, out.stderr
