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
    """(name, content) of each uploaded file, in order; `value` is a tuple of dicts in ipywidgets 8.

    A name that is not valid Unicode (a lone surrogate) has the offending characters replaced by "?".
    """
    return [(_clean_name(item.get("name")), bytes(item["content"])) for item in value]


def _clean_name(name: object) -> str:
    return str(name or "upload").encode("utf-8", "replace").decode("utf-8")
