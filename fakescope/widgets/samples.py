"""The "try a sample" picker: bundled sample images a first-time user can analyse without a file of their own.

Samples are the images in `models/samples/` next to the bundled models (or a folder given instead); a missing
or empty folder gives a disabled picker that says so.

Example:
    >>> picker = SamplePicker()
    >>> picker.on_pick(lambda path: print(path.name))
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ipywidgets as ipw
import traitlets

from fakescope.data.layout import iter_images
from fakescope.runtime import ModelError, models_dir

SAMPLES_FOLDER = "samples"


def sample_images(folder: str | Path | None = None) -> list[Path]:
    """Image files in `folder` (default: the bundled `samples/`), sorted; [] when there is none."""
    if folder is None:
        try:
            folder = models_dir() / SAMPLES_FOLDER
        except ModelError:
            return []
    folder = Path(folder)
    return list(iter_images(folder, recursive=False)) if folder.is_dir() else []


class SamplePicker(ipw.HBox):
    """A drop-down of sample images and a button that hands the chosen path to `on_pick` callbacks."""

    disabled = traitlets.Bool(False)

    def __init__(self, folder: str | Path | None = None) -> None:
        super().__init__(layout=ipw.Layout(align_items="center"))
        self.add_class("fs-row")
        self.paths = sample_images(folder)
        options = [(path.name, path) for path in self.paths] or [("no sample images found", None)]
        self.dropdown = ipw.Dropdown(options=options, index=0, layout=ipw.Layout(width="220px"))
        self.button = ipw.Button(description="Try a sample", tooltip="Analyse the chosen sample image")
        self.children = [self.dropdown, self.button]
        self._handlers = ipw.CallbackDispatcher()
        self.button.on_click(self._on_click)
        self.observe(self._on_disabled, "disabled")
        self._on_disabled()

    def on_pick(self, callback: Callable[[Path], None], remove: bool = False) -> None:
        """Call `callback(path)` when the button is clicked (or stop calling it with `remove=True`)."""
        self._handlers.register_callback(callback, remove=remove)

    def _on_click(self, _button: ipw.Button) -> None:
        if self.dropdown.value is not None and not self.disabled:
            self._handlers(self.dropdown.value)

    def _on_disabled(self, _change: dict | None = None) -> None:
        off = self.disabled or not self.paths
        self.dropdown.disabled = off
        self.button.disabled = off
