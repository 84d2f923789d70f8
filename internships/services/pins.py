"""Course pins: an instructor pins chosen open listings to the top of their course's board
("Pinned by your instructor"). Scoped to the launch's course; a TA's launch is read-only."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.services import audit

from ..models import CoursePin, Listing
from .listings import get_listing

MAX_PINS = 20


def _course(ctx: LaunchContext) -> int:
    if ctx.role != "faculty" or ctx.course_id is None:
        raise ForbiddenError(
            "Only a course's instructor pins listings to its board.", reason="role"
        )
    if ctx.read_only:
        raise ForbiddenError(
            "Your access to this course is read-only (teaching assistant).", reason="read_only"
        )
    return ctx.course_id


def pinned_ids(tenant_id: int, course_id: int | None) -> set[int]:
    """The ids of the listings pinned to a course's board."""
    if course_id is None:
        return set()
    return set(
        db.session.scalars(
            select(CoursePin.listing_id).where(
                CoursePin.tenant_id == tenant_id, CoursePin.course_id == course_id
            )
        )
    )


def pinned_listings(tenant_id: int, course_id: int) -> list[Listing]:
    """The listings pinned to a course's board that students still see (open), pin order."""
    return list(
        db.session.scalars(
            select(Listing)
            .join(CoursePin, CoursePin.listing_id == Listing.id)
            .options(joinedload(Listing.employer))
            .where(
                CoursePin.tenant_id == tenant_id,
                CoursePin.course_id == course_id,
                Listing.status == "open",
            )
            .order_by(CoursePin.created_at, CoursePin.id)
        )
    )


def pin_listing(ctx: LaunchContext, listing_id: int) -> CoursePin:
    """Pin an open listing of the tenant to the launch's course board (idempotent)."""
    course_id = _course(ctx)
    listing = get_listing(ctx.tenant_id, listing_id, open_only=True)
    existing = db.session.scalar(
        select(CoursePin).where(
            CoursePin.course_id == course_id, CoursePin.listing_id == listing.id
        )
    )
    if existing is not None:
        return existing
    if len(pinned_ids(ctx.tenant_id, course_id)) >= MAX_PINS:
        raise PolicyViolationError(
            f"A course board holds at most {MAX_PINS} pinned listings.",
            hint="Unpin one first.",
            reason="too_many_pins",
        )
    pin = CoursePin(
        tenant_id=ctx.tenant_id,
        course_id=course_id,
        listing_id=listing.id,
        pinned_by=ctx.actor.name,
    )
    try:
        with db.session.begin_nested():
            db.session.add(pin)
            db.session.flush()
    except IntegrityError as exc:  # pinned in another tab at the same moment
        found = db.session.scalar(
            select(CoursePin).where(
                CoursePin.course_id == course_id, CoursePin.listing_id == listing.id
            )
        )
        if found is None:
            raise PolicyViolationError("Pin the listing again.", reason="pin_race") from exc
        return found
    audit.record(
        ctx.actor, "listing.pin", ctx.tenant_id, listing_id=listing.id, course_id=course_id
    )
    return pin


def unpin_listing(ctx: LaunchContext, listing_id: int) -> bool:
    """Take a listing off the launch's course board; False when it was not pinned."""
    course_id = _course(ctx)
    result = db.session.execute(
        delete(CoursePin).where(
            CoursePin.tenant_id == ctx.tenant_id,
            CoursePin.course_id == course_id,
            CoursePin.listing_id == listing_id,
        )
    )
    removed = bool(getattr(result, "rowcount", 0))
    if removed:
        audit.record(
            ctx.actor, "listing.unpin", ctx.tenant_id, listing_id=listing_id, course_id=course_id
        )
    return removed
