"""The board's statements, built once per process for each shape of query (engine, sort, which
filters are given, a course or not) with bind parameters for every value: a search binds its
values and runs them, never building or hashing a statement again (building them was most of
a search's Python work: 4,000 calls a page).

The meaning and the shape of the reads are in ``docs/search.md`` ("How a board page is
read"): pinned listings first, then the chosen sort; "Best match" with words puts the
listings whose title holds them all first; the soonest-deadline order is listings whose
deadline has not passed by deadline, then those without one, by id."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    intersect,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)

from ..models import CoursePin, Employer, Listing
from . import board_facets, search

# A search whose matches (counted first, capped) are at most this many reads them all in one
# statement, sorted, with its page's cards; one with more reads the groups in index order.
SORT_ALL_UP_TO = 200

_TENANT = bindparam("tenant_id", type_=Integer)
_COURSE = bindparam("course_id", type_=Integer)
_OPEN_FROM = bindparam("open_from", type_=Date)
_WORDS: Any = bindparam("words")  # PostgreSQL: the words; SQLite: the FTS5 query
_TITLE_WORDS: Any = bindparam("title_words")  # SQLite: the FTS5 query on the title
_LIMIT = bindparam("limit", type_=Integer)

# What a card shows (``templates/internships/_board_card.html``): columns, not ORM objects.
CARD_COLUMNS = (
    Listing.id,
    Listing.title,
    Listing.summary,
    Listing.status,
    Listing.compensation_type,
    Listing.pay_amount_cents,
    Listing.currency,
    Listing.effective_rate_cents,
    Listing.estimated_hours,
    Listing.location_type,
    Listing.location,
    Listing.application_deadline,
    Listing.skills,
    Listing.competencies,
    Employer.name.label("employer_name"),
)


@dataclass(frozen=True)
class Shape:
    """What a board statement's SQL depends on; every value is a bind parameter."""

    dialect: str
    sort: str
    words: bool
    skills: bool
    competencies: bool
    min_hours: bool
    max_hours: bool
    min_rate: bool
    paid_only: bool
    remote_only: bool
    course: bool

    @property
    def sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def id_lists(self) -> bool:
        """SQLite with words or facets: its statements start from the lists' intersection."""
        return self.sqlite and (self.words or self.skills or self.competencies)


def group_specs(shape: Shape) -> list[tuple[bool | None, str]]:
    """The result as consecutive groups: (title condition, deadline part) for the soonest
    order, or (None, sort) for the other sorts. The soonest-deadline order is two groups,
    listings whose deadline has not passed, then those without one: each is a range of
    ``ix_listing_board`` read in index order on both engines (one "deadline not passed or
    missing" condition is no index range, and the engines sort NULLs differently). "Best
    match" with words puts the listings whose title holds them all first: four groups."""
    if shape.sort not in ("relevance", "deadline"):
        return [(None, shape.sort)]
    titles: list[bool | None] = (
        [True, False] if shape.sort == "relevance" and shape.words else [None]
    )
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


def _pinned_to_course() -> Any:
    return and_(
        CoursePin.listing_id == Listing.id,
        CoursePin.tenant_id == _TENANT,
        CoursePin.course_id == _COURSE,
    )


# Deadline not passed, written so that no planner reads it from an index: the count and the
# pins check it on rows already found by the words or filters (as one OR of two index ranges,
# PostgreSQL built bitmaps of most of the board to count a page's worth).
_NOT_PASSED = (
    func.coalesce(Listing.application_deadline, literal_column("'9999-12-31'")) >= _OPEN_FROM
)


class BoardStatements:
    """The statements of one shape of board query: the tenant's open listings with the words
    and filters, for one group of the result, one sorted page, or the count.

    PostgreSQL's planner weighs the word and facet conditions from its statistics and reads
    each group in index order. SQLite's planner cannot weigh an FTS5 match or a facet list
    (an ``id IN (...)`` of unknown size) and would start from the first; there, when there
    are such lists, it starts from their intersection (``INTERSECT`` of the id lists: only
    listings holding the words and having the facets are read) and sorts the matches."""

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    def conditions(self, *, title: bool | None = None, pinned_too: bool = False) -> list[Any]:
        """The filters (deadline aside), pinned listings left out unless ``pinned_too``;
        ``title`` True/False keeps only those whose title does/does not hold every word."""
        found = [Listing.tenant_id == _TENANT, Listing.status == "open"]
        found += self._words_and_facets(title)
        found += self._values()
        if self.shape.course and not pinned_too:
            pins = select(CoursePin.listing_id).where(
                CoursePin.tenant_id == _TENANT, CoursePin.course_id == _COURSE
            )
            found.append(Listing.id.not_in(pins))
        return found

    def in_title(self, *, drive: bool = True) -> Any:
        query = _TITLE_WORDS if self.shape.sqlite else _WORDS
        return search.title_matches(self.shape.dialect, query, drive=drive)

    def _words_and_facets(self, title: bool | None) -> list[Any]:
        shape, found = self.shape, list[Any]()
        in_title = self.in_title(drive=not shape.id_lists) if title is not None else None
        if shape.id_lists:
            lists = [search.hits(_WORDS)] if shape.words else []
            lists += [board_facets.facet_ids(_TENANT, kind) for kind in self._facet_kinds()]
            found.append(Listing.id.in_(intersect(*lists) if len(lists) > 1 else lists[0]))
        else:
            if shape.words:
                found.append(search.matches(shape.dialect, _WORDS))
            found += [
                board_facets.has_facet(shape.dialect, _TENANT, k) for k in self._facet_kinds()
            ]
        if in_title is not None:
            found.append(in_title if title else ~in_title)
        return found

    def _facet_kinds(self) -> list[str]:
        return ["skill"] * self.shape.skills + ["competency"] * self.shape.competencies

    def _values(self) -> list[Any]:
        """Hours, pay and place."""
        shape, found = self.shape, list[Any]()
        if shape.min_hours:
            found.append(Listing.estimated_hours >= bindparam("min_hours", type_=Integer))
        if shape.max_hours:
            found.append(Listing.estimated_hours <= bindparam("max_hours", type_=Integer))
        if shape.min_rate:
            found.append(Listing.effective_rate_cents >= bindparam("min_rate", type_=Integer))
        if not shape.sqlite:  # from the facets' GIN index, with the words and facets
            if shape.paid_only or shape.remote_only:
                found.append(board_facets.holds_all())
            return found
        if shape.paid_only:
            found.append(Listing.compensation_type != "unpaid")
        if shape.remote_only:
            found.append(Listing.location_type == "remote")
        return found

    @functools.cached_property
    def sorted_page(self) -> Select[Any]:
        """The count of the matches (capped at ``cap``) in one row, and when it is at most
        ``small`` (a one-time check: the read is not started otherwise) the cards of the
        ``limit`` matches from ``offset`` in the board's order, each with whether it is
        pinned to the course and its position ``n``. No planner reads many rows for it: the
        count stops at the cap and the sorted read runs only for a few matches."""
        shape, every = self.shape, self.conditions(pinned_too=True)
        counted = select(Listing.id).where(*every, _NOT_PASSED).limit(bindparam("cap"))
        count = select(func.count().label("matches")).select_from(counted.subquery()).cte()
        order = self._sorted_order()
        pinned: Any = CoursePin.id.is_not(None) if shape.course else false()
        page = select(
            *CARD_COLUMNS,
            pinned.label("pinned"),
            func.row_number().over(order_by=order).label("n"),
        ).join_from(Listing, Employer, Employer.id == Listing.employer_id)
        if shape.course:
            page = page.outerjoin(CoursePin, _pinned_to_course())
        page = page.where(*every, _NOT_PASSED)
        if not shape.id_lists:  # SQLite sorts every match of its id lists (few: no gate)
            gate = select(count.c.matches).scalar_subquery() <= bindparam("small", type_=Integer)
            page = page.where(gate)
        cut = page.order_by(*order).limit(_LIMIT).offset(bindparam("offset")).subquery()
        return (
            select(count.c.matches, *cut.c)
            .select_from(count.outerjoin(cut, true()))
            .order_by(cut.c.n)
        )

    def _sorted_order(self) -> tuple[Any, ...]:
        shape, deadline = self.shape, Listing.application_deadline
        soonest = (deadline.is_(None), deadline, Listing.id)
        order = _orders().get(shape.sort, soonest)
        if shape.sort == "relevance" and shape.words:
            order = (case((self.in_title(drive=False), 0), else_=1), *soonest)
        if shape.course:
            order = (CoursePin.id.is_(None), CoursePin.created_at, CoursePin.id, *order)
        return order

    def _groups(self) -> Iterator[tuple[Select[Any], tuple[Any, ...]]]:
        """Each group: its ids (unsorted, uncut) and its order; pinned listings first."""
        orders, deadline = _orders(), Listing.application_deadline
        if self.shape.course:
            pinned = select(Listing.id).join(CoursePin, _pinned_to_course())
            yield pinned.where(*self.conditions(pinned_too=True), _NOT_PASSED), orders["pinned"]
        for title, part in group_specs(self.shape):
            stmt = select(Listing.id).where(*self.conditions(title=title))
            if part == "dated":
                stmt = stmt.where(deadline >= _OPEN_FROM)
            elif part == "undated":
                stmt = stmt.where(deadline.is_(None))
            else:
                stmt = stmt.where(or_(deadline.is_(None), deadline >= _OPEN_FROM))
            yield stmt, orders[part]

    @functools.cached_property
    def group_reads(self) -> list[Select[Any]]:
        """The reads of the groups laid end to end, each of at most ``limit`` ids in its own
        order (an index read in order, stopping early). The first reads the pinned group and
        the first group after it together: a page costs one read when those fill it."""
        groups = list(self._groups())
        first, rest = groups[: 1 + self.shape.course], groups[1 + self.shape.course :]
        parts = [
            stmt.add_columns(
                literal(number).label("grp"), func.row_number().over(order_by=order).label("n")
            )
            .order_by(*order)
            .limit(_LIMIT)
            .subquery()
            for number, (stmt, order) in enumerate(first)
        ]
        merged = union_all(*(select(part.c.id, part.c.grp, part.c.n) for part in parts))
        sub = merged.subquery()
        merged_ids = select(sub.c.id).order_by(sub.c.grp, sub.c.n)
        return [merged_ids, *(stmt.order_by(*order).limit(_LIMIT) for stmt, order in rest)]


def bind_values(shape: Shape, query: Any, terms: list[str]) -> dict[str, Any]:
    """The values a query binds to its shape's statements (``query`` a ``BoardQuery``; the
    tenant, the course, the first open date and the limits are the caller's)."""
    values: dict[str, Any] = {}
    if terms:
        if shape.sqlite:
            values["words"] = search.fts5_query(terms)
            values["title_words"] = search.fts5_query(terms, title=True)
        else:
            values["words"] = " ".join(terms)
    for kind, chosen in (("skill", query.skills), ("competency", query.competencies)):
        if chosen:
            prefix = "" if shape.sqlite else board_facets.PREFIX[kind]
            values[f"{kind}_values"] = [prefix + value for value in chosen]
    if shape.min_hours:
        values["min_hours"] = query.min_hours
    if shape.max_hours:
        values["max_hours"] = query.max_hours
    if shape.min_rate:
        values["min_rate"] = query.min_rate_cents
    if not shape.sqlite and (shape.paid_only or shape.remote_only):
        values["held"] = ["pay:paid"] * shape.paid_only + ["place:remote"] * shape.remote_only
    return values


@functools.lru_cache(maxsize=256)
def for_shape(shape: Shape) -> BoardStatements:
    """The statements of a shape, built once per process (the latest 256 shapes)."""
    return BoardStatements(shape)


@functools.cache
def cards_statement() -> Any:
    """The cards of listings by id (``ids``), with whether each is pinned to the course of
    ``course_id`` (None: to no course): a page read group by group."""
    pinned = exists().where(_pinned_to_course())
    return (
        select(*CARD_COLUMNS, pinned.label("pinned"))
        .join_from(Listing, Employer, Employer.id == Listing.employer_id)
        .where(Listing.tenant_id == _TENANT, Listing.id.in_(bindparam("ids", expanding=True)))
    )
