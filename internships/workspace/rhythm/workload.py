"""The student's workload this week: the weekly hours every active engagement of theirs
plans for this week (whatever its course), against the caps of the launch's course (its own,
else the tenant's: ``internships.work.services.caps``), so a student sees it before applying
for more."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from internships.models import Listing
from internships.work.models import Engagement
from internships.work.services.caps import Caps, effective_caps
from lti_tool.context import LaunchContext
from lti_tool.extensions import db

from .checkins import week_of

CURRENT = ("active", "submitted")  # the engagements that count toward the concurrent cap


@dataclass(frozen=True)
class Planned:
    engagement_id: int
    title: str
    weekly_hours: int


@dataclass(frozen=True)
class Workload:
    monday: dt.date
    planned: list[Planned]
    max_weekly_hours: int
    max_concurrent: int
    current: int  # engagements that count toward the concurrent cap (active or submitted)

    @property
    def hours(self) -> int:
        return sum(p.weekly_hours for p in self.planned)

    @property
    def room(self) -> int:
        """Hours a week still free under the cap (0 when at or over it)."""
        return max(0, self.max_weekly_hours - self.hours)

    @property
    def over(self) -> bool:
        return self.hours > self.max_weekly_hours


@functools.cache
def _engagements_statement() -> Any:
    """The student's active and submitted engagements with their weekly hours and dates,
    built once: a request binds ``tenant_id`` and ``student_id``."""
    return (
        select(
            Engagement.id,
            Listing.title,
            Engagement.weekly_hours,
            Engagement.status,
            Engagement.start_date,
            Engagement.end_date,
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(
            Engagement.tenant_id == bindparam("tenant_id"),
            Engagement.student_id == bindparam("student_id"),
            Engagement.status.in_(CURRENT),
        )
        .order_by(Engagement.id)
    )


def workload_of(engagements: Iterable[Any], caps: Caps, today: dt.date) -> Workload:
    """This week's workload from the student's engagements as read already (each with ``id``,
    ``title``, ``weekly_hours``, ``status``, ``start_date`` and ``end_date``: the home's
    engagement facts, or ``_engagements_statement``'s rows) and the caps."""
    monday = week_of(today)
    sunday = monday + dt.timedelta(days=6)
    current = sorted((e for e in engagements if e.status in CURRENT), key=lambda e: e.id)
    # an active engagement plans its weekly hours for the weeks its dates cover (all of them
    # when it has none)
    this_week = [
        Planned(int(e.id), str(e.title), int(e.weekly_hours or 0))
        for e in current
        if e.status == "active"
        and (e.start_date is None or e.start_date <= sunday)
        and (e.end_date is None or e.end_date >= monday)
    ]
    return Workload(monday, this_week, caps.max_weekly_hours, caps.max_concurrent, len(current))


def student_workload(ctx: LaunchContext, today: dt.date) -> Workload:
    """This week's planned hours of the launch's student across their engagements: one
    statement for the engagements, the caps from the course's row and the tenant's."""
    params = {"tenant_id": ctx.tenant_id, "student_id": ctx.user_id}
    rows = db.session.execute(_engagements_statement(), params).all()
    return workload_of(rows, effective_caps(ctx.tenant_id, ctx.course_id), today)


@dataclass(frozen=True)
class WithListing:
    """The workload this week, and what a listing would add to it (the Apply page)."""

    workload: Workload
    listing_hours: int

    @property
    def total(self) -> int:
        return self.workload.hours + self.listing_hours

    @property
    def over(self) -> bool:
        return self.total > self.workload.max_weekly_hours


def listing_workload(ctx: LaunchContext, listing: Listing, today: dt.date) -> WithListing:
    """The student's workload this week with the weekly hours ``listing`` plans."""
    from internships.work.services.workload import planned_weekly_hours

    return WithListing(student_workload(ctx, today), planned_weekly_hours(listing))
