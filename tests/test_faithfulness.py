"""ROAD (noisy linear imputation, MoRF/LeRF) and deletion/insertion AUC agree with an independent small
implementation (scipy's sparse solver, plain loops) and give the known answers on a toy model whose evidence
is known; Detector.explain computes them with onnxruntime and falls back on models without the CAM family."""

from __future__ import annotations

import numpy as np
import pytest
from cam_support import EXPLAIN_ROW_KEYS
from scipy.sparse import lil_matrix
from scipy.sparse.linalg import spsolve

from fakescope.runtime import Detector
from fakescope.runtime.explain import faithfulness, method_names
from fakescope.runtime.explain.imputation import impute

EDGE, CORNER = 1 / 6, 1 / 12
SIDE = 16


def _reference_impute(image: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """The ROAD paper's linear system, built entry by entry and solved exactly with scipy."""
    height, width, channels = image.shape
    where = np.argwhere(removed)
    index = {tuple(p): i for i, p in enumerate(where)}
    matrix, rhs = lil_matrix((len(where), len(where))), np.zeros((len(where), channels))
    for i, (y, x) in enumerate(where):
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                ny, nx = y + dy, x + dx
                if (dy, dx) == (0, 0) or not (0 <= ny < height and 0 <= nx < width):
                    continue
                weight = CORNER if dy and dx else EDGE
                matrix[i, i] += weight
                if removed[ny, nx]:
                    matrix[i, index[(ny, nx)]] -= weight
                else:
                    rhs[i] += weight * image[ny, nx]
    out = image.astype(np.float64).copy()
    out[removed] = spsolve(matrix.tocsc(), rhs).reshape(len(where), channels)
    return out


def _reference_figures(image, saliency, score, percentiles, steps):
    """ROAD and deletion/insertion the plain way: one perturbed image at a time."""
    order = np.argsort(-saliency.ravel(), kind="stable")  # the test maps have no ties
    n = order.size
    morf, lerf = [], []
    for p in percentiles:
        count = round(p / 100 * n)
        for chosen, out in ((order[:count], morf), (order[n - count :], lerf)):
            removed = np.zeros(n, bool)
            removed[chosen] = True
            out.append(score(_reference_impute(image, removed.reshape(saliency.shape))[None])[0])
    deletion, insertion = [], []
    from fakescope.runtime.explain.faithfulness import blur

    canvas = blur(image, 1.0)
    for k in range(steps + 1):
        top = order[: round(k / steps * n)]
        deleted, inserted = image.reshape(n, -1).copy(), canvas.reshape(n, -1).copy()
        deleted[top] = 0.0
        inserted[top] = image.reshape(n, -1)[top]
        deletion.append(score(deleted.reshape(image.shape)[None])[0])
        insertion.append(score(inserted.reshape(image.shape)[None])[0])
    auc = lambda c: sum((c[i] + c[i + 1]) / 2 / steps for i in range(steps))  # noqa: E731
    return np.array(morf), np.array(lerf), auc(deletion), auc(insertion)


REGION = (slice(4, 12), slice(4, 12))  # 64 of 256 pixels: 25%


def _toy_score(batch: np.ndarray) -> np.ndarray:
    """A toy model whose evidence is known: P = the mean of the central square's pixels."""
    return np.asarray(batch)[:, REGION[0], REGION[1]].mean(axis=(1, 2, 3))


def _square_image() -> np.ndarray:
    image = np.zeros((SIDE, SIDE, 3), np.float32)
    image[REGION] = 1.0
    return image


def _true_map() -> np.ndarray:
    ramp = np.arange(SIDE * SIDE, dtype=np.float64).reshape(SIDE, SIDE) / (SIDE * SIDE)
    truth = np.zeros((SIDE, SIDE))
    truth[REGION] = 1.0
    return truth + 0.01 * ramp  # no ties: the square first, then the background


def test_imputation_solves_the_papers_linear_system():
    rng = np.random.default_rng(0)
    image = rng.random((20, 24, 3))
    removed = rng.random((20, 24)) < 0.6
    removed[2:12, 3:15] = True
    np.testing.assert_allclose(
        impute(image, removed, noise=0.0, tol=1e-10), _reference_impute(image, removed), atol=1e-5
    )
    kept = ~removed
    np.testing.assert_array_equal(impute(image, removed, noise=0.0)[kept], image[kept].astype(np.float32))


def test_imputation_keeps_a_constant_image_and_adds_the_noise_only_where_removed():
    image = np.full((32, 32, 3), 0.4)
    removed = np.zeros((32, 32), bool)
    removed[5:25, 5:25] = True
    np.testing.assert_allclose(impute(image, removed, noise=0.0), image, atol=1e-5)
    noisy = impute(image, removed, noise=0.05, rng=np.random.default_rng(1))
    assert np.std(noisy[removed] - 0.4) == pytest.approx(0.05, rel=0.1)
    np.testing.assert_array_equal(noisy[..., 0], noisy[..., 2])  # greyscale-as-RGB stays grey
    np.testing.assert_array_equal(noisy[~removed], image[~removed].astype(np.float32))
    with pytest.raises(ValueError, match="every pixel removed"):
        impute(image, np.ones((32, 32), bool))


def test_road_and_deletion_insertion_match_the_independent_implementation():
    rng = np.random.default_rng(2)
    image = rng.random((SIDE, SIDE, 3)).astype(np.float32)
    saliency = rng.random((SIDE, SIDE))
    percentiles, steps = (10, 30, 50, 70, 90), 8
    result = faithfulness(image, saliency, _toy_score, percentiles=percentiles, steps=steps, noise=0.0)
    morf, lerf, deletion, insertion = _reference_figures(image, saliency, _toy_score, percentiles, steps)
    np.testing.assert_allclose(result.morf, morf, atol=2e-3)
    np.testing.assert_allclose(result.lerf, lerf, atol=2e-3)
    assert result.road_combined == pytest.approx(np.mean((lerf - morf) / 2), abs=2e-3)
    assert result.deletion_auc == pytest.approx(deletion, abs=1e-6)
    assert result.insertion_auc == pytest.approx(insertion, abs=1e-6)


def test_the_true_map_wins_and_its_inverse_loses_on_a_toy_model_with_known_evidence():
    image, truth = _square_image(), _true_map()
    good = faithfulness(image, truth, _toy_score, noise=0.0)
    # Removing the square (25% of the pixels) first leaves only the dark background to impute it from.
    assert all(
        s == pytest.approx(0.0, abs=1e-3) for p, s in zip(good.percentiles, good.morf, strict=True) if p >= 30
    )
    # Removing the background first never touches the square until 75% of the pixels are gone.
    assert all(
        s == pytest.approx(1.0, abs=1e-6) for p, s in zip(good.percentiles, good.lerf, strict=True) if p <= 70
    )
    # Deletion: the score falls linearly to 0 over the first quarter, so the AUC is exactly 1/8.
    assert good.deletion_auc == pytest.approx(0.125, abs=1e-9)
    bad = faithfulness(image, -truth, _toy_score, noise=0.0)
    assert good.road_combined > 0.3 > -0.3 > bad.road_combined
    assert good.deletion_auc < bad.deletion_auc and good.insertion_auc > bad.insertion_auc
    assert good.sentence() == (
        "removing the 20% most-attended pixels moves P(fake) from 1.00 to "
        f"{good.morf[1]:.2f}; removing the 20% least-attended moves it to 1.00"
    )


def test_faithfulness_refuses_bad_arguments():
    image = _square_image()
    with pytest.raises(ValueError, match="percentiles"):
        faithfulness(image, _true_map(), _toy_score, percentiles=(0, 50))
    with pytest.raises(ValueError, match="must match"):
        faithfulness(image, np.zeros((4, 4)), _toy_score)


def test_explain_on_the_bundled_model_gives_every_method_and_its_figures():
    detector = Detector()
    assert detector.cam_methods == method_names()
    path = next(p for p in (detector.model_path.parent / "samples").iterdir() if p.name.startswith("fake"))
    explanation = detector.explain(path)
    assert explanation.methods == method_names() and explanation.unavailable == ()
    assert explanation.prob_fake == pytest.approx(detector.predict(path).prob_fake, abs=1e-6)
    for name in method_names():
        figures = explanation.faithfulness[name]
        assert explanation.maps[name].shape == (32, 32) and explanation.maps[name].dtype == np.float32
        assert -0.5 <= figures.road_combined <= 0.5 and 0 <= figures.deletion_auc <= 1
    assert repr(explanation).startswith(f"Explanation({explanation.label}, prob_fake=")
    assert "most faithful: " in repr(explanation) and "\n" not in repr(explanation)
    assert explanation.ranked()[0] in method_names()
    rows = explanation.as_rows()
    assert [r["method"] for r in rows] == list(method_names())
    assert set(rows[0]) == EXPLAIN_ROW_KEYS
    with pytest.raises(ValueError, match="read-only"):
        explanation.maps["gradcam"][0, 0] = 1.0


def test_a_model_without_the_cam_family_runs_gradcam_and_says_what_is_unavailable(tiny_model_path):
    detector = Detector(tiny_model_path)
    assert detector.cam_methods == ("gradcam",)
    image = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    with pytest.warns(UserWarning, match=r"unavailable with this model: gradcam\+\+, layercam") as caught:
        explanation = detector.explain(image, faithfulness=False)
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    assert explanation.methods == ("gradcam",) and explanation.faithfulness == {}
    assert "scorecam" in explanation.unavailable
    with pytest.raises(ValueError, match=r"tiny.onnx: unavailable with this model: eigencam .*re-export"):
        detector.explain(image, methods=["gradcam", "eigencam"])
