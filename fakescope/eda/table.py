"""The EDA table: its columns, and reading/writing it as Parquet (CSV when pyarrow is missing).

One row per image. The radial spectrum is stored as `SPECTRUM_BINS` plain float32 columns `spec_00` ...
`spec_63` (bin i centred on `spectrum_frequencies()[i]` cycles/pixel), so Parquet and CSV both round-trip it;
`spectrum_matrix(table)` gives it back as an (N, bins) array.

Example:
    >>> path = write_table(table, "out/eda.parquet")
    >>> spectrum_matrix(read_table(path)).shape
    (1200, 64)
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fakescope.eda.measures import MEASURE_COLUMNS, SPECTRUM_BINS

SPECTRUM_COLUMNS = tuple(f"spec_{i:02d}" for i in range(SPECTRUM_BINS))
TEXT_COLUMNS = ("split", "label", "path", "format", "mode", "error")
INTEGER_COLUMNS = ("width", "height", "file_size", "mtime_ns")
COLUMNS = (
    "split",
    "label",
    "path",
    "width",
    "height",
    "format",
    "mode",
    "file_size",
    "mtime_ns",
    *MEASURE_COLUMNS,
    "error",
    *SPECTRUM_COLUMNS,
)
"""Column order. Text columns hold "" when unknown (`error` is "" for images that were measured)."""


def conform(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with exactly `COLUMNS`, in order and with their dtypes (what a CSV round trip loses)."""
    missing = [name for name in COLUMNS if name not in table.columns]
    if missing:
        raise ValueError(f"not an EDA table: missing columns {missing[:5]}")
    data = {}
    for name in COLUMNS:
        column = table[name]
        if name in TEXT_COLUMNS:
            data[name] = column.fillna("").astype(str)
        elif name in INTEGER_COLUMNS:
            data[name] = pd.to_numeric(column, errors="coerce").astype("Int64")
        elif name in SPECTRUM_COLUMNS:
            data[name] = pd.to_numeric(column, errors="coerce").astype(np.float32)
        else:
            data[name] = pd.to_numeric(column, errors="coerce").astype(np.float64)
    return pd.DataFrame(data, index=pd.RangeIndex(len(table)))


def spectrum_matrix(table: pd.DataFrame) -> np.ndarray:
    """The radial spectra of `table` as float32 (N, SPECTRUM_BINS), NaN rows for unreadable images."""
    return table[list(SPECTRUM_COLUMNS)].to_numpy(dtype=np.float32)


def table_path(path: str | os.PathLike) -> Path:
    """`path`, with a .csv suffix instead of .parquet when pyarrow is not installed."""
    path = Path(path)
    if path.suffix == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        return path.with_suffix(".csv")
    return path


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write `table` atomically as Parquet (or CSV for a .csv path, or when pyarrow is missing).

    Returns:
        The path written, which has a .csv suffix when the fallback was taken.
    """
    target = table_path(path)
    if target != Path(path):
        warnings.warn(
            f"pyarrow is not installed: writing {target.name} (CSV) instead of Parquet", stacklevel=2
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    if target.suffix == ".csv":
        table.to_csv(partial, index=False)
    else:
        table.to_parquet(partial, index=False)
    os.replace(partial, target)
    return target


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a table written by `write_table` (Parquet or CSV, by suffix) with the dtypes restored."""
    path = table_path(path)
    raw = (
        pd.read_csv(path, keep_default_na=False, na_values=[""])
        if path.suffix == ".csv"
        else pd.read_parquet(path)
    )
    return conform(raw)
