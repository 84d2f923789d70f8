"""The course board: a tenant's open listings, searched, filtered, sorted and paged."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    intersect,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union_all,
)

from lti_tool.extensions import db

from ..models import CoursePin, Listing
from . import board_facets, search
from .board_reads import page_statement

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

    listings: list[Listing]
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


class _Board:
    """The statements of one board query: the tenant's open listings with the words and
    filters, for one group of the result, one sorted page, or the count.

    PostgreSQL's planner weighs the word and facet conditions from its statistics and reads
    each group in index order. SQLite's planner cannot weigh an FTS5 match or a facet list
    (an ``id IN (...)`` of unknown size) and would start from the first; here, when there
    are such lists, it starts from their intersection (``INTERSECT`` of the id lists: only
    listings holding the words and having the facets are read) and sorts the matches."""

    def __init__(self, tenant_id: int, query: BoardQuery, terms: list[str]) -> None:
        self.tenant_id, self.query, self.terms = tenant_id, query, terms
        self.sqlite = db.session.get_bind().dialect.name == "sqlite"
        self.id_lists: list[Select[Any]] = []
        if self.sqlite and terms:
            self.id_lists.append(search.hits(terms))
        for kind, values in (("skill", query.skills), ("competency", query.competencies)):
            if values:
                self.id_lists.append(board_facets.facet_ids(tenant_id, kind, values))
        self._built: dict[tuple[bool | None, bool], Select[int]] = {}
        # The course's pins: their own group, first; every other statement leaves them out.
        self.pins: Select[Any] | None = None
        if query.course_id is not None:
            self.pins = select(CoursePin.listing_id).where(
                CoursePin.tenant_id == tenant_id, CoursePin.course_id == query.course_id
            )

    @property
    def pinned(self) -> Select[int] | None:
        """The course's pinned listings that match (joined to their pins), or None."""
        if self.query.course_id is None:
            return None
        return self.statement(pinned_too=True).join(
            CoursePin,
            and_(
                CoursePin.listing_id == Listing.id,
                CoursePin.tenant_id == self.tenant_id,
                CoursePin.course_id == self.query.course_id,
            ),
        )

    def statement(self, *, title: bool | None = None, pinned_too: bool = False) -> Select[int]:
        """The filtered listings (deadline aside), pinned ones left out unless
        ``pinned_too``; ``title`` True/False keeps only those whose title does/does not hold
        every word. Built once per query for each ``title`` and ``pinned_too`` (a page reads
        up to six groups and the count from three of them; statements are immutable)."""
        key = (title, pinned_too)
        stmt = self._built.get(key)
        if stmt is None:
            stmt = select(Listing.id).where(
                Listing.tenant_id == self.tenant_id, Listing.status == "open"
            )
            stmt = self._word_and_facet_filters(stmt, title)
            stmt = self._value_filters(stmt)
            if self.pins is not None and not pinned_too:
                stmt = stmt.where(Listing.id.not_in(self.pins))
            self._built[key] = stmt
        return stmt

    @functools.cached_property
    def _matches(self) -> Any:
        """Whether the listing holds every word (its text search)."""
        return search.matches(self.terms)

    @functools.cached_property
    def _in_title(self) -> Any:
        """Whether the title holds every word (on SQLite beside its id lists: not driving)."""
        return search.title_matches(self.terms, drive=not (self.sqlite and self.id_lists))

    def _word_and_facet_filters(self, stmt: Select[int], title: bool | None) -> Select[int]:
        """The words, skills and competencies: on SQLite through the id lists read first,
        elsewhere as conditions on the listing."""
        query, terms, tenant_id = self.query, self.terms, self.tenant_id
        if self.sqlite and self.id_lists:
            lists = self.id_lists
            stmt = stmt.where(Listing.id.in_(intersect(*lists) if len(lists) > 1 else lists[0]))
            if title is not None:
                stmt = stmt.where(self._in_title if title else ~self._in_title)
            return stmt
        if terms:
            stmt = stmt.where(self._matches)
            if title is not None:
                stmt = stmt.where(self._in_title if title else ~self._in_title)
        for kind, values in (("skill", query.skills), ("competency", query.competencies)):
            if values:
                stmt = stmt.where(board_facets.has_facet(tenant_id, kind, values))
        return stmt

    def _value_filters(self, stmt: Select[int]) -> Select[int]:
        """Hours, pay and place."""
        query = self.query
        if query.min_hours is not None:
            stmt = stmt.where(Listing.estimated_hours >= query.min_hours)
        if query.max_hours is not None:
            stmt = stmt.where(Listing.estimated_hours <= query.max_hours)
        if query.min_rate_cents:
            stmt = stmt.where(Listing.effective_rate_cents >= query.min_rate_cents)
        if not self.sqlite:  # from the facets' GIN index, with the words and facets
            held = ["pay:paid"] * query.paid_only + ["place:remote"] * query.remote_only
            if held:
                stmt = stmt.where(board_facets.holds_all(held))
            return stmt
        if query.paid_only:
            stmt = stmt.where(Listing.compensation_type != "unpaid")
        if query.remote_only:
            stmt = stmt.where(Listing.location_type == "remote")
        return stmt


def _group_specs(sort: str, terms: list[str]) -> list[tuple[bool | None, str]]:
    """The result as consecutive groups: (title condition, deadline part) for the soonest
    order, or (None, sort) for the other sorts. The soonest-deadline order is two groups,
    listings whose deadline has not passed, then those without one: each is a range of
    ``ix_listing_board`` read in index order on both engines (one "deadline not passed or
    missing" condition is no index range, and the engines sort NULLs differently). "Best
    match" with words puts the listings whose title holds them all first: four groups."""
    if sort not in ("relevance", "deadline"):
        return [(None, sort)]
    titles: list[bool | None] = [True, False] if sort == "relevance" and terms else [None]
    return [(title, part) for title in titles for part in ("dated", "undated")]


def _orders() -> dict[str, tuple[Any, ...]]:
    deadline = Listing.application_deadline
    return {
        "dated": (deadline, Listing.id),
        "undated": (Listing.id,),
        "pinned": (CoursePin.created_at, CoursePin.id),
        # the newest and the best paid first, the later listing first among equals: each
        # order is an index of its own read backwards (ix_listing_board_newest, _pay)
        "newest": (Listing.created_at.desc(), Listing.id.desc()),
        "pay": (Listing.effective_rate_cents.desc(), Listing.id.desc()),
        "hours": (Listing.estimated_hours, Listing.id),
    }


@dataclass
class _Read:
    """What one read of the board gave: ids from the offset (one more than a page when there
    is a next page), and the number of matches when known."""

    ids: list[int]
    matches: int | None


def _grouped_page(
    board: _Board, sort: str, open_from: dt.date, not_passed: Any, offset: int, limit: int
) -> _Read:
    """``limit`` ids from ``offset`` of the groups laid end to end (pinned listings first):
    one small statement per group, in order, until the page is full, each reading at most
    ``offset + limit`` rows in its own order (an index read in order, stopping early). The
    first statement reads the pinned group and the first group after it together, and also
    carries the count, capped at ``COUNT_CAP + 1`` (an uncorrelated subquery, computed once):
    a page costs one round trip when those fill it."""
    orders, deadline, needed = _orders(), Listing.application_deadline, offset + limit

    def branches() -> Iterator[tuple[Select[Any], tuple[Any, ...]]]:
        # Built as they are read: most pages stop after the first one or two.
        pinned = board.pinned
        if pinned is not None:
            yield pinned.where(not_passed), orders["pinned"]
        for title, part in _group_specs(sort, board.terms):
            stmt = board.statement(title=title)
            if part == "dated":
                stmt = stmt.where(deadline >= open_from)
            elif part == "undated":
                stmt = stmt.where(deadline.is_(None))
            else:
                stmt = stmt.where(or_(deadline.is_(None), deadline >= open_from))
            yield stmt, orders[part]

    ids: list[int] = []
    pending = branches()
    # The first statement: the pinned group (if any) and the first group after it, each cut
    # and numbered, after one row that always exists and holds the count.
    first = [next(pending)]
    if board.query.course_id is not None:
        first += list(itertools.islice(pending, 1))
    parts = [
        stmt.add_columns(
            literal(number).label("grp"), func.row_number().over(order_by=order).label("n")
        )
        .order_by(*order)
        .limit(needed)
        .subquery()
        for number, (stmt, order) in enumerate(first)
    ]
    merged = union_all(*(select(part.c.id, part.c.grp, part.c.n) for part in parts)).subquery()
    counted = board.statement(pinned_too=True).where(not_passed).limit(COUNT_CAP + 1)
    count = select(func.count()).select_from(counted.subquery()).scalar_subquery()
    anchor = select(count.label("matches")).subquery()
    result = db.session.execute(
        select(anchor.c.matches, merged.c.id)
        .select_from(anchor.outerjoin(merged, true()))
        .order_by(merged.c.grp, merged.c.n)
    ).all()
    matches = result[0][0]
    ids += [row[1] for row in result if row[1] is not None]
    for stmt, order in pending:  # the next groups, only while the page is not full
        if len(ids) >= needed or len(set(ids)) >= matches:
            break  # the page is full, or every match is read (the groups hold only matches)
        ids += db.session.scalars(stmt.order_by(*order).limit(needed - len(ids)))
    return _Read(ids[offset:needed], matches)


def _sorted_page(board: _Board, sort: str, not_passed: Any, offset: int, limit: int) -> _Read:
    """SQLite with words or facets: ``limit`` ids from ``offset`` in one statement that
    starts from the id lists' intersection and sorts every match (pinned ones first), with
    their number. SQLite has no planning cost and each statement rebuilds its ``IN`` lists,
    so one sorting statement beats one per group."""
    deadline = Listing.application_deadline
    soonest = (deadline.is_(None), deadline, Listing.id)
    order = _orders().get(sort, soonest)
    if sort == "relevance" and board.terms:
        in_title = search.title_matches(board.terms, drive=False)
        order = (case((in_title, 0), else_=1), *soonest)
    if board.query.course_id is not None:

        def pin(column: Any) -> Any:
            return (
                select(column)
                .where(
                    CoursePin.tenant_id == board.tenant_id,
                    CoursePin.course_id == board.query.course_id,
                    CoursePin.listing_id == Listing.id,
                )
                .scalar_subquery()
            )

        pinned_at = pin(CoursePin.created_at)
        order = (pinned_at.is_(None), pinned_at, pin(CoursePin.id), *order)
    stmt = (
        board.statement(pinned_too=True)
        .where(not_passed)
        .add_columns(func.count().over())
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    rows = list(db.session.execute(stmt))
    if rows:
        return _Read([row[0] for row in rows], rows[0][1])
    return _Read([], 0 if not offset else None)


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
    open_from = max(today, query.deadline_after or today)
    board = _Board(tenant_id, query, terms)
    if not board.sqlite:
        # No parallel workers for the board's small reads (a third of the searches at
        # 250,000 listings were planned with some): each worker reads its share of an index
        # in order before the first rows can be merged, so a page that one process finds
        # after 900 rows took them 60,000 (1.2 s); and on a busy server they only compete.
        db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    # Deadline not passed, written so that no planner reads it from an index: the count and
    # the pins check it on rows already found by the words or filters (as one OR of two index
    # ranges, PostgreSQL built bitmaps of most of the board to count a page's worth).
    not_passed = (
        func.coalesce(Listing.application_deadline, literal_column("'9999-12-31'")) >= open_from
    )

    def read(page: int) -> _Read:
        # One row more than a page shows: whether a next page exists, without counting.
        offset = (page - 1) * per_page
        if board.sqlite and board.id_lists:
            return _sorted_page(board, sort, not_passed, offset, per_page + 1)
        return _grouped_page(board, sort, open_from, not_passed, offset, per_page + 1)

    page = max(1, query.page)
    found = read(page)
    if found.matches is None:  # a page past the last one
        counted = board.statement(pinned_too=True).where(not_passed).limit(COUNT_CAP + 1)
        found.matches = db.session.scalar(select(func.count()).select_from(counted.subquery()))
    matches = found.matches or 0
    capped = matches > COUNT_CAP
    total = min(matches, COUNT_CAP)
    if not found.ids and total:  # show the last page
        page = math.ceil(total / per_page)
        found = read(page)
    has_next = len(found.ids) > per_page
    ids = found.ids[:per_page]
    pages = max(1, math.ceil(total / per_page))
    if capped or has_next:
        pages = max(pages, page + has_next)
    params = {"tenant_id": tenant_id, "ids": ids, "course_id": query.course_id}
    by_id, pinned = {}, set()
    for listing, is_pinned in db.session.execute(page_statement(), params):
        by_id[listing.id] = listing
        if is_pinned:
            pinned.add(listing.id)
    listings = [by_id[i] for i in ids]
    return BoardPage(listings, total, page, pages, per_page, capped, pinned=frozenset(pinned))
