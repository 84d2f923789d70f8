"""The board's reads of listings by id, built once: a page's cards with whether each is
pinned to the course, and the listings of the "For you" picks."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..models import CoursePin, Listing


@functools.cache
def listings_statement() -> Any:
    """Listings with their employers by id (a board page's, the "For you" picks), built once:
    a request binds ``tenant_id`` and ``ids``."""
    return (
        select(Listing)
        .options(joinedload(Listing.employer))
        .where(
            Listing.tenant_id == bindparam("tenant_id"),
            Listing.id.in_(bindparam("ids", expanding=True)),
        )
    )


@functools.cache
def page_statement() -> Any:
    """``listings_statement`` with whether each listing is pinned to the course of
    ``course_id`` (None: to no course), for the board's "Pinned by your instructor" badges;
    built once."""
    pinned = (
        select(CoursePin.id)
        .where(
            CoursePin.tenant_id == bindparam("tenant_id"),
            CoursePin.course_id == bindparam("course_id"),
            CoursePin.listing_id == Listing.id,
        )
        .exists()
    )
    return listings_statement().add_columns(pinned)
