"""A message's text as HTML: escaped, with http(s) addresses as safe links and nothing else."""

from __future__ import annotations

from internships.workspace.messages.text import linkify


def test_addresses_become_safe_links():
    html = str(linkify("See https://example.com/a?b=1&c=2, then http://x.org/p_(q)."))
    assert html == (
        'See <a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">'
        "https://example.com/a?b=1&amp;c=2</a>, then "
        '<a href="http://x.org/p_(q)" rel="noopener noreferrer nofollow">http://x.org/p_(q)</a>.'
    )


def test_markup_and_other_schemes_stay_text():
    html = str(linkify('<script>alert(1)</script> javascript:alert(1) "quoted" ftp://x.org'))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<a " not in html
    assert "&#34;quoted&#34;" in html


def test_an_address_cannot_break_out_of_its_attribute():
    html = str(linkify('https://example.com/"onmouseover="alert(1)'))
    assert html.startswith('<a href="https://example.com/" rel=')
    assert 'onmouseover="' not in html
