"""`_manifest.json`: what a Dask report folder was made from, so `--resume` never mixes two scans.

It records the model's sha256, the options that change verdicts (threshold, alpha, TTA, C2PA), the source,
how the files were partitioned and the columns; when the scan completes, also the parts that make up the
report. It is written atomically (temporary name, then rename).

Example:
    >>> manifest = Manifest("ab12...", "s3://bucket/photos", recursive=True, partition_size=1000)
    >>> manifest.check_resumable(Manifest.read(folder), folder)   # ReportError if made differently
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from fakescope.cluster.parts import SCHEMA, write_json
from fakescope.runtime.errors import ReportError

MANIFEST_NAME = "_manifest.json"
FORMAT = "fakescope-dask-report/1"


@dataclass(frozen=True)
class Manifest:
    """How a report folder was made; `parts` is filled in when the scan completes."""

    model_sha256: str
    source: str
    recursive: bool
    partition_size: int
    judging: dict = field(default_factory=dict)
    columns: tuple[str, ...] = tuple(SCHEMA.names)
    column_types: tuple[str, ...] = tuple(str(t) for t in SCHEMA.types)
    format: str = FORMAT
    complete: bool = False
    parts: tuple[str, ...] = ()
    counts: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        state = f"complete, {len(self.parts)} parts" if self.complete else "incomplete"
        return f"Manifest({self.source!r}, model {self.model_sha256[:12]}, {state})"

    def completed(self, parts: list[str], counts: dict) -> Manifest:
        return replace(self, complete=True, parts=tuple(parts), counts=dict(counts))

    def check_resumable(self, found: Manifest, folder: Path) -> None:
        """Refuse to resume a folder whose report was made by another model, source or partitioning."""
        for what, mine, theirs in (
            ("model (sha256)", self.model_sha256, found.model_sha256),
            ("source", self.source, found.source),
            ("recursive flag", self.recursive, found.recursive),
            ("partition size", self.partition_size, found.partition_size),
            ("judging options", self.judging, found.judging),
            ("columns", self.columns, found.columns),
            ("format", self.format, found.format),
        ):
            if mine != theirs:
                raise ReportError(
                    f"cannot resume: {folder} was made with another {what} ({theirs!r}, not {mine!r})"
                )

    def write(self, folder: Path) -> None:
        write_json(folder / MANIFEST_NAME, asdict(self))

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """The folder's manifest.

        Raises:
            ReportError: there is none, or it is not a fakescope report manifest.
        """
        path = Path(folder) / MANIFEST_NAME
        try:
            data = json.loads(path.read_text())
            data["columns"] = tuple(data["columns"])
            data["column_types"] = tuple(data["column_types"])
            data["parts"] = tuple(data["parts"])
            if data.get("format") != FORMAT:
                raise ValueError(data.get("format"))
            return cls(**data)
        except FileNotFoundError:
            raise ReportError(f"{folder} is not a fakescope report folder (no {MANIFEST_NAME})") from None
        except (OSError, ValueError, TypeError, KeyError) as err:
            raise ReportError(f"{path} is not a fakescope report manifest ({type(err).__name__})") from None
