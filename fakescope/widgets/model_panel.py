"""The model panel: pick an ONNX model (bundled ones, or those in a given folder) and read its card.

`detector` is the loaded `Detector`, or None when no model could be loaded; the panel then says why in one
line and the rest of the dashboard stays usable.

Example:
    >>> panel = ModelPanel("runs/exp/model.onnx")
    >>> panel.detector.card.name
    'fakescope-demo'
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as ipw
import traitlets

from fakescope.provenance import checker_if_installed
from fakescope.runtime import Detector, ModelError, default_model_path, list_models, models_dir
from fakescope.widgets.env import upload_limits
from fakescope.widgets.markup import card_html, message_html

START_HINT = "Start the dashboard with `fakescope dashboard --model MODEL.onnx`."
PICK_HINT = "Pick a model above, or start the dashboard with `fakescope dashboard --model MODEL.onnx`."


def model_choices(model: str | Path | None = None, folder: str | Path | None = None) -> list[Path]:
    """ONNX files to offer: in `folder` (default: the bundled models), next to `model`, and `model` itself."""
    folders = [Path(folder)] if folder is not None else _bundled_folder()
    if model is not None:
        folders.append(Path(model).parent)
    found = {p.resolve(): p for f in folders if f.is_dir() for p in list_models(f)}
    if model is not None:
        found.setdefault(Path(model).resolve(), Path(model))
    return sorted(found.values(), key=lambda p: (p.name, str(p)))


class ModelPanel(ipw.VBox):
    """A model drop-down, the card of the loaded model, and a one-line message when loading failed."""

    detector = traitlets.Instance(Detector, allow_none=True)

    def __init__(self, model: str | Path | None = None, folder: str | Path | None = None) -> None:
        super().__init__()
        initial, problem = _initial_model(model)
        choices = model_choices(initial, folder)
        names = [p.name for p in choices]
        options = [(p.name if names.count(p.name) == 1 else f"{p.parent.name}/{p.name}", p) for p in choices]
        self.picker = ipw.Dropdown(options=options, value=None, layout=ipw.Layout(width="auto"))
        self.message = ipw.HTML()
        self.card = ipw.HTML()
        self.children = [self.picker, self.message, self.card]
        self.picker.observe(self._on_pick, "value")
        if initial is None:
            hint = PICK_HINT if choices else START_HINT
            self.message.value = message_html(f"No model loaded: {problem} {hint}", "error")
        else:
            initial = next((p for p in choices if p.resolve() == initial.resolve()), initial)
            self.picker.value = initial

    def load(self, path: str | Path) -> None:
        """Load the model at `path` (what picking it in the drop-down does)."""
        try:
            detector = Detector(path, limits=upload_limits(), c2pa=checker_if_installed())
        except (ModelError, ValueError) as err:
            self.detector = None
            self.card.value = ""
            self.message.value = message_html(f"Cannot use this model: {err}", "error")
            return
        self.message.value = ""
        self.card.value = card_html(detector.card)
        self.detector = detector

    def _on_pick(self, change: dict) -> None:
        if change["new"] is not None:
            self.load(change["new"])


def _bundled_folder() -> list[Path]:
    try:
        return [models_dir()]
    except ModelError:
        return []


def _initial_model(model: str | Path | None) -> tuple[Path | None, str]:
    if model is not None:
        return Path(model), ""
    try:
        return default_model_path(), ""
    except ModelError as err:
        return None, str(err) + "."
