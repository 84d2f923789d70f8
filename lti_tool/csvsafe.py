"""CSV cells a spreadsheet shows as text, never runs (OWASP "CSV injection"): every export
writes its cells through ``safe_cell``.

Excel, LibreOffice and Sheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or
carriage return as a formula. A cell can also *become* such a cell: a spreadsheet set to split
on ``;`` (the list separator of most European locales) or a naive parser splitting on ``,``
cuts ``Acme;=HYPERLINK(…)`` into ``Acme`` and ``=HYPERLINK(…)``. So a single quote goes before
each of those characters where it starts the cell or follows a ``;`` or ``,`` (spaces between
allowed): whichever way the text is split, no piece starts a formula. Numbers, dates and None
are data (a negative number is not a formula) and are returned unchanged, and so is text that is
a plain number (``-1.5``, ``+3``, ``-12%``, ``-1,234.5``: digits only, nothing a spreadsheet could
run), so a spreadsheet reads it as a number, not as text behind a ``'``.

``csv_lines``/``csv_text`` write a header and rows with those cells (RFC 4180 quoting, CRLF), and
``csv_response`` sends them as a download no cache keeps: every export writes CSV through here.
Every CSV file starts with a UTF-8 byte order mark (``csv_response``, ``csv_bytes``,
``ENCODING``): without it Excel on Windows reads UTF-8 as the ANSI code page, and "José" becomes
"JosÃ©"; readers that know UTF-8 (Python's ``utf-8-sig``, LibreOffice, Sheets) skip it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_AFTER_SEPARATOR = re.compile(r"([;,] *)(?=[=+\-@\t\r])")
# A signed plain number: digits (thousands grouped by commas, or not), decimals, a percent sign.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?%?")
BOM = "\ufeff"
ENCODING = "utf-8-sig"  # Python's UTF-8 that writes the byte order mark first


def safe_cell(value: Any) -> Any:
    """The cell with a ``'`` before every formula start (at the start or after ``;``/``,``)."""
    if value is None or isinstance(value, int | float | Decimal | dt.date):
        return value
    if is_plain_number(value):
        return value
    text = _AFTER_SEPARATOR.sub(r"\1'", str(value))
    return "'" + text if text.startswith(FORMULA_START) else text


def is_plain_number(value: Any) -> bool:
    """Whether the text is a plain number (a sign, digits, decimals, a percent sign), which a
    spreadsheet reads as a number, never as a formula."""
    text = str(value)
    return any(c.isdigit() for c in text) and _PLAIN_NUMBER.fullmatch(text) is not None


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Every cell of a row through ``safe_cell``."""
    return [safe_cell(v) for v in values]


def csv_lines(
    header: Iterable[Any], rows: Iterable[Iterable[Any]], *, cell: Callable[[Any], Any] = safe_cell
) -> Iterator[str]:
    """CSV text (RFC 4180 quoting, CRLF) one line at a time, the header first, every cell
    through ``cell`` (``safe_cell``, or a formatter that ends in it): for streaming."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in _with_header(header, rows):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(value) for value in row])
        yield buffer.getvalue()


def _with_header(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[Iterable[Any]]:
    yield header
    yield from rows


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield BOM
    yield from lines


def csv_text(
    header: Iterable[Any], rows: Iterable[Iterable[Any]], *, cell: Callable[[Any], Any] = safe_cell
) -> str:
    """The whole CSV text of ``csv_lines``."""
    return "".join(csv_lines(header, rows, cell=cell))


def csv_bytes(
    header: Iterable[Any], rows: Iterable[Iterable[Any]], *, cell: Callable[[Any], Any] = safe_cell
) -> bytes:
    """A CSV file's bytes (UTF-8 with its byte order mark) from ``csv_lines``."""
    return csv_text(header, rows, cell=cell).encode(ENCODING)


def csv_response(filename: str, body: str | Iterator[str]) -> Response:
    """A CSV download (UTF-8 with a byte order mark, for Excel) no cache keeps; lines from
    ``csv_lines`` are streamed."""
    content = BOM + body if isinstance(body, str) else stream_with_context(_with_bom(body))
    response = Response(content, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
