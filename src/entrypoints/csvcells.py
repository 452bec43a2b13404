"""CSV cells that a spreadsheet shows as text and never evaluates.

A cell written by a person (an override's reason, a player's name) that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would run as a formula when the file is opened
in a spreadsheet; such a cell gets a leading apostrophe. Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def sheet_cell(value: object) -> str:
    """``value`` as text a spreadsheet shows and never evaluates (None is empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_CHARS) else text


def sheet_csv(header: Sequence[str], lines: Iterable[Sequence[object]]) -> str:
    """A CSV document: ``header``, then each line with its text cells made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for line in lines:
        writer.writerow([sheet_cell(v) if isinstance(v, str) else v for v in line])
    return out.getvalue()
