"""Every PDF report the tool writes (the progress report, the accreditation summary) is an HTML
template under ``templates/pdf/`` laid out by WeasyPrint as tagged PDF/UA-1: a structure tree
(headings, paragraphs, tables with header cells, figures with their alternative text) that
screen readers read, the document's language and title, and page furniture (the running header,
"Page N of M") marked as artifacts. Open-source ReportLab writes untagged PDF only (tagging is
in the commercial ReportLab PLUS), hence WeasyPrint; it lays text out with Debian's Pango
(``libpango-1.0-0``, ``libpangoft2-1.0-0``: README's prerequisites, ``.ci/run``).

``render(template, title=…, **context)`` is the one entry point. Its text is set in DejaVu Sans,
which has the accents and punctuation of real names (José Núñez, Łukasz, Ødegård), read from
the copy matplotlib ships (so always installed) through ``@font-face``. Nothing is fetched from
the network: the URL fetcher takes ``data:`` URIs (the charts) and those font files only and
refuses everything else (``allowed``). The PDF's metadata is the template's ``<title>`` and
nothing else a person typed (no author, no keywords).

``fonts()`` registers the same faces with reportlab for the demo résumé
(internships/demo/work.py), which draws a plain page with reportlab's canvas."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import matplotlib

REGULAR, BOLD, ITALIC, BOLD_ITALIC = (
    "DejaVuSans",
    "DejaVuSans-Bold",
    "DejaVuSans-Oblique",
    "DejaVuSans-BoldOblique",
)
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FAMILY = "Report Sans"  # the @font-face family: DejaVu Sans from FONT_DIR, nothing else
_FACES = (
    (REGULAR, "normal", "normal"),
    (BOLD, "bold", "normal"),
    (ITALIC, "normal", "italic"),
    (BOLD_ITALIC, "bold", "italic"),
)
_FALLBACK = ("Helvetica", "Helvetica-Bold")
PDF_VARIANT = "pdf/ua-1"


def allowed(url: str) -> bool:
    """Whether the PDF may read ``url``: a ``data:`` URI, or one of the bundled font files."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(url2pathname(parts.path)).resolve()
    return path.parent == FONT_DIR.resolve() and path.suffix == ".ttf"


@lru_cache(maxsize=1)
def _fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads only what ``allowed`` allows."""
    from weasyprint.urls import URLFetcher, URLFetchingError

    class LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if not allowed(url):
                raise URLFetchingError(
                    f"The PDF reads no outside resource ({urlsplit(url).scheme})"
                )
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=("data", "file"), timeout=1)


@lru_cache(maxsize=1)
def _templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from lti_tool import resource_dir

    return Environment(
        loader=FileSystemLoader(resource_dir("templates") / "pdf"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def font_faces() -> str:
    """The ``@font-face`` rules of FAMILY (every template's stylesheet starts with them)."""
    return "\n".join(
        f'@font-face {{ font-family: "{FAMILY}"; src: url("{(FONT_DIR / f"{name}.ttf").as_uri()}");'
        f" font-weight: {weight}; font-style: {style}; }}"
        for name, weight, style in _FACES
    )


def html(template: str, **context: Any) -> str:
    """The template's HTML (escaped), as ``render`` lays it out."""
    return str(_templates().get_template(template).render(font_faces=font_faces(), **context))


def render(template: str, **context: Any) -> bytes:
    """``templates/pdf/<template>`` rendered with ``context`` as tagged PDF/UA-1 bytes."""
    from weasyprint import HTML

    document = HTML(
        string=html(template, **context), base_url=FONT_DIR.as_uri() + "/", url_fetcher=_fetcher()
    )
    return bytes(document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True))


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """reportlab's names of the regular and bold faces, DejaVu Sans registered on first use
    (reportlab's Helvetica only if matplotlib's fonts are missing, a trimmed install)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    try:
        for name in (REGULAR, BOLD, ITALIC, BOLD_ITALIC):
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / f"{name}.ttf")))
    except Exception:  # a trimmed matplotlib install: fall back to the built-in fonts
        return _FALLBACK
    for bold, italic, name in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, ITALIC), (1, 1, BOLD_ITALIC)):
        addMapping(REGULAR, bold, italic, name)
    return REGULAR, BOLD
