"""Report rows: one per file, built the same way by every scan engine (the thread pool here, Dask workers).

Example:
    >>> decoded = [decode(detector, Path("a.jpg")), decode(detector, b"...", key="s3://bucket/b.png")]
    >>> [row["label"] or row["error"] for row in analyse(detector, decoded)]
    ['...', 'b.png: the data is not a PNG, JPEG, BMP, TIFF, WebP or GIF file']
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from fakescope.runtime.detector import Detector
from fakescope.runtime.errors import InvalidImageError
from fakescope.runtime.framing import Framed
from fakescope.runtime.report_file import REPORT_COLUMNS
from fakescope.runtime.results import faces_text, reasons_text

Decoded = tuple[str, Framed | None, str]
"""(the report's path cell, the decoded views or None, the error or "")."""


def decode(detector: Detector, source: Path | bytes, key: str | None = None) -> Decoded:
    """Decode one file (a path, or its bytes reported under `key`) into the views the model will see.

    Never raises: a file that cannot be analysed comes back with its one-line reason.
    """
    key = str(source) if key is None else key
    name = None if isinstance(source, Path) else posixpath.basename(key.rstrip("/"))
    try:
        return key, detector.prepare(source, name=name), ""
    except InvalidImageError as err:
        return key, None, str(err)
    except Exception as err:  # never lose a row: anything unexpected is recorded, not raised
        return key, None, f"{name or Path(key).name}: unexpected error ({type(err).__name__}: {err})"


def error_row(key: str, threshold: float, error: str) -> dict:
    """The row of a file (or a folder) that could not be analysed."""
    row = dict.fromkeys(REPORT_COLUMNS, "")
    row.update(path=key, threshold=round(threshold, 6), error=error)
    return row


def analyse(detector: Detector, batch: list[Decoded]) -> list[dict]:
    """One row per decoded file, in order, with one model run for the whole batch."""
    framed = [item for _, item, _ in batch if item is not None]
    verdicts = iter(detector.judge(framed, with_cam=False) if framed else [])
    rows = []
    for key, item, error in batch:
        row = error_row(key, detector.threshold, error)
        if item is not None:
            result = next(verdicts)
            verdict = {column: value for column, value in result.as_row().items() if column in REPORT_COLUMNS}
            row.update(
                verdict,
                path=key,
                width=result.info.width,
                height=result.info.height,
                format=result.info.format,
                faces=faces_text(verdict["faces"]),
                reasons=reasons_text(verdict["reasons"]),
                provenance=verdict["provenance"],
            )
        rows.append(row)
    return rows
