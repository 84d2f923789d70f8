"""The one CSV-cell defuser every export uses (``lti_tool.csvsafe``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from lti_tool.csvsafe import csv_bytes, safe_cell, safe_row


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Teamwork", "Teamwork"),
        ("Call; she mentioned an exam week, twice", "Call; she mentioned an exam week, twice"),
        ("a-b=c@d", "a-b=c@d"),  # not at the start of a cell or after a separator
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("\rx", "'\rx"),
    ],
)
def test_cells_starting_a_formula_get_a_quote(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("a;=cmd", "a;'=cmd"),
        ('x,=HYPERLINK("http://evil")', 'x,\'=HYPERLINK("http://evil")'),
        ("Acme; +1", "Acme; '+1"),
        ("a,@SUM(A1);-2", "a,'@SUM(A1);'-2"),
        ("x;\t=y", "x;'\t=y"),
        ("=a;=b", "'=a;'=b"),
    ],
)
def test_a_formula_after_a_separator_gets_a_quote(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize("separator", [";", ","])
def test_no_piece_of_a_split_cell_starts_a_formula(separator):
    """A spreadsheet splitting on ; (European list separator) or , sees no formula."""
    hostile = 'Acme;=HYPERLINK("http://evil","x"),-2+3; @SUM(A1)'
    plain = "Acme"
    assert safe_cell(plain) == plain  # positive control: ordinary text is untouched
    pieces = [p.lstrip(" ") for p in str(safe_cell(hostile)).split(separator)]
    assert not [p for p in pieces if p.startswith(("=", "+", "-", "@", "\t", "\r"))], pieces


def test_numbers_dates_and_none_are_data():
    day = dt.date(2026, 1, 2)
    assert safe_row([-3, 2.5, Decimal("-1.5"), day, None, True]) == [
        -3, 2.5, Decimal("-1.5"), day, None, True,
    ]  # fmt: skip


def test_other_objects_are_written_as_their_text_defused():
    class Odd:
        def __str__(self) -> str:
            return "=evil()"

    assert safe_cell(Odd()) == "'=evil()"


def test_a_written_row_reads_back_defused():
    buffer = io.StringIO()
    csv.writer(buffer).writerow(safe_row(["x,=1+1", "a;=cmd", 5]))
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["x,'=1+1", "a;'=cmd", "5"]


@pytest.mark.parametrize("text", ["-3", "-1.5", "+2", "-.5", "-12%", "-1,234.50", "42"])
def test_text_that_is_a_plain_number_is_written_bare(text):
    """A spreadsheet reads it as a number; a ' would make it text."""
    assert safe_cell(text) == text


@pytest.mark.parametrize(
    ("text", "cell"),
    [("-", "'-"), ("-1+2", "'-1+2"), ("-1,23", "'-1,23"), ("-1e3", "'-1e3"), ("+%", "'+%")],
)
def test_text_that_only_looks_like_a_number_is_defused(text, cell):
    assert safe_cell(text) == cell


def test_csv_bytes_are_utf8_with_a_byte_order_mark():
    data = csv_bytes(["name", "hours"], [["Chloé", -1.5], ["=cmd", "-2"]])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == "name,hours\r\nChloé,-1.5\r\n'=cmd,-2\r\n"
