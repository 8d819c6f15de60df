"""Plain-sentence warnings about what separates real from fake in a dataset besides the faces.

A detector learns whatever separates the classes most easily: if every fake is a PNG and every real a JPEG,
it learns the file format. `summary` checks counts, formats, colour modes, sizes, compression and each
image statistic (by the ROC AUC it would reach on its own) and says what it finds.

Example:
    >>> summary(table)
    ['1,200 images: 600 real, 600 fake.', 'all fakes are PNG and all reals are JPEG: the file format ...']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fakescope.data.layout import SPLITS
from fakescope.eda.table import spectrum_matrix
from fakescope.runtime.spec import CLASS_FOLDERS

LABELS = CLASS_FOLDERS
"""The table's class labels (`fakescope.runtime.spec.CLASS_FOLDERS`)."""
IMBALANCE_RATIO = 1.5
SHARE_GAP = 0.2
"""Two classes differ in a categorical column when a value's share differs by this much (0-1)."""
AUC_FLAG = 0.8
"""A single statistic is flagged when its ROC AUC (or 1 - AUC) reaches this."""
QUALITY_GAP = 5.0
TAIL_DB = 3.0
"""Flag a difference of the mean high-frequency power (top quarter of the spectrum) of this many dB."""

_STATISTICS = {
    "sharpness": "sharpness",
    "contrast": "contrast",
    "luminance": "luminance",
    "mean_r": "mean red",
    "mean_g": "mean green",
    "mean_b": "mean blue",
    "std_r": "red std",
    "std_g": "green std",
    "std_b": "blue std",
}


def summary(table: pd.DataFrame) -> list[str]:
    """Counts, then one sentence per likely shortcut (or one saying none was found).

    Args:
        table: an EDA table (`collect_stats`).

    Returns:
        Plain sentences, the first one counting the images.
    """
    ok = table[table["error"] == ""]
    counts = ok["label"].value_counts()
    lines = [f"{len(table):,} images: {counts.get('real', 0):,} real, {counts.get('fake', 0):,} fake."]
    errors = len(table) - len(ok)
    if errors:
        files = "file" if errors == 1 else "files"
        lines.append(
            f"{errors:,} {files} could not be read (see the `error` column); left out of the analysis."
        )
    missing = [label for label in LABELS if counts.get(label, 0) == 0]
    if missing:
        return [*lines, f"no readable {' or '.join(missing)} images: there is nothing to compare."]
    real, fake = ok[ok["label"] == "real"], ok[ok["label"] == "fake"]
    warnings = [
        *_imbalance(table),
        *_categorical(real, fake, "format", "the file format"),
        *_categorical(real, fake, "mode", "the colour mode"),
        *_sizes(real, fake),
        *_jpeg_quality(real, fake),
        *_bytes_per_pixel(real, fake),
        *_statistics(real, fake),
        *_spectrum_tail(real, fake),
    ]
    if not warnings:
        warnings = [
            "no shortcut found: formats, sizes, compression and image statistics look alike across classes."
        ]
    return lines + warnings


def _imbalance(table: pd.DataFrame) -> list[str]:
    lines = []
    counts = table.groupby(["split", "label"]).size()
    for split in [s for s in SPLITS if s in set(table["split"])]:
        real, fake = int(counts.get((split, "real"), 0)), int(counts.get((split, "fake"), 0))
        if min(real, fake) == 0 or max(real, fake) / min(real, fake) >= IMBALANCE_RATIO:
            lines.append(f"{split} is imbalanced: {real:,} real vs {fake:,} fake images.")
    return lines


def _categorical(real: pd.DataFrame, fake: pd.DataFrame, column: str, what: str) -> list[str]:
    """'all fakes are PNG and all reals are JPEG', or the value whose share differs most."""
    share_real = real[column].value_counts(normalize=True)
    share_fake = fake[column].value_counts(normalize=True)
    top_real, top_fake = share_real.index[0], share_fake.index[0]
    if top_real != top_fake and min(share_real.iloc[0], share_fake.iloc[0]) >= 0.9:
        return [
            f"{_quantifier(share_fake.iloc[0])} fakes are {top_fake} and "
            f"{_quantifier(share_real.iloc[0])} reals are {top_real}: {what} alone separates the classes."
        ]
    gaps = share_fake.sub(share_real, fill_value=0.0)
    value = gaps.abs().idxmax()
    if abs(gaps[value]) >= SHARE_GAP:
        return [
            f"{what} differs by class: {value} is {share_real.get(value, 0.0):.0%} of reals but "
            f"{share_fake.get(value, 0.0):.0%} of fakes."
        ]
    return []


def _sizes(real: pd.DataFrame, fake: pd.DataFrame) -> list[str]:
    size_real = (real["width"].astype(str) + "x" + real["height"].astype(str)).value_counts(normalize=True)
    size_fake = (fake["width"].astype(str) + "x" + fake["height"].astype(str)).value_counts(normalize=True)
    top_real, top_fake = size_real.index[0], size_fake.index[0]
    gap = abs(size_real.iloc[0] - size_fake.get(top_real, 0.0))
    if top_real == top_fake and gap < SHARE_GAP:
        return []
    return [
        f"sizes differ by class: {_quantifier(size_real.iloc[0])} reals are {top_real} "
        f"({len(size_real)} sizes in all), {_quantifier(size_fake.iloc[0])} fakes are {top_fake} "
        f"({len(size_fake)} sizes in all)."
    ]


def _jpeg_quality(real: pd.DataFrame, fake: pd.DataFrame) -> list[str]:
    q_real, q_fake = real["jpeg_quality"].dropna(), fake["jpeg_quality"].dropna()
    if q_real.empty or q_fake.empty or abs(q_real.median() - q_fake.median()) < QUALITY_GAP:
        return []
    return [
        f"JPEG quality differs by class: median {q_real.median():.0f} for reals, {q_fake.median():.0f} for "
        "fakes; compression artefacts can give the class away."
    ]


def _bytes_per_pixel(real: pd.DataFrame, fake: pd.DataFrame) -> list[str]:
    ratio_real = _per_pixel(real).median()
    ratio_fake = _per_pixel(fake).median()
    if (
        not (ratio_real > 0 and ratio_fake > 0)
        or max(ratio_real, ratio_fake) / min(ratio_real, ratio_fake) < 1.5
    ):
        return []
    return [
        f"file size per pixel differs by class (median {ratio_real:.2f} bytes for reals, "
        f"{ratio_fake:.2f} for fakes): the encoding may separate the classes."
    ]


def _statistics(real: pd.DataFrame, fake: pd.DataFrame) -> list[str]:
    lines = []
    for column, name in _STATISTICS.items():
        auc = _auc(real[column].to_numpy(dtype=float), fake[column].to_numpy(dtype=float))
        if max(auc, 1.0 - auc) >= AUC_FLAG:
            higher = "fakes" if auc > 0.5 else "reals"
            lines.append(
                f"{name} alone separates the classes (ROC AUC {max(auc, 1 - auc):.2f}): {higher} are higher "
                f"(median {real[column].median():.3g} real, {fake[column].median():.3g} fake)."
            )
    return lines


def _spectrum_tail(real: pd.DataFrame, fake: pd.DataFrame) -> list[str]:
    spectra_real, spectra_fake = spectrum_matrix(real), spectrum_matrix(fake)
    tail = slice(3 * spectra_real.shape[1] // 4, None)
    tail_real, tail_fake = spectra_real[:, tail].mean(axis=1), spectra_fake[:, tail].mean(axis=1)
    gap = float(tail_fake.mean() - tail_real.mean())
    auc = _auc(tail_real, tail_fake)
    if abs(gap) < TAIL_DB and max(auc, 1.0 - auc) < AUC_FLAG:
        return []
    more = "more" if gap > 0 else "less"
    return [
        f"fakes carry {abs(gap):.1f} dB {more} high-frequency power than reals (top quarter of the spectrum, "
        f"ROC AUC {max(auc, 1 - auc):.2f}): up-sampling traces, or resizing/compression differing by class."
    ]


def _auc(negatives: np.ndarray, positives: np.ndarray) -> float:
    """ROC AUC of a score (Mann-Whitney U / n_neg n_pos), ties counted half; NaNs dropped."""
    negatives, positives = negatives[~np.isnan(negatives)], positives[~np.isnan(positives)]
    if not len(negatives) or not len(positives):
        return 0.5
    ranks = pd.Series(np.concatenate([negatives, positives])).rank().to_numpy()
    u = ranks[len(negatives) :].sum() - len(positives) * (len(positives) + 1) / 2
    return float(u / (len(negatives) * len(positives)))


def _per_pixel(rows: pd.DataFrame) -> pd.Series:
    return rows["file_size"].astype(float) / (rows["width"].astype(float) * rows["height"].astype(float))


def _quantifier(share: float) -> str:
    return "all" if share >= 1.0 else f"{share:.0%} of"
