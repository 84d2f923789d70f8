"""The CSV downloads open correctly in Excel on Windows: UTF-8 led by a byte order mark (so a
name like "Chloé" survives), numbers as bare numbers (a spreadsheet reads them as numbers, not
as text behind a ' or in quotes), and text that would start a formula still defused
(``lti_tool.csvsafe``). The credit export and the attainment zip check the same mark in their
own tests (tests/credit/test_pages.py, tests/accreditation/attainment/test_views.py)."""

from __future__ import annotations

import csv
import io

from tests.helpers import csrf_token

from .conftest import World
from .test_views import get


def downloaded(resp) -> str:
    """The text of a CSV download, after checking it is UTF-8 led by a byte order mark."""
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert resp.mimetype == "text/csv" and resp.mimetype_params["charset"] == "utf-8"
    assert resp.data.startswith(b"\xef\xbb\xbf"), resp.data[:20]
    text = resp.data.decode("utf-8-sig")
    assert not text.startswith("\ufeff")  # one mark, not two
    return text


def test_students_csv_has_a_bom_accented_names_bare_numbers_and_defused_text(world: World):
    text = downloaded(get(world.advisor, "/reports/students.csv"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Student", "Email"]  # the mark is not part of the first header
    by_listing = {(r[0], r[6]): r for r in rows[1:]}
    assert ("Chloé Martin", "Market research sprint") in by_listing
    ben = by_listing[("Benjamin Tran", "Market research sprint")]
    assert ben[8:12] == ["20", "21", "20", "105"]  # planned, logged, confirmed, % of plan
    assert ",submitted,20,21,20,105," in text  # bare in the file: no quote, no '
    assert ("Benjamin Tran", '\'=HYPERLINK("http://evil.example")') in by_listing


def test_notes_csv_writes_a_negative_number_bare_and_defuses_a_formula(world: World):
    sid = world.ids["chloe"]
    page = get(world.advisor, f"/reports/students/{sid}")
    for body in ("Called Chloé about her agreement", "-12.5", "=cmd|' /C calc'!A0"):
        saved = world.advisor.client.post(
            f"/reports/students/{sid}",
            data={
                "lid": world.advisor.lid,
                "csrf_token": csrf_token(page),
                "form": "note",
                "body": body,
            },
        )
        assert saved.status_code == 303
    text = downloaded(get(world.advisor, f"/reports/students/{sid}/notes.csv"))
    notes = {row[3] for row in csv.reader(io.StringIO(text))}
    assert "Called Chloé about her agreement" in notes  # positive control: as typed
    assert "-12.5" in notes  # a negative number is a number, not a formula
    assert ",-12.5\r\n" in text
    assert "'=cmd|' /C calc'!A0" in notes
    assert "=cmd" not in notes  # the formula is neutralised
