"""The export's trust steps: the in-graph OOD score equals scikit-learn's Mahalanobis distance on the same
pooled features, and an export with a calibration folder writes a card the runtime judges by."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from image_factory import encode, fakescope_command, random_rgb
from sklearn.covariance import LedoitWolf
from support.export_runs import contract_model, save_run, write_dataset

from fakescope.data.calibration_split import carve_calibration
from fakescope.data.layout import TRAINING_LIMITS, discover
from fakescope.export.card import check_onnx
from fakescope.export.convert import convert
from fakescope.export.errors import ExportError
from fakescope.export.ood import fit_gaussian, gap_features
from fakescope.export.pipeline import export_model
from fakescope.export.reference import keras_reference
from fakescope.export.samples import generated_batch
from fakescope.export.spec import ExportSpec
from fakescope.export.validate import run_onnx, validate
from fakescope.report.scoring import score_records
from fakescope.runtime import Detector
from fakescope.runtime.calibrated import calibrated_prob
from fakescope.runtime.preprocess import InputSpec
from fakescope.runtime.spec import OUTPUT_NAMES, OUTPUT_OOD
from fakescope.train.evaluate import evaluate_model

SPEC = ExportSpec(output_names=(*OUTPUT_NAMES, OUTPUT_OOD))


def test_the_graphs_ood_score_equals_scikit_learns_mahalanobis_distance():
    model = contract_model("small_cnn", 32)
    train = generated_batch(InputSpec(32, 32), 48, seed=2)
    labels = np.arange(48) % 2
    features = gap_features(model, train)
    stats = fit_gaussian(features, labels)
    onnx_model = convert(model, SPEC, stats)
    check_onnx(onnx_model)
    batch = generated_batch(InputSpec(32, 32), 12, seed=3)
    got = run_onnx(onnx_model, batch)[OUTPUT_OOD]
    # Independent reference: scikit-learn's own Mahalanobis distance with the same shared covariance.
    means = [features[labels == c].mean(axis=0) for c in (0, 1)]
    centred = features - np.stack(means)[labels]
    estimator = LedoitWolf(assume_centered=True).fit(centred)
    test_features = gap_features(model, batch)
    expected = np.min([estimator.mahalanobis(test_features - mu) for mu in means], axis=0)
    assert got.shape == (12,)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    report = validate(
        onnx_model, keras_reference(model, batch, SPEC, ood=stats), batch, SPEC.tolerance("fp32")
    )
    assert [c.name for c in report.checks][-1] == OUTPUT_OOD and report.ok


@pytest.fixture(scope="module")
def trusted(tmp_path_factory):
    root = tmp_path_factory.mktemp("trusted")
    data = write_dataset(root / "data", per_class=40, seed=0)
    calibration = write_dataset(root / "calibration", per_class=24, seed=1)
    run = save_run(root / "run", threshold=0.4)
    lines = []
    result = export_model(
        run, root / "m.onnx", calib=data, calibration=calibration, alpha=0.1, int8=True, echo=lines.append
    )
    return result, data, calibration, lines


def test_an_export_with_calibration_writes_the_trust_fields_into_every_card(trusted):
    result, _, _, lines = trusted
    for exported in result.models:
        card = Detector(exported.path).card
        assert card.temperature > 0 and card.conformal["alpha"] == 0.1
        assert [len(card.conformal["scores"][c]) for c in ("REAL", "FAKE")] == [24, 24]
        assert card.ood["threshold"] > 0 and card.ood["n"] == 48
        assert card.calibration["n_real"] == 24 and card.intervals["n_real"] > 0
        assert "roc_auc" in card.intervals["metrics"] and set(card.robustness) >= {"clean", "jpeg50", "half"}
        assert any("fewer than 50" in w for w in card.warnings)
        assert 0.0 <= card.calibration["selective"]["coverage"] <= 1.0
    assert any(line.startswith("warning: ") for line in lines)


def test_temperature_moves_the_threshold_so_no_decision_changes(trusted):
    result, data, _, _ = trusted
    detector = Detector(result["fp32"].path).with_limits(TRAINING_LIMITS)
    for record in [r for r in discover(data) if r.split == "test"]:
        prediction = detector.predict(record.path)
        raw = calibrated_prob(prediction.evidence.logit, 1.0)
        assert prediction.label == ("FAKE" if raw >= 0.4 else "REAL")
        assert prediction.evidence.ood_score is not None and prediction.evidence.prediction_set is not None


def test_calibration_without_training_data_for_the_ood_statistics_is_refused(trusted, tmp_path):
    _, _, calibration, _ = trusted
    run = save_run(tmp_path / "run")
    with pytest.raises(ExportError, match="--calib"):
        export_model(run, tmp_path / "m.onnx", calibration=calibration)


def run_cli(*args):
    return subprocess.run(
        [*fakescope_command(), *map(str, args)], capture_output=True, text=True, timeout=300
    )


def test_evaluate_reports_intervals_calibration_selective_prediction_and_robustness(trusted, tmp_path):
    result, data, _, _ = trusted
    path = result["fp32"].path
    evaluation = evaluate_model(path, data, robustness=True)
    test = [r for r in discover(data) if r.split == "test"]
    trust = evaluation.trust
    assert trust["intervals"]["n_real"] + trust["intervals"]["n_fake"] == len(test)
    assert {"ece", "ece_before", "reliability"} <= set(trust["calibration"])
    assert set(trust["robustness"]) == {"clean", "jpeg50", "jpeg75", "blur1", "half", "png"}
    scores = score_records(Detector(path), test)
    answered = [not reasons for reasons in scores.reasons]
    assert trust["selective"]["coverage"] == pytest.approx(np.mean(answered))
    out = run_cli("evaluate", path, data, "--robustness", "--out", tmp_path / "m.json")
    assert out.returncode == 0, out.stderr
    assert "ROC AUC" in out.stdout and "ECE" in out.stdout and "robustness jpeg50" in out.stdout
    written = json.loads((tmp_path / "m.json").read_text())
    assert written["intervals"]["metrics"]["roc_auc"][1] <= written["intervals"]["metrics"]["roc_auc"][2]


def test_info_shows_the_intervals_and_predict_takes_alpha_and_tta(trusted, tmp_path):
    result, _, _, _ = trusted
    path = result["int8"].path
    info = run_cli("info", path).stdout
    assert "intervals" in info and "real /" in info and "temperature" in info and "OOD" in info
    image = tmp_path / "upload.png"
    image.write_bytes(encode(random_rgb(64, 64, seed=9), "PNG"))
    out = run_cli("predict", image, "--model", path, "--alpha", "0.5", "--tta", "--format", "json")
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    expected = Detector(path, alpha=0.5, tta=True).predict(image)
    assert row["verdict"] == expected.verdict and row["reasons"] == list(expected.reasons)
    assert run_cli("predict", image, "--model", path, "--alpha", "2").returncode == 2  # click's usage error


def test_carving_a_calibration_set_keeps_it_apart_from_training(tmp_path):
    data = write_dataset(tmp_path / "data", per_class=30)
    counts = carve_calibration(data, tmp_path / "carved", fraction=0.2)
    train = [r for r in discover(data) if r.split == "train"]
    for label, name in ((0, "real"), (1, "fake")):
        assert counts["calibration"][name] == round(0.2 * sum(r.label == label for r in train))
    fit = {r.path.resolve() for r in discover(tmp_path / "carved" / "fit") if r.split == "train"}
    carved = {p.resolve() for p in (tmp_path / "carved" / "calibration").rglob("*.png")}
    assert carved and fit and not (fit & carved)
    original = {r.path.resolve() for r in discover(data) if r.split == "train"}
    assert fit | carved == original
