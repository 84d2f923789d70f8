"""The course board: a tenant's open listings, searched, filtered, sorted and paged."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row

from lti_tool.extensions import db

from . import search
from .board_statements import (
    SORT_ALL_UP_TO,
    BoardStatements,
    Shape,
    bind_values,
    cards_statement,
    for_shape,
)

SORTS = {
    "relevance": "Best match",
    "deadline": "Deadline, soonest first",
    "newest": "Newest first",
    "pay": "Hourly pay, highest first",
    "hours": "Hours, fewest first",
}
PER_PAGE = 12


@dataclass(frozen=True)
class BoardQuery:
    """What a student asked the board for. Skills and competencies match when a listing has
    any of the chosen ones; every other filter must hold."""

    text: str = ""
    skills: tuple[str, ...] = ()
    competencies: tuple[str, ...] = ()
    min_hours: int | None = None
    max_hours: int | None = None
    paid_only: bool = False
    min_rate_cents: int | None = None
    remote_only: bool = False
    deadline_after: dt.date | None = None
    sort: str = "relevance"
    page: int = 1
    # The launch's course: listings its instructor pinned come first, in pin order.
    course_id: int | None = None


@dataclass(frozen=True)
class BoardPage:
    """One page of results. ``total`` is exact up to ``COUNT_CAP``; past it ``total`` is the
    cap and ``total_capped`` is set (the page says "more than 1,000"), and ``pages`` reaches
    one page past the current one while more rows follow. ``no_words`` is set when the
    search text held no word at all (only symbols or emoji): nothing is looked up."""

    listings: list[Row[Any]]  # the cards' columns (board_statements.CARD_COLUMNS)
    total: int
    page: int
    pages: int
    per_page: int
    total_capped: bool = False
    no_words: bool = False
    pinned: frozenset[int] = frozenset()  # the page's listings pinned to the query's course

    @property
    def total_label(self) -> str:
        """The count as a page shows it: "1,234", or "more than 1,000" when capped."""
        return f"more than {self.total:,}" if self.total_capped else f"{self.total:,}"


# Counting every match of a common word means visiting every matching row (a quarter of a
# large board): the count stops past this many, and the page says "more than 1,000". A
# student reads an exact figure up to there; past it no one pages through the rest.
COUNT_CAP = 1000


def _shape(dialect: str, query: BoardQuery, terms: list[str], sort: str) -> Shape:
    return Shape(
        dialect=dialect,
        sort=sort,
        words=bool(terms),
        skills=bool(query.skills),
        competencies=bool(query.competencies),
        min_hours=query.min_hours is not None,
        max_hours=query.max_hours is not None,
        min_rate=bool(query.min_rate_cents),
        paid_only=query.paid_only,
        remote_only=query.remote_only,
        course=query.course_id is not None,
    )


def _read(
    conn: Connection, board: BoardStatements, values: dict[str, Any], offset: int, limit: int
) -> tuple[list[Row[Any]], int]:
    """``limit`` cards from ``offset``, and the number of matches (capped). One statement
    counts the matches and, when they are few, reads the page's cards sorted; with more, the
    groups are read in index order, one small statement each until the page is full (most
    stop after the first), then their cards."""
    rows = conn.execute(board.sorted_page, {**values, "offset": offset, "limit": limit}).all()
    matches = rows[0].matches
    if board.shape.id_lists or matches <= SORT_ALL_UP_TO:
        return [row for row in rows if row.id is not None], matches
    ids: list[int] = []
    needed = offset + limit
    for stmt in board.group_reads:
        if len(ids) >= needed or len(set(ids)) >= matches:
            break  # the page is full, or every match is read (the groups hold only matches)
        ids += conn.execute(stmt, {**values, "limit": needed - len(ids)}).scalars()
    ids = ids[offset:needed]
    if not ids:
        return [], matches
    cards = conn.execute(cards_statement(), {**values, "ids": ids}).all()
    by_id = {card.id: card for card in cards}
    return [by_id[i] for i in ids], matches


def search_board(
    tenant_id: int, query: BoardQuery, today: dt.date, per_page: int = PER_PAGE
) -> BoardPage:
    """One page of the tenant's open listings whose deadline has not passed (``today`` is the
    tenant's local date), matching the query; see ``search.py`` for the text rules. Listings
    pinned to the query's course come first (oldest pin first), then the chosen sort. The
    total is exact up to ``COUNT_CAP``. Search text without a single word (only symbols or
    emoji) finds nothing, on every engine, rather than everything."""
    if query.text.strip() and not search.words(query.text):
        return BoardPage([], 0, 1, 1, per_page, no_words=True)
    terms = search.query_terms(query.text)
    sort = query.sort if query.sort in SORTS else "relevance"
    db.session.flush()  # the statements run on the session's connection, without autoflush
    conn = db.session.connection()
    shape = _shape(conn.dialect.name, query, terms, sort)
    board = for_shape(shape)
    values = bind_values(shape, query, terms) | {
        "tenant_id": tenant_id,
        "course_id": query.course_id,
        "open_from": max(today, query.deadline_after or today),
        "cap": COUNT_CAP + 1,
        "small": SORT_ALL_UP_TO,
    }
    if not shape.sqlite:
        # No parallel workers for the board's small reads (a third of the searches at
        # 250,000 listings were planned with some): each worker reads its share of an index
        # in order before the first rows can be merged, so a page that one process finds
        # after 900 rows took them 60,000 (1.2 s); and on a busy server they only compete.
        # And plans made for the search's own values (the connection's generic plans are for
        # the pages' lookups by id: ``POSTGRESQL_PLAN_CACHE_MODE``).
        conn.exec_driver_sql(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true), "
            "set_config('plan_cache_mode', 'auto', true)"
        )
    page = max(1, query.page)
    # One row more than a page shows: whether a next page exists, without counting.
    cards, matches = _read(conn, board, values, (page - 1) * per_page, per_page + 1)
    capped = matches > COUNT_CAP
    total = min(matches, COUNT_CAP)
    if not cards and total:  # a page past the last one: show the last page
        page = math.ceil(total / per_page)
        cards, _ = _read(conn, board, values, (page - 1) * per_page, per_page + 1)
    has_next = len(cards) > per_page
    cards = cards[:per_page]
    pages = max(1, math.ceil(total / per_page))
    if capped or has_next:
        pages = max(pages, page + has_next)
    pinned = frozenset(card.id for card in cards if card.pinned)
    return BoardPage(cards, total, page, pages, per_page, capped, pinned=pinned)
