"""The course board: a tenant's open listings, searched, filtered, sorted and paged."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from lti_tool.extensions import db

from ..models import Listing, ListingFacet
from . import search

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


@dataclass(frozen=True)
class BoardPage:
    listings: list[Listing]
    total: int
    page: int
    pages: int
    per_page: int


def _facet(tenant_id: int, kind: str, values: tuple[str, ...]) -> Select[int]:
    return select(ListingFacet.listing_id).where(
        ListingFacet.tenant_id == tenant_id,
        ListingFacet.kind == kind,
        ListingFacet.value.in_(values),
    )


def _filtered(tenant_id: int, query: BoardQuery, today: dt.date, terms: list[str]) -> Select[int]:
    stmt = select(Listing.id).where(
        Listing.tenant_id == tenant_id,
        Listing.status == "open",
        or_(Listing.application_deadline.is_(None), Listing.application_deadline >= today),
    )
    if terms:
        stmt = stmt.where(search.matches(terms))
    if query.skills:
        stmt = stmt.where(Listing.id.in_(_facet(tenant_id, "skill", query.skills)))
    if query.competencies:
        stmt = stmt.where(Listing.id.in_(_facet(tenant_id, "competency", query.competencies)))
    if query.min_hours is not None:
        stmt = stmt.where(Listing.estimated_hours >= query.min_hours)
    if query.max_hours is not None:
        stmt = stmt.where(Listing.estimated_hours <= query.max_hours)
    if query.paid_only:
        stmt = stmt.where(Listing.compensation_type != "unpaid")
    if query.min_rate_cents:
        stmt = stmt.where(Listing.effective_rate_cents >= query.min_rate_cents)
    if query.remote_only:
        stmt = stmt.where(Listing.location_type == "remote")
    if query.deadline_after is not None:
        stmt = stmt.where(
            or_(
                Listing.application_deadline.is_(None),
                Listing.application_deadline >= query.deadline_after,
            )
        )
    return stmt


def _order(stmt: Select[int], sort: str, terms: list[str]) -> Select[int]:
    # Listings without a deadline sort after those with one, on both engines; NULLS LAST
    # (rather than a CASE) lets the board index deliver this order without sorting.
    soonest = (Listing.application_deadline.asc().nulls_last(),)
    if sort == "relevance" and terms:
        stmt = stmt.order_by(case((search.title_matches(terms), 0), else_=1), *soonest)
    elif sort == "newest":
        stmt = stmt.order_by(Listing.created_at.desc())
    elif sort == "pay":
        stmt = stmt.order_by(Listing.effective_rate_cents.desc())
    elif sort == "hours":
        stmt = stmt.order_by(Listing.estimated_hours)
    else:
        stmt = stmt.order_by(*soonest)
    return stmt.order_by(Listing.id)


def search_board(
    tenant_id: int, query: BoardQuery, today: dt.date, per_page: int = PER_PAGE
) -> BoardPage:
    """One page of the tenant's open listings whose deadline has not passed (``today`` is the
    tenant's local date), matching the query; see ``search.py`` for the text rules."""
    terms = search.query_terms(query.text)
    sort = query.sort if query.sort in SORTS else "relevance"
    ids_and_total = _order(_filtered(tenant_id, query, today, terms), sort, terms).add_columns(
        func.count().over()
    )

    def page_rows(page: int) -> list[Any]:
        # Ids and the total in one pass (a narrow sort); the page's rows are loaded after.
        stmt = ids_and_total.limit(per_page).offset((page - 1) * per_page)
        return list(db.session.execute(stmt).all())

    page = max(1, query.page)
    rows = page_rows(page)
    if rows:
        total = rows[0][1]
    else:  # no match, or a page past the last one: count, then show the last page
        total = (
            db.session.scalar(
                select(func.count()).select_from(
                    _filtered(tenant_id, query, today, terms).subquery()
                )
            )
            or 0
        )
        page = max(1, math.ceil(total / per_page))
        rows = page_rows(page) if total else []
    ids = [row[0] for row in rows]
    loaded = db.session.scalars(
        select(Listing).options(joinedload(Listing.employer)).where(Listing.id.in_(ids))
    )
    by_id = {listing.id: listing for listing in loaded}
    pages = max(1, math.ceil(total / per_page))
    return BoardPage([by_id[i] for i in ids], total, page, pages, per_page)
