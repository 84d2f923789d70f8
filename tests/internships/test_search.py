"""The shared search test set: the same listings and queries, the same expected answers on
SQLite (FTS5) and PostgreSQL (full-text) — whichever the suite runs on."""

from __future__ import annotations

import pytest

from internships.services.board import BoardQuery, search_board
from internships.services.search import query_terms, words
from tests.internships.conftest import TODAY

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
