"""CSV cells that a spreadsheet would run as a formula are defused, in every CSV fakescope writes.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return (a file named `=HYPERLINK(...).png`, an
error message naming it) is prefixed with `'`, which spreadsheets show as text. Numbers are left as they are.

Example:
    >>> spreadsheet_safe("=HYPERLINK(1).png: the file is empty")
    "'=HYPERLINK(1).png: the file is empty"
    >>> spreadsheet_safe(0.25)
    0.25
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: object) -> object:
    """`cell` with a leading `'` when it is text a spreadsheet would run as a formula; otherwise as is."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_START) else cell
