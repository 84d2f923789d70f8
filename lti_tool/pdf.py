"""The one font stack of every PDF the tool writes (reportlab): DejaVu Sans, which has the accents
and punctuation of real names (José Núñez, Łukasz, Ødegård) that reportlab's built-in Helvetica
lacks, shipped with matplotlib so always installed — nothing is downloaded.

``fonts()`` registers it once (regular, bold, italic, bold italic as one family, so ``<b>`` and
``<i>`` in a paragraph keep it) and names the regular and bold faces; ``styles()`` is
reportlab's sample style sheet in those faces; ``table_font()`` is the table-style command that
puts plain (non-paragraph) table cells in it too."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

REGULAR, BOLD, ITALIC, BOLD_ITALIC = (
    "DejaVuSans",
    "DejaVuSans-Bold",
    "DejaVuSans-Oblique",
    "DejaVuSans-BoldOblique",
)
_BUILT_IN = {
    "Helvetica": REGULAR,
    "Helvetica-Bold": BOLD,
    "Helvetica-Oblique": ITALIC,
    "Helvetica-BoldOblique": BOLD_ITALIC,
}
_FALLBACK = ("Helvetica", "Helvetica-Bold")


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """The regular and bold font names, DejaVu Sans registered on first use (reportlab's
    Helvetica only if matplotlib's fonts are missing, a trimmed install)."""
    import matplotlib
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        for name in (REGULAR, BOLD, ITALIC, BOLD_ITALIC):
            pdfmetrics.registerFont(TTFont(name, str(folder / f"{name}.ttf")))
    except Exception:  # a trimmed matplotlib install: fall back to the built-in fonts
        return _FALLBACK
    for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD_ITALIC)):
        addMapping(REGULAR, bold, italic, name)
    return REGULAR, BOLD


def styles() -> Any:
    """reportlab's sample style sheet (Title, Heading1-6, BodyText, Normal…) in ``fonts()``."""
    from reportlab.lib.styles import getSampleStyleSheet

    sheet = getSampleStyleSheet()
    if fonts() == _FALLBACK:
        return sheet
    for style in sheet.byName.values():
        font = getattr(style, "fontName", None)
        if font in _BUILT_IN:
            style.fontName = _BUILT_IN[font]
    return sheet


def table_font() -> tuple[Any, ...]:
    """The ``TableStyle`` command that sets every cell's font to the regular face."""
    return ("FONTNAME", (0, 0), (-1, -1), fonts()[0])
