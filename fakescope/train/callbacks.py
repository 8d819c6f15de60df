"""Keras callbacks: a per-epoch CSV log across both phases, and epoch updates for notebooks.

`EpochCallback` turns every finished epoch into an `EpochUpdate` and hands it to a plain function, so a
notebook can drive any widget (a progress bar, a plotly FigureWidget) without importing ipywidgets here.

Example:
    >>> updates = []
    >>> train("data/demo", "runs/demo", config, callbacks=[EpochCallback(updates.append)])
    >>> updates[-1].logs["val_auc"]
    0.97
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import keras

LOG_FIELDS = (
    "phase",
    "epoch",
    "learning_rate",
    "seconds",
    "loss",
    "auc",
    "accuracy",
    "val_loss",
    "val_auc",
    "val_accuracy",
)


@dataclass(frozen=True)
class EpochUpdate:
    """One finished epoch: phase ("head" or "fine_tune"), epoch counted from 1 across both phases, the planned
    total of epochs (early stopping may end sooner) and the Keras logs."""

    phase: str
    epoch: int
    epochs: int
    logs: dict[str, float] = field(default_factory=dict)


class PhaseAware(keras.callbacks.Callback):
    """A callback that knows which training phase is running (set by `fakescope.train.training`)."""

    phase = "head"
    total_epochs = 0


class EpochLog(PhaseAware):
    """Append one CSV row per epoch (`LOG_FIELDS`) to `path`; the file is created with a header."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        row = {name: logs.get(name, "") for name in LOG_FIELDS}
        row.update(phase=self.phase, epoch=epoch + 1, seconds=round(time.perf_counter() - self._started, 3))
        row["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        new = not self.path.exists()
        with open(self.path, "a", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=LOG_FIELDS)
            if new:
                writer.writeheader()
            writer.writerow(row)


class EpochCallback(PhaseAware):
    """Call `fn(EpochUpdate)` after every epoch; use it to update widgets or plots in a notebook."""

    def __init__(self, fn: Callable[[EpochUpdate], None]) -> None:
        super().__init__()
        self.fn = fn

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        values = {k: float(v) for k, v in (logs or {}).items()}
        self.fn(EpochUpdate(self.phase, epoch + 1, self.total_epochs, values))
