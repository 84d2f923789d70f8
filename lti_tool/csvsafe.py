"""CSV cells a spreadsheet shows as text, never runs (OWASP "CSV injection"): every export
writes its cells through ``safe_cell``.

Excel, LibreOffice and Sheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
carriage return as a formula. A cell can also *become* such a cell: a spreadsheet set to split
on ``;`` (the list separator of most European locales) or a naive parser splitting on ``,``
cuts ``Acme;=HYPERLINK(…)`` into ``Acme`` and ``=HYPERLINK(…)``. So a single quote goes before
each of those characters where it starts the cell or follows a ``;`` or ``,`` (spaces between
allowed): whichever way the text is split, no piece starts a formula. Numbers, dates and None
are data (a negative number is not a formula) and are returned unchanged."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SEPARATOR = re.compile(r"([;,] *)(?=[=+\-@\t\r])")


def safe_cell(value: Any) -> Any:
    """The cell with a ``'`` before every formula start (at the start or after ``;``/``,``)."""
    if value is None or isinstance(value, int | float | Decimal | dt.date):
        return value
    text = _AFTER_SEPARATOR.sub(r"\1'", str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through ``safe_cell``."""
    return [safe_cell(v) for v in values]
