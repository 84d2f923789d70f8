"""The progress report's PDF (accreditation/reports/services/pdf.py on lti_tool.pdf): tagged
PDF/UA-1 that screen readers read (a structure tree of headings, tables with header cells and
figures with alternative text), no word split across lines in a table cell, the running header
and "Page N of M" on every page, no near-empty last page, and no personal data in its metadata
beyond the title the report shows. Read back with pypdf."""

from __future__ import annotations

import collections
import io
import re
from typing import Any

import pypdf
import pytest

from accreditation.reports.services.pdf import render_pdf

from .conftest import World
from .pdf_samples import sample_report

INSTITUTION = "Sandbox University"


def _reader(data: bytes) -> pypdf.PdfReader:
    assert data.startswith(b"%PDF")
    return pypdf.PdfReader(io.BytesIO(data))


def _texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in _reader(data).pages]


def _structure(reader: pypdf.PdfReader) -> tuple[collections.Counter[str], list[Any]]:
    """How many structure elements of each type the PDF's structure tree holds, and the
    alternative text of each figure."""
    kinds: collections.Counter[str] = collections.Counter()
    alts: list[Any] = []

    def walk(node: Any) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if "/S" in node:
                kinds[str(node["/S"])] += 1
                if node["/S"] == "/Figure":
                    alts.append(node.get("/Alt"))
            if "/K" in node:
                walk(node["/K"])
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return kinds, alts


def _get(person, path: str):
    return person.client.get(f"{path}?lid={person.lid}")


def test_the_pdf_is_tagged_pdf_ua_with_its_title_as_its_only_metadata(world: World):
    resp = _get(world.advisor, f"/reports/students/{world.ids['ben']}/report.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    reader = _reader(resp.data)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp  # PDF/UA-1 identification
    kinds, alts = _structure(reader)
    assert kinds["/H1"] == 1 and kinds["/H2"] >= 5
    assert kinds["/Table"] >= 4 and kinds["/TH"] > 0 and kinds["/TD"] > 0
    assert kinds["/Figure"] == 3 and all(alt and "chart" in str(alt) for alt in alts)
    # the metadata: the title the first page shows and the producer; no author, no email
    title = "Progress report: Benjamin Tran"
    assert dict(reader.metadata or {}) == {"/Producer": reader.metadata.producer, "/Title": title}
    assert title in _texts(resp.data)[0]
    assert "@" not in xmp and "Tran" in xmp


def test_a_student_gets_their_own_report_tagged_too(world: World):
    reader = _reader(_get(world.amara, "/reports/me/report.pdf").data)
    assert reader.metadata.title == "Progress report: Amara Okafor"
    assert "/StructTreeRoot" in reader.trailer["/Root"]


def test_no_word_in_a_table_cell_is_split_across_lines():
    report = sample_report(engagements=6, weeks=20, comments=6)
    data = render_pdf(report, INSTITUTION)
    tokens = {token for text in _texts(data) for token in text.split()}
    words = {
        word
        for table in report.tables().values()
        for row in [table.headers, *table.rows]
        for cell in row
        for word in str(cell).split()
    }
    assert {"Interdisciplinary", "International", "Consulting", "Confirmed"} <= words
    assert sorted(words - tokens) == []


def test_every_page_has_the_running_header_and_page_n_of_m():
    data = render_pdf(sample_report(engagements=12, weeks=52, comments=20), INSTITUTION)
    texts = _texts(data)
    assert len(texts) >= 4
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text
        assert "Progress report: Chloé Martin-Ødegård" in text and INSTITUTION in text
    assert sum(text.count("Page ") for text in texts) == len(texts)


def _body_lines(text: str) -> list[str]:
    """A page's lines without its running header and footer."""
    return [
        line
        for line in text.splitlines()
        if line.strip()
        and not re.fullmatch(r"Page \d+ of \d+", line.strip())
        and not line.startswith("Progress report: Chloé Martin-Ødegård Sandbox University")
    ]


def _pages_with(comments: int) -> list[str]:
    return _texts(render_pdf(sample_report(comments=comments), INSTITUTION))


def test_a_report_that_just_overflows_a_page_does_not_leave_a_line_or_two_on_the_last():
    """The fewest comments that make the report a page longer (found by bisection): the new
    last page holds a real part of the report (the cohort section is kept together), not a
    stray line or two; and so does the report with one comment more."""
    base = len(_pages_with(0))
    low, high = 0, 40
    assert len(_pages_with(high)) > base
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if len(_pages_with(middle)) > base else (middle, high)
    for comments in (high, high + 1):
        texts = _pages_with(comments)
        assert len(texts) == base + 1
        last = _body_lines(texts[-1])
        assert len(last) >= 8 and "Cohort" in last, (comments, last)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x.png", "https://example.org/font.ttf"])
def test_the_pdf_fetches_nothing_from_the_network(url: str):
    from lti_tool import pdf

    assert not pdf.allowed(url)
    assert not pdf.allowed("file:///etc/passwd")
    assert pdf.allowed("data:image/png;base64,AAAA")
    assert pdf.allowed((pdf.FONT_DIR / "DejaVuSans.ttf").as_uri())
