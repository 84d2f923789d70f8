"""The PDF reports' common ground (``lti_tool.pdf``, WeasyPrint) and the accreditation summary
built on it (accreditation/attainment/report_pdf.py): names with accents set in DejaVu Sans,
nothing fetched from outside, tagged PDF/UA-1, the running header and "Page N of M" on every
page, table cells whose words stay whole, and chart legends clear of the bars."""

from __future__ import annotations

import datetime as dt
import io
import socket
from types import SimpleNamespace

import pypdf
import pytest

from accreditation.attainment import report_pdf
from lti_tool import pdf

NAMES = "José Núñez · Łukasz Wróbel · Ødegård — Zoë"
SCALE = ["Emerging Knowledge", "Understanding", "Early Application", "Advanced Application"]


def _base_fonts(data: bytes) -> set[str]:
    """The fonts the PDF's pages use (their names without the subset prefix)."""
    found = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"].get("/Font", {}).values():
            found.add(str(font.get_object()["/BaseFont"]).lstrip("/").split("+")[-1])
    return found


def _measure(percent: int) -> SimpleNamespace:
    return SimpleNamespace(n=4, at_or_above=4, percent=percent, counts=lambda: [0, 0, 0, 4])


def _summary(outcomes: int = 6, notes: int = 3) -> tuple[object, ...]:
    """An export's summary inputs, in memory: every outcome at 100%, so bars reach the right
    edge where a legend in a corner would sit; long outcome names; terms with a trend."""
    names = [f"Interdisciplinary collaboration and communication {i}" for i in range(outcomes)]
    found = [SimpleNamespace(id=i, name=name) for i, name in enumerate(names)]
    framework = SimpleNamespace(title=f"NACE competencies for {NAMES}", scale=SCALE)
    report = SimpleNamespace(
        framework=framework,
        scale=SCALE,
        scope=SimpleNamespace(terms=["Fall 2025", "Spring 2026"]),
        targets=SimpleNamespace(level=3),
        rows=[
            SimpleNamespace(
                outcome=o, target=3, measures={"direct": _measure(100), "indirect": _measure(100)}
            )
            for o in found
        ],
    )
    cell = SimpleNamespace(percent=80.0)
    terms = ["Fall 2025", "Spring 2026"]
    trend = SimpleNamespace(
        terms=terms,
        outcomes=found,
        cells={o.id: {"direct": dict.fromkeys(terms, cell)} for o in found},
    )
    cover = SimpleNamespace(
        outcomes=found, flagged=lambda oid: oid == 0, min_evidence=5, courses=[1], listings_shown=2
    )
    note = SimpleNamespace(
        created_at=dt.datetime(2026, 3, 1), author=NAMES, body="Rework the teamwork rubric."
    )
    job = SimpleNamespace(program="Economics BA")
    return job, report, trend, cover, {o.id: [note] * notes for o in found}, 12


def test_a_name_with_accents_is_set_in_dejavu_sans_and_reads_back_whole():
    data = report_pdf.summary_pdf(*_summary())
    # only the bundled faces (lti_tool.pdf.FAMILY): no glyph fell back to another font
    assert _base_fonts(data) == {"Report-Sans", "Report-Sans-Bold"}
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "José Núñez" in text and "Łukasz Wróbel" in text and "Ødegård — Zoë" in text


def test_reportlab_gets_the_same_faces_for_the_demo_resume():
    from reportlab.pdfbase import pdfmetrics

    regular, bold = pdf.fonts()
    assert (regular, bold) == ("DejaVuSans", "DejaVuSans-Bold")
    for name in (regular, bold):
        face = pdfmetrics.getFont(name).face
        assert all(ord(c) in face.charToGlyph for c in NAMES), name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/chart.png",
        "https://fonts.example.org/font.ttf",
        "ftp://example.org/x",
        "file:///etc/passwd",
        "file://otherhost" + str(pdf.FONT_DIR / "DejaVuSans.ttf"),
    ],
)
def test_nothing_outside_the_bundled_fonts_is_read(url: str, monkeypatch):
    from weasyprint.urls import URLFetchingError

    def no_network(*args, **kwargs):
        raise AssertionError("the PDF opened a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    assert not pdf.allowed(url)
    with pytest.raises(URLFetchingError):
        pdf._fetcher().fetch(url)


def test_the_bundled_fonts_and_data_uris_are_read():
    assert pdf.allowed((pdf.FONT_DIR / "DejaVuSans-Bold.ttf").as_uri())
    assert pdf.allowed("data:image/png;base64,iVBORw0KGgo=")
    assert "DejaVuSans-Oblique.ttf" in pdf.font_faces()


def test_the_summary_is_tagged_with_a_header_and_page_numbers_on_every_page():
    data = report_pdf.summary_pdf(*_summary(outcomes=14, notes=4))
    reader = pypdf.PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert 'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data().decode()
    assert set(reader.metadata or {}) == {"/Producer", "/Title"}
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) >= 3
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} of {len(texts)}" in text
        assert "Accreditation summary: NACE competencies" in text
    words = {
        w for name in ("Interdisciplinary collaboration and communication",) for w in name.split()
    }
    words |= {"Understanding", "Application", "Rework", "rubric."}
    tokens = {t for text in texts for t in text.split()}
    assert words <= tokens  # no word of a table cell split across two lines


def _overlaps(fig) -> list[str]:
    """The bars (their labels) that the legend of the figure's axes covers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    return [
        str(bar.get_label())
        for bar in ax.patches
        if bar.get_width() > 0 and legend.overlaps(bar.get_window_extent(renderer))
    ]


@pytest.mark.parametrize("outcomes", [1, 3, 12])
def test_the_attainment_legend_is_not_drawn_over_the_bars(outcomes: int):
    _, report, *_ = _summary(outcomes=outcomes)
    fig = report_pdf.attainment_figure(report)
    assert len(fig.axes[0].patches) == 2 * outcomes
    assert _overlaps(fig) == []
