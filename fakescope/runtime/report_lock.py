"""One writer per report: an exclusive, non-blocking `flock` on the report file (or the report folder).

The lock lives on the open file itself, so there is no lock file to leave behind, and the kernel drops it when
the process ends, however it ends. `flock` is advisory: it stops a second fakescope scan, not other programs;
on network file systems it is only as good as the server's lock support (NFSv4 emulates it with byte-range
locks; some FUSE and SMB mounts ignore it).

Example:
    >>> fd = os.open("report.csv", os.O_RDWR | os.O_CREAT)
    >>> hold_exclusive(fd, "report.csv")      # a second process now gets ReportError
"""

from __future__ import annotations

import fcntl
import os

from fakescope.runtime.errors import ReportError


def hold_exclusive(fd: int, path: str | os.PathLike) -> None:
    """Lock `fd` for this process until it is closed.

    Raises:
        ReportError: another process holds the lock (another scan is writing the same report).
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ReportError(
            f"{os.fspath(path)} is being written by another scan: wait for it to end or choose another report"
        ) from None


def lock_folder(folder: str | os.PathLike) -> int:
    """Make `folder` if needed and lock it for this process; returns the descriptor that holds the lock
    (close it to release).

    Raises:
        ReportError: another process holds the lock.
    """
    os.makedirs(folder, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        hold_exclusive(fd, folder)
    except BaseException:
        os.close(fd)
        raise
    return fd
