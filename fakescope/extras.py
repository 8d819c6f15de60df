"""Optional parts of fakescope and the pip extra that installs each: one message when a package is missing.

Example:
    >>> try:
    ...     with require_extra("video"):
    ...         import no_such_package
    ... except MissingExtraError as err:
    ...     print(err)
    no_such_package is missing; install the video extra: pip install 'fakescope[video]'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fakescope.runtime.errors import FakescopeError


class MissingExtraError(FakescopeError, ImportError):
    """A package of an optional part is not installed; the message names the extra that installs it."""

    def __init__(self, extra: str, package: str | None) -> None:
        self.extra, self.package = extra, package
        what = package or "a package"
        super().__init__(f"{what} is missing; install the {extra} extra: pip install 'fakescope[{extra}]'")


@contextmanager
def require_extra(extra: str) -> Iterator[None]:
    """Turn a missing third-party package imported inside the block into `MissingExtraError` for `extra`.

    A missing fakescope module is a bug, not a missing extra: it is raised as it is. The CLI prints the
    error as one line (`fakescope.cli.main`).
    """
    try:
        yield
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] == "fakescope":
            raise
        raise MissingExtraError(extra, err.name) from None
