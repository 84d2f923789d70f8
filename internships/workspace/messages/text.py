"""A message's text as HTML: everything escaped, and each http(s) address made a link that
leaks nothing to where it goes and earns it nothing (``rel="noopener noreferrer nofollow"``).
No other markup is ever produced from what people type."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# An address runs to the next space or angle bracket; punctuation that ends a sentence is left
# out of it ("see https://example.com/a." links https://example.com/a).
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def _split(match: str) -> tuple[str, str]:
    url = match
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break  # a balanced parenthesis belongs to the address (Wikipedia's)
        url = url[:-1]
    return url, match[len(url) :]


def linkify(text: str) -> Markup:
    """``text`` escaped, its http and https addresses as links (see the module)."""
    out: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        url, rest = _split(found.group(0))
        out.append(str(escape(text[last : found.start()])))
        if len(url) > len("https://"):
            out.append(
                f'<a href="{escape(url)}" rel="noopener noreferrer nofollow">{escape(url)}</a>'
            )
        else:
            out.append(str(escape(url)))
        out.append(str(escape(rest)))
        last = found.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # noqa: S704 - every piece escaped above
