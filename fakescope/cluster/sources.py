"""Where a Dask scan reads from: a local folder or an fsspec URL, listed as a stream of report keys.

A local folder (or a `file://` URL) is listed by the runtime's own `stream_image_files` (the thread engine's
rules and keys, the absolute paths, streamed from `os.scandir` in directory order, so a flat folder's names
never sit in one list); any other URL (`memory://`, `s3://`, `gs://`, `az://`, ... with the user's fsspec
back-end installed) is walked with fsspec under the same rules, its keys full URLs, one folder at a time
(`folder_pages`: on S3 a page of 1,000 keys per request, asked for as the partitions fill; elsewhere the
folder's one `ls`). Workers read the bytes themselves (`read_source`): nothing but keys passes through the
client.

Example:
    >>> source = Source.parse("memory://photos")
    >>> [entry.key for entry in source.entries(recursive=True)][:1]
    ['memory:///photos/a.png']
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fsspec

from fakescope.cluster.folder_pages import S3_PAGE_KEYS, folder_pages
from fakescope.runtime.errors import ImageTooLargeError, InvalidImageError
from fakescope.runtime.images import ImageLimits
from fakescope.runtime.listing import Unlisted, is_image_name, stream_image_files

LOCAL = ("file", "local")


@dataclass(frozen=True)
class Entry:
    """One listed key: a file to analyse ("image" or "video"), or (with `error`) a folder that failed."""

    key: str
    error: str = ""
    kind: str = "image"


@dataclass(frozen=True)
class Source:
    """A parsed scan source: fsspec protocol, the root path inside it, and the back-end's options."""

    url: str
    protocol: str
    root: str
    storage_options: dict = field(default_factory=dict, compare=False)

    @classmethod
    def parse(cls, source: str | os.PathLike, storage_options: dict | None = None) -> Source:
        """Parse a folder path or URL.

        Raises:
            NotADirectoryError: the source is not a folder (in an object store: a prefix holding no key).
            ValueError: a URL whose fsspec back-end is not installed.
        """
        text = os.fspath(source)
        try:
            fs, root = fsspec.core.url_to_fs(text, **(storage_options or {}))
        except ImportError as err:
            hint = " (pip install 'fakescope[s3]')" if text.startswith(("s3://", "s3a://")) else ""
            raise ValueError(f"cannot read {text}: {err}{hint}") from None
        except ValueError as err:
            raise ValueError(f"cannot read {text}: {err}") from None
        protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if protocol in LOCAL:
            root = str(Path(root).absolute())
            if not Path(root).is_dir():
                raise NotADirectoryError(f"{root} is not a folder")
            return cls(root, "file", root, {})
        url = fs.unstrip_protocol(root).rstrip("/")
        try:
            found = fs.isdir(root)
        except OSError as err:
            raise NotADirectoryError(f"cannot list {url}: {err}") from None
        if not found:
            raise NotADirectoryError(f"{url} is not a folder")
        return cls(url, protocol, root.rstrip("/"), dict(storage_options or {}))

    @property
    def local(self) -> bool:
        return self.protocol == "file"

    def entries(self, recursive: bool = False, page_keys: int = S3_PAGE_KEYS) -> Iterator[Entry]:
        """Stream the image keys under the source (and an error entry per folder that cannot be listed);
        an S3 folder is read `page_keys` keys per request, as the keys are wanted."""
        if self.local:
            for item in stream_image_files(self.root, recursive):
                if isinstance(item, Unlisted):
                    yield Entry(str(item.folder), item.reason)
                else:
                    yield Entry(str(item))
            return
        fs = fsspec.filesystem(self.protocol, **self.storage_options)
        stack = [self.root]
        while stack:
            folder, subfolders = stack.pop(), []
            try:
                for page in folder_pages(fs, folder, page_keys):
                    names = (path for path in page.files if is_image_name(posixpath.basename(path)))
                    yield from (Entry(fs.unstrip_protocol(path)) for path in names)
                    subfolders.extend(page.folders if recursive else ())
            except OSError as err:
                name = posixpath.basename(folder) or folder
                yield Entry(
                    fs.unstrip_protocol(folder), f"{name}: cannot list the folder ({err.strerror or err})"
                )
            stack.extend(sorted(subfolders, reverse=True))


def read_source(key: str, protocol: str, storage_options: dict, limits: ImageLimits) -> Path | bytes:
    """What a worker hands the decoder for `key`: the path itself when local, else at most the limit's bytes.

    Raises:
        InvalidImageError: the object cannot be read, or is larger than the limits allow.
    """
    if protocol == "file":
        return Path(key)
    name = posixpath.basename(key)
    try:
        fs, path = fsspec.core.url_to_fs(key, **storage_options)
        size = fs.size(path)
        if size is not None and size > limits.max_file_bytes:
            raise ImageTooLargeError(_too_big(name, size, limits))
        with fs.open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except InvalidImageError:
        raise
    except FileNotFoundError:
        raise InvalidImageError(f"{name}: no such file") from None
    except (OSError, ValueError) as err:
        raise InvalidImageError(f"{name}: cannot read the file ({err})") from None
    if len(data) > limits.max_file_bytes:  # the store under-reported the size
        raise ImageTooLargeError(_too_big(name, len(data), limits))
    return data


def _too_big(name: str, size: int, limits: ImageLimits) -> str:
    """The runtime's words for a file over the size limit (as `load_image` says it of a local file)."""
    limit = limits.max_file_bytes / 2**20
    return f"{name}: file is {size / 2**20:.1f} MiB, over the limit of {limit:.1f} MiB"
