"""The one PDF font stack (``lti_tool.pdf``): names with accents render in DejaVu Sans, which
has their glyphs, in paragraphs of every style and in plain table cells."""

from __future__ import annotations

import io
import re

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from lti_tool import pdf

NAMES = "José Núñez · Łukasz Wróbel · Ødegård — Zoë"


def _base_fonts(data: bytes) -> set[str]:
    return {m.decode().split("+")[-1] for m in re.findall(rb"/BaseFont\s*/([\w+-]+)", data)}


def test_a_name_with_accents_is_set_in_a_font_that_has_its_glyphs():
    regular, bold = pdf.fonts()
    assert (regular, bold) == ("DejaVuSans", "DejaVuSans-Bold")
    for name in (regular, bold):
        face = pdfmetrics.getFont(name).face
        assert all(ord(c) in face.charToGlyph for c in NAMES), name


def test_every_style_and_table_cell_uses_it():
    sheet = pdf.styles()
    fonts = {name: getattr(style, "fontName", "") for name, style in sheet.byName.items()}
    assert not [name for name, font in fonts.items() if "Helvetica" in (font or "")]
    out = io.BytesIO()
    table = Table([["Student"], [NAMES]])
    table.setStyle(TableStyle([pdf.table_font()]))
    SimpleDocTemplate(out).build(
        [Paragraph(NAMES, sheet["Title"]), Paragraph(NAMES, sheet["BodyText"]), table]
    )
    used = _base_fonts(out.getvalue())
    # reportlab always declares Helvetica as its initial font; no text is set in a bold one
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= used
    assert "Helvetica-Bold" not in used
