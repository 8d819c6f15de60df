"""Read the files of an ipywidgets 8 `FileUpload` value.

Example:
    >>> uploaded_files(upload.value)
    [('face.jpg', b'\\xff\\xd8...')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fakescope.runtime import SUPPORTED_EXTENSIONS

ACCEPT = ",".join(SUPPORTED_EXTENSIONS)
"""The file chooser filter: the extensions the runtime decodes."""


def uploaded_files(value: Iterable[Mapping[str, Any]]) -> list[tuple[str, bytes]]:
    """(name, content) of each uploaded file, in order; `value` is a tuple of dicts in ipywidgets 8."""
    return [(str(item.get("name") or "upload"), bytes(item["content"])) for item in value]
