"""Read a whole file with a size bound: regular files only, never more than the limit plus one byte.

A FIFO, a device (`/dev/zero`), a socket or a directory is refused from `fstat` on the opened descriptor
(opened non-blocking, so a FIFO without a writer cannot hang the open), and the read stops one byte past the
limit even if the file grows while it is read.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "three.bin"
    >>> _ = path.write_bytes(b"abc")
    >>> read_regular_file(path, max_bytes=3)
    b'abc'
    >>> read_regular_file(path, max_bytes=2)
    Traceback (most recent call last):
    ...
    fakescope.runtime.files.FileOverLimitError: 3 bytes is over the limit of 2 bytes
    >>> read_regular_file("/dev/zero", max_bytes=10)
    Traceback (most recent call last):
    ...
    fakescope.runtime.files.NotRegularFileError: not a regular file (a character device)
"""

from __future__ import annotations

import os
import stat

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
_CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """The path is a FIFO, a device, a socket or another kind of non-regular file; `kind` says which."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.kind = kind


class FileOverLimitError(OSError):
    """The file holds more bytes than the limit; `size` is its size (or the bytes read, a lower bound)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def read_regular_file(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of the regular file `path`, at most `max_bytes` of them.

    Raises:
        NotRegularFileError: a FIFO, device, socket, ...
        IsADirectoryError: a directory.
        FileOverLimitError: the file is (or grows) larger than `max_bytes`.
        OSError: any other failure to open or read (missing, permission, link loop, ...).
        ValueError: the path holds a NUL byte.
    """
    fd = os.open(path, _FLAGS)
    try:
        info = os.fstat(fd)
        _check_regular(info.st_mode)
        if info.st_size > max_bytes:
            raise FileOverLimitError(info.st_size, max_bytes)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise FileOverLimitError(total, max_bytes)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_start(path: str | os.PathLike, count: int) -> bytes:
    """The first `count` bytes of the regular file `path` (fewer if it is shorter), for sniffing its format.

    Raises:
        NotRegularFileError, IsADirectoryError, OSError, ValueError: as `read_regular_file`.
    """
    fd = os.open(path, _FLAGS)
    try:
        _check_regular(os.fstat(fd).st_mode)
        return os.read(fd, count)
    finally:
        os.close(fd)


def _check_regular(mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(21, "Is a directory")
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(_kind(mode))


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    kinds += ((stat.S_ISSOCK, "a socket"),)
    return next((name for check, name in kinds if check(mode)), "a special file")
