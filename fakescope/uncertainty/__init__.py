"""Honest numbers about a model's verdicts, numpy + scikit-learn: temperature scaling, reliability and ECE,
class-conditional conformal calibration, bootstrap intervals, selective prediction and the OOD statistics
fitted at export. The runtime only applies what these fit (`fakescope.runtime.calibrated`, `.conformal`).

Example:
    >>> from fakescope.uncertainty import fit_temperature, reliability
    >>> t = fit_temperature(labels, logits)
    >>> reliability(labels, calibrated_prob(logits, t)).ece
    0.021
"""

from fakescope.uncertainty.intervals import Interval, Intervals, bootstrap_intervals
from fakescope.uncertainty.reliability import Reliability, reliability
from fakescope.uncertainty.selective import RiskCoverage, Selective, risk_coverage, selective
from fakescope.uncertainty.temperature import fit_temperature, log_loss_of_logits

__all__ = [
    "Interval",
    "Intervals",
    "Reliability",
    "RiskCoverage",
    "Selective",
    "bootstrap_intervals",
    "fit_temperature",
    "log_loss_of_logits",
    "reliability",
    "risk_coverage",
    "selective",
]
