"""Listing descriptions: Markdown rendered to HTML and sanitised with nh3 (an allow-list, so
no script, event handler, style or ``javascript:`` URL survives)."""

from __future__ import annotations

import functools
import html
import re

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
_HEADING = re.compile(r"<(/?)h([1-6])\b")


def _shift_headings(source_html: str) -> str:
    # The page's own h1/h2 come first: a description's "# Heading" becomes an h3.
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}", source_html)


def render_markdown(text: str) -> Markup:
    """Safe HTML for a listing description written in Markdown. A pure function of the text,
    so each process keeps the HTML of the last few hundred descriptions it rendered (a
    listing's page renders its description on every view; an edited description is new
    text)."""
    return _rendered(text or "")


@functools.lru_cache(maxsize=512)
def _rendered(text: str) -> Markup:
    raw = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    clean = nh3.clean(
        _shift_headings(raw),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above


def markdown_text(text: str) -> str:
    """The plain words of a Markdown text (for the search index): no markup, no URLs."""
    stripped = nh3.clean(str(render_markdown(text)), tags=set())
    return html.unescape(stripped)
