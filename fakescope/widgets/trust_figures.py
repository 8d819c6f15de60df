"""The model report's "how sure" figures: reliability before/after temperature scaling, risk-coverage with
the checks' operating point, and the card's robustness figures.

Example:
    >>> show_trust_figures(report, scores, threshold=0.5)
"""

from __future__ import annotations

import numpy as np

from fakescope.report.scoring import Scores
from fakescope.report.trust_figures import reliability_figure, risk_coverage_figure, robustness_figure
from fakescope.runtime.calibrated import calibrated_prob
from fakescope.uncertainty.reliability import reliability
from fakescope.uncertainty.selective import risk_coverage, selective
from fakescope.widgets.plots import show_figure


def show_trust_figures(report, scores: Scores, threshold: float) -> None:
    """Fill `report.reliability`, `.risk_coverage` and `.robustness` (outputs) from `scores` and its card."""
    labels, prob = scores.labels, scores.prob_fake
    detector = report.detector
    before = None
    if detector is not None and detector.temperature != 1.0 and len(scores.evidence) == len(prob):
        raw = calibrated_prob(np.array([e.logit for e in scores.evidence]), 1.0)
        before = reliability(labels, raw)
    show_figure(report.reliability, reliability_figure(reliability(labels, prob), before))
    answered = None
    if len(scores.reasons) == len(prob):
        answered = selective(labels, prob, [not r for r in scores.reasons], threshold)
    show_figure(report.risk_coverage, risk_coverage_figure(risk_coverage(labels, prob, threshold), answered))
    if detector is not None and detector.card.robustness:
        show_figure(report.robustness, robustness_figure(detector.card.robustness))
