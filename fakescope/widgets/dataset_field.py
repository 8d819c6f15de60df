"""`DatasetField`: the dataset folder of a page, chosen among the allowed ones or typed, checked at once.

Example:
    >>> field = DatasetField(AllowedFolders.of(["data/demo"]), "demo")
    >>> field.folder, field.note.value          # the checked folder, and what the page says about it
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import ipywidgets as ipw
import traitlets

from fakescope.widgets.folders import AllowedFolders, FolderRefused
from fakescope.widgets.markup import message_html


class DatasetField(ipw.VBox):
    """A combobox offering `allowed.choices()`; `folder` is the checked folder, None while unusable.

    The check runs when a choice is picked or typing ends (Enter or leaving the field) and says, in `note`,
    what is wrong with the folder, naming it once.
    """

    folder = traitlets.Instance(Path, allow_none=True)

    def __init__(self, allowed: AllowedFolders, value: str = "", **combobox: object) -> None:
        super().__init__()
        self.allowed = allowed
        self.combobox = ipw.Combobox(
            value=value,
            options=allowed.choices(),
            placeholder="choose or type a dataset folder",
            description="Folder",
            ensure_option=False,
            continuous_update=False,
            **combobox,
        )
        self.note = ipw.HTML()
        self.children = [self.combobox, self.note]
        self.combobox.observe(self._on_value, "value")
        self._on_value()

    @property
    def value(self) -> str:
        return self.combobox.value

    @value.setter
    def value(self, text: str) -> None:
        self.combobox.value = text

    @property
    def disabled(self) -> bool:
        return self.combobox.disabled

    @disabled.setter
    def disabled(self, off: bool) -> None:
        self.combobox.disabled = off

    def check(self) -> Path:
        """The folder in the field, checked (the note says why not).

        Raises:
            FolderRefused: the folder cannot be used; the message is safe to show.
        """
        try:
            folder, note = self.allowed.check(self.value)
        except FolderRefused as err:
            self.note.value = message_html(str(err), "error")
            self.folder = None
            raise
        self.note.value = message_html(note, "note")
        self.folder = folder
        return folder

    def label(self, path: Path) -> str:
        return self.allowed.label(path)

    def _on_value(self, _change: dict | None = None) -> None:
        if not self.value.strip():
            self.note.value = ""
            self.folder = None
            return
        with contextlib.suppress(FolderRefused):  # the note already says why
            self.check()
