"""`fakescope explain` end to end through the console script: one JSON object per image and method with the
faithfulness figures, overlays per method, bad input as in `predict`, and a clear line for missing methods."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from cam_support import EXPLAIN_ROW_KEYS
from image_factory import encode, fakescope_command, random_rgb
from PIL import Image

from fakescope.runtime import Detector
from fakescope.runtime.explain import method_names

FAKESCOPE = fakescope_command()


def run(*args):
    return subprocess.run([*FAKESCOPE, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture
def images(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(encode(random_rgb(64, 64, seed=3), "PNG"))
    bad = tmp_path / "bad.jpg"
    bad.write_text("not an image")
    return good, bad


def test_json_has_one_object_per_image_and_method_and_bad_input_exits_two(images, tmp_path):
    good, bad = images
    out = run("explain", good, bad, "--method", "gradcam", "--method", "realcam", "--format", "json")
    assert out.returncode == 2, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["path"], r["method"]) for r in rows] == [
        (str(good), "gradcam"),
        (str(good), "realcam"),
        (str(bad), "gradcam"),
        (str(bad), "realcam"),
    ]
    assert all(set(r) == EXPLAIN_ROW_KEYS for r in rows)
    explanation = Detector().explain(good, ["gradcam", "realcam"])
    for row, method in zip(rows[:2], ("gradcam", "realcam"), strict=True):
        figures = explanation.faithfulness[method]
        assert row["prob_fake"] == pytest.approx(explanation.prob_fake, abs=1e-6) and row["error"] == ""
        assert row["road_combined"] == pytest.approx(figures.road_combined, abs=1e-6)
        assert row["deletion_auc"] == pytest.approx(figures.deletion_auc, abs=1e-6)
    assert rows[2]["prob_fake"] is None and "not a PNG, JPEG" in rows[2]["error"]
    assert out.stderr.count("rejected:") == 1 and "Traceback" not in out.stderr


def test_table_and_overlays_for_every_method(images, tmp_path):
    good, _ = images
    out = run("explain", good, "--out", tmp_path / "maps")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["PATH", "METHOD", "PROB_FAKE"] and len(lines) == 1 + len(method_names())
    written = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert written == sorted(f"0000_good_{m.replace('+', 'p')}.png" for m in method_names())
    picture = np.asarray(Image.open(tmp_path / "maps" / "0000_good_layercam.png"))
    assert picture.shape == (32, 64, 3)


def test_a_model_without_the_cam_family_says_so_in_one_line(tiny_model_path, images):
    good, _ = images
    out = run("explain", good, "--model", tiny_model_path, "--method", "scorecam")
    assert out.returncode == 1 and out.stderr.strip() == "Error: tiny.onnx cannot run scorecam: re-export it"
    out = run("explain", good, "--model", tiny_model_path, "--format", "json")
    assert out.returncode == 0, out.stderr
    assert [r["method"] for r in json.loads(out.stdout)] == ["gradcam"]
    assert (
        out.stderr.startswith("warning: unavailable with this model: gradcam++")
        and out.stderr.count("\n") == 1
    )
    out = run("explain", good, "--method", "hirescam")
    assert out.returncode == 2 and "'hirescam' is not one of" in out.stderr


def test_evaluate_faithfulness_ranks_the_methods_on_the_test_split(tmp_path):
    from support.export_runs import write_dataset

    from fakescope.data.layout import TRAINING_LIMITS, discover
    from fakescope.report.faithfulness import dataset_faithfulness

    data = write_dataset(tmp_path / "data", per_class=12)
    out = tmp_path / "metrics.json"
    model = Detector().model_path
    done = run("evaluate", model, data, "--out", out, "--faithfulness", "--faithfulness-images", "3")
    assert done.returncode == 0, done.stderr
    saved = json.loads(out.read_text())["faithfulness"]
    assert saved["split"] == "test" and [m["n"] for m in saved["methods"]] == [3] * len(method_names())
    combined = [m["road_combined"] for m in saved["methods"]]
    assert combined == sorted(combined, reverse=True)
    lines = done.stdout.splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("faithfulness on the test split (3 images)")
    )
    assert [line.split()[0] for line in lines[start + 2 : start + 2 + len(combined)]] == [
        m["method"] for m in saved["methods"]
    ]
    # The averages are the per-image figures of Detector.explain, averaged.
    detector = Detector().with_limits(TRAINING_LIMITS)
    test = [r for r in discover(data) if r.split == "test"][:3]
    per_image = [detector.explain(r.path, ["gradcam"]).faithfulness["gradcam"].road_combined for r in test]
    gradcam = next(
        m for m in dataset_faithfulness(Detector(), discover(data), max_images=3) if m.method == "gradcam"
    )
    assert gradcam.road_combined == pytest.approx(np.mean(per_image), abs=1e-9)
    assert next(m for m in saved["methods"] if m["method"] == "gradcam")["road_combined"] == pytest.approx(
        gradcam.road_combined, abs=1e-6
    )
    keras_model = tmp_path / "m.keras"
    keras_model.write_bytes(b"x")
    refused = run("evaluate", keras_model, data, "--faithfulness")
    assert refused.returncode == 1 and "--faithfulness needs an exported .onnx model" in refused.stderr
