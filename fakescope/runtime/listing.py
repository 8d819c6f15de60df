"""Which files a scan reads: image-named files under a folder, streamed folder by folder, failures included.

Every scan engine lists through `walk_image_files` (the Dask engine through `stream_image_files`, the same
rules unsorted, so no folder's names are held at once), so they all see the same files: names with an image
extension (a broken link with one too, so its row says why it could not be read), links to folders not
followed, and a folder that cannot be listed reported as such instead of skipped.

Example:
    >>> listing = find_image_files("data/demo", recursive=True)
    >>> listing
    Listing(12 images, ...)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fakescope.runtime.images import SUPPORTED_EXTENSIONS


@dataclass(frozen=True)
class Unlisted:
    """A folder that could not be listed, with its one-line reason."""

    folder: Path
    reason: str


@dataclass
class Listing:
    """Image files under a folder (absolute, sorted), the count of other files, and folders that failed."""

    images: list[Path] = field(default_factory=list)
    others: int = 0
    unreadable: list[Unlisted] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Listing({len(self.images)} images, {self.others} others, {len(self.unreadable)} unreadable)"


def is_image_name(name: str) -> bool:
    """Whether a file name has one of the supported image extensions (any case)."""
    return os.path.splitext(name)[1].lower() in SUPPORTED_EXTENSIONS


def walk_image_files(folder: str | os.PathLike, recursive: bool = False) -> Iterator[Path | Unlisted | int]:
    """Stream what a scan of `folder` reads: image paths (sorted within each folder, folders in name order),
    an `Unlisted` for each folder that fails, and after each folder the count of its other files.

    Only one folder's entries are held at a time, so a tree of millions of files streams in bounded memory.

    Raises:
        NotADirectoryError: `folder` is not a folder.
    """
    images, others = [], 0
    for current, item in _entries(folder, recursive):
        if item is None:
            yield from (current / name for name in sorted(images))
            yield others
            images, others = [], 0
        elif isinstance(item, Unlisted):
            yield item
        elif is_image_name(item.name):
            images.append(item.name)
        else:
            others += 1


def stream_image_files(folder: str | os.PathLike, recursive: bool = False) -> Iterator[Path | Unlisted]:
    """Stream the image paths under `folder` in the order the file system lists them (`os.scandir`), each
    one as soon as it is read, and an `Unlisted` for each folder that fails (also part-way through).

    Unlike `walk_image_files` nothing is sorted, so not even one flat folder's names are held at once: only
    the names of the sub-folders still to visit. The order is the directory's own (stable while it does not
    change). Links to folders are not followed.

    Example:
        >>> sum(1 for _ in stream_image_files("data/demo", recursive=True))
        12

    Raises:
        NotADirectoryError: `folder` is not a folder.
    """
    for current, item in _entries(folder, recursive):
        if isinstance(item, Unlisted):
            yield item
        elif item is not None and is_image_name(item.name):
            yield current / item.name


def _entries(
    folder: str | os.PathLike, recursive: bool
) -> Iterator[tuple[Path, os.DirEntry | Unlisted | None]]:
    """The one traversal both listings share: each folder's non-folder entries as `os.scandir` reads them, an
    `Unlisted` if the listing fails, then `(folder, None)` at its end; sub-folders depth-first in name order,
    links to folders not followed. Only the names of the sub-folders still to visit are held."""
    folder = Path(folder).absolute()
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    stack = [folder]
    while stack:
        current = stack.pop()
        folders = []
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    if not entry.is_dir():
                        yield current, entry
                    elif recursive and not entry.is_symlink():
                        folders.append(entry.name)
        except OSError as err:
            yield (
                current,
                Unlisted(
                    current, f"{current.name or current}: cannot list the folder ({err.strerror or err})"
                ),
            )
        yield current, None
        stack.extend(current / name for name in sorted(folders, reverse=True))


def find_image_files(folder: str | os.PathLike, recursive: bool = False) -> Listing:
    """All of `walk_image_files` at once, the images sorted.

    Raises:
        NotADirectoryError: `folder` is not a folder.
    """
    listing = Listing()
    for item in walk_image_files(folder, recursive):
        if isinstance(item, Unlisted):
            listing.unreadable.append(item)
        elif isinstance(item, int):
            listing.others += item
        else:
            listing.images.append(item)
    listing.images.sort()
    return listing
