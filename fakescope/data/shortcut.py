"""The shortcut check: can a trivial classifier tell the classes apart without looking at the faces?

Features per image: width, height, mean and standard deviation of the pixels, file size. Two trivial models
(logistic regression, a depth-3 decision tree) are scored with stratified cross-validation; a dataset whose
classes differ in their origin only should leave both near chance (ROC AUC about 0.5).

Example:
    >>> report = shortcut_check(discover("data/demo"))
    >>> report.near_chance
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from PIL import Image

from fakescope.data.layout import ImageRecord

FEATURES = ("width", "height", "mean", "std", "file_size")
NEAR_CHANCE_AUC = 0.65
"""Largest cross-validated ROC AUC still reported as near chance."""


@dataclass(frozen=True)
class ShortcutReport:
    """Cross-validated scores of the trivial classifiers (higher AUC = a stronger shortcut)."""

    roc_auc: dict[str, float]
    balanced_accuracy: dict[str, float]
    n_real: int
    n_fake: int
    folds: int
    features: tuple[str, ...] = FEATURES

    @property
    def worst_auc(self) -> float:
        return max(self.roc_auc.values())

    @property
    def near_chance(self) -> bool:
        return self.worst_auc <= NEAR_CHANCE_AUC

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "worst_auc": self.worst_auc,
            "near_chance": self.near_chance,
            "near_chance_max_auc": NEAR_CHANCE_AUC,
        }

    def summary(self) -> str:
        scores = ", ".join(f"{name} AUC {auc:.3f}" for name, auc in self.roc_auc.items())
        verdict = "near chance" if self.near_chance else "SHORTCUT: the classes differ in trivial statistics"
        return f"shortcut check on {', '.join(self.features)}: {scores} ({verdict})"


def image_statistics(path) -> list[float]:
    """[width, height, mean, std, file size] of one image file (pixels as 8-bit luma)."""
    with Image.open(path) as image:
        width, height = image.size
        pixels = np.asarray(image.convert("L"), dtype=np.float64)
    return [width, height, pixels.mean(), pixels.std(), path.stat().st_size]


def shortcut_check(records: Sequence[ImageRecord], folds: int = 5, seed: int = 0) -> ShortcutReport:
    """Score the trivial classifiers on `records` (all splits together) with stratified k-fold CV.

    Args:
        records: labelled images, e.g. from `fakescope.data.layout.discover`.
        folds: cross-validation folds. Defaults to 5.
        seed: fold shuffling seed. Defaults to 0.

    Raises:
        ValueError: fewer than `folds` images of a class.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    labels = np.array([r.label for r in records])
    counts = np.bincount(labels, minlength=2)
    if counts.min() < folds:
        raise ValueError(f"need >= {folds} images per class. Received: real={counts[0]}, fake={counts[1]}")
    features = np.array([image_statistics(r.path) for r in records])
    models = {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced")),
        "decision_tree_depth3": DecisionTreeClassifier(
            max_depth=3, class_weight="balanced", random_state=seed
        ),
    }
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    auc, balanced = {}, {}
    for name, model in models.items():
        prob = cross_val_predict(model, features, labels, cv=splitter, method="predict_proba")[:, 1]
        auc[name] = round(float(roc_auc_score(labels, prob)), 4)
        balanced[name] = round(float(balanced_accuracy_score(labels, prob >= 0.5)), 4)
    return ShortcutReport(auc, balanced, int(counts[0]), int(counts[1]), folds)
