"""The folders a served page may read: those the dashboard was started with (`--data`, repeatable) and
their subfolders, nothing else.

A visitor chooses or types a folder by its label, the root's own name followed by the path below it
(`demo/train`), so no absolute path of the server is ever shown. Anything outside the roots, however it is
spelled (`/root`, `~`, `demo/../..`, a symbolic link leading out), is refused with one message that says
nothing about what exists.

Example:
    >>> folders = AllowedFolders.of(["/srv/data/demo"])
    >>> folders.resolve("demo/train"), folders.label(Path("/srv/data/demo/train"))
    (PosixPath('/srv/data/demo/train'), 'demo/train')
    >>> folders.resolve("/etc")
    Traceback (most recent call last):
    FolderRefused: Choose one of the offered folders: this dashboard reads only the folders it was ...
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from fakescope.data.layout import find_dataset
from fakescope.widgets.env import DATA_ENV, env_paths

REFUSED = "Choose one of the offered folders: this dashboard reads only the folders it was started with."
NONE_GIVEN = "No dataset folder was given: start the dashboard with --data DIR."
EMPTY = "Enter a dataset folder first."
LAYOUT = (
    "expected train/, valid/ and test/ folders each holding real/ and fake/, or real/ and fake/ folders; "
    "make an example one with `fakescope data demo DIR`"
)
MAX_CHOICES = 200
CHOICE_DEPTH = 2


class FolderRefused(ValueError):
    """The folder is outside the allowed roots, or none was given; the message is safe to show."""


@dataclass(frozen=True)
class AllowedFolders:
    """Allowed roots (absolute, resolved) and the label each is shown by."""

    roots: tuple[Path, ...]
    labels: tuple[str, ...]

    @classmethod
    def of(cls, folders: Iterable[str | os.PathLike | None]) -> AllowedFolders:
        """The roots `folders` (None and empty entries skipped); equal names get " (2)", " (3)", ..."""
        roots, labels = [], []
        for folder in folders:
            if folder is None or not str(folder).strip():
                continue
            root = Path(folder).expanduser().resolve()
            if root in roots:
                continue
            name = root.name or str(root)
            label, n = name, 1
            while label in labels:
                n += 1
                label = f"{name} ({n})"
            roots.append(root)
            labels.append(label)
        return cls(tuple(roots), tuple(labels))

    def resolve(self, text: str) -> Path:
        """The folder a visitor typed (a label path, or an absolute path inside a root).

        Raises:
            FolderRefused: `text` is empty or lies outside every root (one message, whatever the reason).
        """
        text = text.strip()
        if not self.roots:
            raise FolderRefused(NONE_GIVEN)
        if not text:
            raise FolderRefused(EMPTY)
        candidate = self._candidate(text)
        if candidate is not None:
            try:  # a null byte, a name too long, a loop of symbolic links: refused like the rest
                resolved = candidate.resolve()
            except (OSError, ValueError, RuntimeError):
                raise FolderRefused(REFUSED) from None
            if any(resolved == root or resolved.is_relative_to(root) for root in self.roots):
                return resolved
        raise FolderRefused(REFUSED)

    def label(self, path: Path) -> str:
        """`path` (inside a root) as a visitor sees it: the root's label and the path below it."""
        path = Path(path)
        for root, label in self._by_depth():
            if path == root:
                return label
            if path.is_relative_to(root):
                return f"{label}/{path.relative_to(root).as_posix()}"
        raise FolderRefused(REFUSED)

    def relabel(self, message: str) -> str:
        """`message` with every root's absolute path replaced by its label."""
        for root, label in self._by_depth():
            message = message.replace(str(root), label)
        return message

    def choices(self) -> list[str]:
        """The roots and their subfolders (two levels down) that hold a dataset, as labels."""
        found = []
        for root, label in zip(self.roots, self.labels, strict=True):
            found.append(label)
            level = [root]
            for _ in range(CHOICE_DEPTH):
                level = [child for parent in level for child in _subdirs(parent)]
                found += [self.label(folder) for folder in level if find_dataset(folder) == folder]
        return found[:MAX_CHOICES]

    def check(self, text: str) -> tuple[Path, str]:
        """(folder, note) when `text` names a dataset folder inside the roots.

        Raises:
            FolderRefused: outside the roots, missing, or not a dataset (the message names the folder once
                and says which layout is expected and how to make one).
        """
        folder = self.resolve(text)
        label = self.label(folder)
        if not _is_dir(folder):
            raise FolderRefused(f"{label} is not a folder.")
        if find_dataset(folder) is None:
            raise FolderRefused(f"{label} is not a dataset folder: {LAYOUT}.")
        return folder, f"{label} holds a dataset."

    def _candidate(self, text: str) -> Path | None:
        if os.path.isabs(text):
            return Path(text)
        head, *rest = PurePosixPath(text).parts
        for root, label in zip(self.roots, self.labels, strict=True):
            if head == label:
                return root.joinpath(*rest)
        return None

    def _by_depth(self) -> list[tuple[Path, str]]:
        """(root, label), deepest root first, so a root nested in another is labelled by itself."""
        pairs = zip(self.roots, self.labels, strict=True)
        return sorted(pairs, key=lambda pair: len(pair[0].parts), reverse=True)


def allowed_and_first(
    folder: str | os.PathLike | None, roots: Iterable[str | os.PathLike] | None
) -> tuple[AllowedFolders, str]:
    """The allowed roots of a page and the folder its field starts with.

    The roots are `roots`, else the folders in $FAKESCOPE_DATA, else `folder` itself (a notebook user who
    names a folder may read it). The field starts on `folder` shown by its label, else on the first root.
    """
    if roots is None:
        roots = env_paths(DATA_ENV) or ([folder] if folder is not None else [])
    allowed = AllowedFolders.of(roots)
    if folder is None:
        return allowed, allowed.labels[0] if allowed.labels else ""
    if not str(folder).strip():
        return allowed, ""
    try:
        return allowed, allowed.label(Path(folder).expanduser().resolve())
    except FolderRefused:
        return allowed, str(folder)


def _is_dir(path: Path) -> bool:
    """`path.is_dir()`, False also where the system refuses the name (too long) or cannot look."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _subdirs(folder: Path) -> list[Path]:
    """Visible subfolders; symbolic links are not offered (one may lead out of the roots)."""
    try:
        return sorted(
            p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
        )
    except OSError:
        return []
