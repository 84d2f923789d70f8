"""The shared search test set: the same listings and queries, the same expected answers on
SQLite (FTS5) and PostgreSQL (full-text) — whichever the suite runs on."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from internships.models import CoursePin, Listing
from internships.services import board as board_service
from internships.services.board import BoardQuery, search_board
from internships.services.search import query_terms, words
from lti_tool.extensions import db
from lti_tool.models import Course
from tests.helpers import counted
from tests.internships.conftest import TODAY

# every case both ways the board reads a page (tests/internships/conftest.py: read_path)
pytestmark = pytest.mark.usefixtures("read_path")

LISTINGS = {
    "data": {
        "title": "Sales data analysis for a coffee roaster",
        "summary": "Clean and analyse two years of point-of-sale data.",
        "description_md": "Build a **dashboard** in Tableau. Analysing trends weekly.",
        "skills": ["data-analysis", "tableau"],
        "tags": ["retail"],
        "employer": "Bean & Leaf Roasters",
    },
    "social": {
        "title": "Social media content calendar",
        "summary": "Plan a month of posts for a non-profit's campaigns.",
        "description_md": "Write captions and schedule posts; report on engagement.",
        "skills": ["social-media-marketing"],
        "tags": ["nonprofit"],
        "employer": "Riverside Food Bank",
    },
    "web": {
        "title": "Accessible website refresh",
        "summary": "Fix accessibility issues on a small business website.",
        "description_md": "Audit with axe, fix contrast and labels. See [guide](https://x.org/data).",
        "skills": ["accessibility-testing", "html"],
        "tags": ["wcag"],
        "employer": "Northwind Design",
    },
    "finance": {
        "title": "Budget model for a student-run cafe",
        "summary": "Build a spreadsheet budget and cash-flow forecast.",
        "description_md": "Excel modelling; present findings to the board.",
        "skills": ["budgeting", "spreadsheet-software"],
        "tags": ["finance"],
        "employer": "Campus Eats",
    },
    "survey": {
        "title": "Customer survey design and analysis",
        "summary": "Design a survey, collect responses and analyze the results.",
        "description_md": "Qualitative coding of open answers; a short written report.",
        "skills": ["survey-design", "data-analysis"],
        "tags": ["research"],
        "employer": "Bean & Leaf Roasters",
    },
}

# query -> the listings it must find (the set; relevance order checked separately)
CASES = [
    ("data", {"data", "survey"}),  # "data" in survey via the skill label "Data analysis"
    ("analysis", {"data", "survey"}),
    ("analysing", {"data"}),  # = "analyse" (data), not "analysis" nor "analyze"
    ("ANALYZE", {"survey"}),
    ("coffee", {"data"}),
    ("the coffee", {"data"}),  # stop words are dropped
    ("the of and", set(LISTINGS)),  # only stop words: no filter
    ("coffee website", set()),  # every word must match
    ("non-profit", {"social"}),  # hyphen separates: "non" and "profit"
    ("nonprofit", {"social"}),  # the tag
    ("posts", {"social"}),
    ("post", {"social"}),  # stemmed
    ("cafe", {"finance"}),
    ("café", set()),  # accents matter
    ("bean leaf", {"data", "survey"}),  # employer name
    ("tableau dashboard", {"data"}),
    ("guide", {"web"}),  # link text is searched...
    ("x.org", set()),  # ...the link address is not
    ("wcag", {"web"}),
    ("Excel", {"finance"}),  # in the description and the skill label
    ("accessibility", {"web"}),
    ("engagement", {"social"}),
    ("budgets", {"finance"}),
    ('"budget" OR -model', {"finance"}),  # operators are plain punctuation: AND of words
    ("zebra", set()),
]


@pytest.fixture
def board(tenant, make_listing):
    ids = {key: make_listing(tenant.id, **fields).id for key, fields in LISTINGS.items()}
    by_id = {v: k for k, v in ids.items()}

    def find(text: str, sort: str = "relevance") -> list[str]:
        page = search_board(tenant.id, BoardQuery(text=text, sort=sort), TODAY, per_page=50)
        return [by_id[listing.id] for listing in page.listings]

    return find


def test_words_and_terms_follow_the_rules():
    assert words("Non-profit's café_bar, 3.5 GPA!") == "non profit s café bar 3 5 gpa"
    assert query_terms('The "budget" OR -model of data data') == ["budget", "model", "data"]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] for c in CASES])
def test_shared_search_set(board, query, expected):
    assert set(board(query)) == expected


def test_title_matches_rank_first_then_deadline(board):
    # both have "data"; only "data"'s title holds "analysis"+"data"... the survey's title has
    # "analysis" but not "data": the title group comes first on both engines
    assert board("data analysis") == ["data", "survey"]
    assert board("survey analysis") == ["survey"]
    assert board("analysis") == ["data", "survey"]  # both titles match: deadline, then id


def test_words_and_facets_together(tenant, board):
    # SQLite starts from the intersection of the word's and the facet's id lists
    query = BoardQuery(text="data", skills=("data-analysis",))
    page = search_board(tenant.id, query, TODAY, per_page=50)
    assert [listing.title for listing in page.listings] == [
        LISTINGS["data"]["title"],  # the title holds "data": first
        LISTINGS["survey"]["title"],
    ]
    query = BoardQuery(text="data", skills=("tableau",), competencies=("Teamwork",))
    assert search_board(tenant.id, query, TODAY).total == 0  # the listings have no competency


def test_pages_run_across_the_title_group(tenant, board):
    pages = [
        search_board(tenant.id, BoardQuery(text="data analysis", page=n), TODAY, per_page=1)
        for n in (1, 2, 3)
    ]
    assert [[listing.title for listing in p.listings] for p in pages] == [
        [LISTINGS["data"]["title"]],
        [LISTINGS["survey"]["title"]],
        [LISTINGS["survey"]["title"]],  # past the end: the last page
    ]
    assert [(p.total, p.pages, p.page, p.total_capped) for p in pages] == [
        (2, 2, 1, False),
        (2, 2, 2, False),
        (2, 2, 2, False),
    ]


def test_the_count_stops_at_the_cap(tenant, board, monkeypatch):
    monkeypatch.setattr(board_service, "COUNT_CAP", 3)
    first = search_board(tenant.id, BoardQuery(), TODAY, per_page=2)
    assert (first.total, first.total_capped, first.pages) == (3, True, 2)
    assert first.total_label == "more than 3"
    last = search_board(tenant.id, BoardQuery(page=3), TODAY, per_page=2)
    assert (len(last.listings), last.page, last.pages) == (1, 3, 3)
    # under the cap the count is exact (positive control)
    exact = search_board(tenant.id, BoardQuery(text="analysis"), TODAY, per_page=2)
    assert (exact.total, exact.total_capped, exact.total_label) == (2, False, "2")


@pytest.fixture
def pinned_course(tenant, board):
    """A course of the tenant whose instructor pinned "survey", then "web"."""
    course = Course(tenant_id=tenant.id, issuer="", context_id="pins-101", title="Pins 101")
    db.session.add(course)
    db.session.flush()
    by_title = {
        listing.title: listing.id
        for listing in db.session.scalars(select(Listing).where(Listing.tenant_id == tenant.id))
    }
    for minute, key in enumerate(("survey", "web")):
        db.session.add(
            CoursePin(
                tenant_id=tenant.id,
                course_id=course.id,
                listing_id=by_title[LISTINGS[key]["title"]],
                created_at=dt.datetime(2026, 8, 1, 9, minute),
            )
        )
    db.session.flush()
    return course.id


def _titles(page) -> list[str]:
    keys = {fields["title"]: key for key, fields in LISTINGS.items()}
    return [keys[listing.title] for listing in page.listings]


def test_pinned_listings_come_first_in_pin_order(tenant, pinned_course):
    everything = search_board(tenant.id, BoardQuery(course_id=pinned_course), TODAY, per_page=50)
    assert _titles(everything)[:2] == ["survey", "web"]
    assert sorted(_titles(everything)) == sorted(LISTINGS)  # each once
    assert everything.total == len(LISTINGS)
    # pages run across the pinned group
    pages = [
        search_board(tenant.id, BoardQuery(course_id=pinned_course, page=n), TODAY, per_page=1)
        for n in (1, 2, 3)
    ]
    assert [_titles(p) for p in pages] == [["survey"], ["web"], [_titles(everything)[2]]]
    assert pages[0].pages == len(LISTINGS)
    # a pin still has to match the words and filters; without the course, no pin order
    analysis = search_board(
        tenant.id, BoardQuery(text="analysis", course_id=pinned_course), TODAY, per_page=50
    )
    assert _titles(analysis) == ["survey", "data"]
    assert _titles(search_board(tenant.id, BoardQuery(text="analysis"), TODAY)) == [
        "data",
        "survey",
    ]
    facet = BoardQuery(text="data", skills=("data-analysis",), course_id=pinned_course)
    assert _titles(search_board(tenant.id, facet, TODAY)) == ["survey", "data"]


def _board_reads(statements: list[str]) -> int:
    """The statements that read the board's listing ids (not the count with a sorted page, nor
    the page's cards)."""
    return sum(1 for s in statements if "FROM listing" in s and "listing.summary" not in s)


def test_a_search_of_few_matches_is_one_statement(tenant, board, read_path):
    """Up to ``SORT_ALL_UP_TO`` matches, one statement counts them and reads the page's cards
    in order (none after it); past it, the count comes first and the groups are read."""
    with counted() as statements:
        assert board("data analysis") == ["data", "survey"]
    listing_reads = [s for s in statements if "FROM listing" in s]
    sorted_all = read_path == "sorted" or db.engine.dialect.name != "postgresql"
    assert len(listing_reads) == (1 if sorted_all else 5), listing_reads  # count, 3 groups, cards


def test_a_search_stops_when_the_count_says_every_match_is_read(tenant, board, monkeypatch):
    """Read by groups, once the groups read so far hold as many listings as the count says,
    the later groups (which hold only matches) are not read. With more matches than the first
    groups hold, they are."""
    monkeypatch.setattr(board_service, "SORT_ALL_UP_TO", 0)  # read by groups (both params)
    with counted() as statements:  # no words: the groups on both engines
        assert set(board("")) == set(LISTINGS)
    assert _board_reads(statements) == 1
    if db.engine.dialect.name != "postgresql":
        return  # SQLite reads a search with words in one sorting statement
    with counted() as statements:  # both titles hold "analysis": the first group holds both
        assert board("analysis") == ["data", "survey"]
    assert _board_reads(statements) == 1
    with counted() as statements:  # the title groups hold one; the next group the other
        assert board("data analysis") == ["data", "survey"]
    assert _board_reads(statements) == 3  # not the fourth group
