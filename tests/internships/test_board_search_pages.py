"""The board's search through real signed launches: a search without words, the way back from
a listing to the search it was found with, and the count the board shows."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from internships.services import board as board_service
from tests.internships import test_views
from tests.internships.test_views import student

seed = test_views.seed  # the listing factory fixture


@pytest.mark.parametrize("query", ["!!!", "🙂", "%%", " - _ "])
def test_a_search_of_symbols_finds_nothing_and_says_why(advised_platform, driver, seed, query):
    seed(advised_platform.tenant_id, title="Survey project")
    client, lid = student(driver, advised_platform)
    everything = client.get(f"/internships/?lid={lid}&q=").get_data(as_text=True)
    assert "Survey project" in everything and "1 listing" in everything  # positive control
    resp = client.get("/internships/", query_string={"lid": lid, "q": query})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "No words to search for" in page
    assert "has no letters or digits, so there was nothing to look for" in page
    assert "Survey project" not in page
    assert f'value="{html.escape(query.strip(), quote=True)}"' in page  # kept in the box


def test_a_word_among_symbols_is_searched(advised_platform, driver, seed):
    seed(advised_platform.tenant_id, title="Survey project")
    seed(advised_platform.tenant_id, title="Podcast editing")
    client, lid = student(driver, advised_platform)
    page = client.get("/internships/", query_string={"lid": lid, "q": "!!survey!! 🙂"})
    text = page.get_data(as_text=True)
    assert "1 listing for" in text and "Survey project" in text
    assert "Podcast editing" not in text and "No words to search for" not in text


def _link(page: str, text: str) -> str:
    """The address of the one link whose text is ``text``."""
    (href,) = re.findall(rf'<a href="([^"]*)">{re.escape(text)}</a>', page)
    return html.unescape(href)


def test_back_from_a_listing_returns_to_the_search_it_was_found_with(
    advised_platform, driver, seed
):
    for n in range(14):
        seed(advised_platform.tenant_id, title=f"Survey project {n:02d}", estimated_hours=10 + n)
    client, lid = student(driver, advised_platform)
    search = {"lid": lid, "q": "survey", "sort": "hours", "max_hours": "40", "page": "2"}
    board = client.get("/internships/", query_string=search).get_data(as_text=True)
    detail = client.get(_link(board, "Survey project 12"))
    assert detail.status_code == 200
    href = _link(detail.get_data(as_text=True), "Back to your search")
    assert urlsplit(href).path == "/internships/"
    assert parse_qs(urlsplit(href).query) == {
        "lid": [lid],
        "q": ["survey"],
        "sort": ["hours"],
        "max_hours": ["40"],
        "page": ["2"],
    }
    again = client.get(href).get_data(as_text=True)
    assert "Survey project 12" in again and "Survey project 00" not in again
    assert 'aria-current="page">Page 2' in again


def test_back_keeps_only_the_boards_own_parameters(advised_platform, driver, seed):
    listing_id = seed(advised_platform.tenant_id, title="Survey project")
    client, lid = student(driver, advised_platform)
    plain = client.get(f"/internships/{listing_id}?lid={lid}").get_data(as_text=True)
    assert f'<a href="/internships/?lid={lid}">Back to all listings</a>' in plain
    tampered = client.get(
        f"/internships/{listing_id}",
        query_string={"lid": lid, "back": "q=survey&skills=sql&skills=excel&next=//evil&lid=x"},
    ).get_data(as_text=True)
    href = _link(tampered, "Back to your search")
    assert urlsplit(href).path == "/internships/"
    assert parse_qs(urlsplit(href).query) == {
        "lid": [lid],
        "q": ["survey"],
        "skills": ["sql", "excel"],
    }


def test_the_count_is_exact_up_to_the_cap_and_says_more_than_past_it(
    advised_platform, driver, seed, monkeypatch
):
    for n in range(4):
        seed(advised_platform.tenant_id, title=f"Survey project {n}")
    seed(advised_platform.tenant_id, title="Podcast editing")
    client, lid = student(driver, advised_platform)
    monkeypatch.setattr(board_service, "COUNT_CAP", 4)
    exact = client.get(f"/internships/?lid={lid}&q=survey").get_data(as_text=True)
    assert "4 listings for “survey”" in exact  # at the cap: exact
    past = client.get(f"/internships/?lid={lid}").get_data(as_text=True)
    assert "more than 4 listings" in past and "5 listings" not in past


def test_a_search_builds_its_word_conditions_once(advised_platform, driver, seed, monkeypatch):
    """A page reads up to six groups and a count: each is built from the query's filters,
    made once per search (issue 16), not once per group."""
    for n in range(3):
        seed(advised_platform.tenant_id, title=f"Survey project {n}")
    seed(advised_platform.tenant_id, title="Podcast editing", summary="A survey of listeners")
    made: list[str] = []
    for name in ("matches", "title_matches"):
        real = getattr(board_service.search, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            made.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(board_service.search, name, counted)
    client, lid = student(driver, advised_platform)
    page = client.get("/internships/", query_string={"lid": lid, "q": "survey"})
    text = page.get_data(as_text=True)
    assert "4 listings for" in text
    assert text.index("Survey project") < text.index("Podcast editing")  # title matches first
    assert made.count("matches") <= 1 and made.count("title_matches") <= 1, made
