"""Workload caps: at most N concurrent engagements and H planned hours a week per student.
The tenant sets the defaults (``max_concurrent_engagements``, ``max_weekly_hours``); a
course's instructor may set the course's own caps, which apply to engagements of that course
(a cap left empty falls back to the tenant's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError
from lti_tool.extensions import db
from lti_tool.services import audit

from ..models import CourseWorkloadCap
from .common import DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_WEEKLY_HOURS, get_tenant, setting_int
from .engagements import EngagementInvalidError

MAX_CONCURRENT_LIMIT, MAX_WEEKLY_LIMIT = 10, 60


@dataclass(frozen=True)
class Caps:
    max_concurrent: int
    max_weekly_hours: int
    tenant_concurrent: int
    tenant_weekly_hours: int
    course_concurrent: int | None = None
    course_weekly_hours: int | None = None


def course_cap(column: Any) -> Any:
    """One of the launch course's own caps as a scalar subquery (NULL without a row), bound
    per request (``tenant_id``, ``course_id``): statements that read more than the caps (the
    student's home, the "For you" list) carry it as a column instead of a statement of its
    own."""
    return (
        select(column)
        .where(
            CourseWorkloadCap.tenant_id == bindparam("tenant_id"),
            CourseWorkloadCap.course_id == bindparam("course_id"),
        )
        .scalar_subquery()
    )


# built once (building it cost as much as running it): the course's row, two columns
_COURSE_CAPS = select(course_cap(CourseWorkloadCap.max_concurrent)).add_columns(
    course_cap(CourseWorkloadCap.max_weekly_hours)
)


def caps_of(tenant_id: int, course_concurrent: int | None, course_hours: int | None) -> Caps:
    """The caps from the course's own (read already; None: not set) and the tenant's."""
    tenant = get_tenant(tenant_id)
    t_count = setting_int(tenant, "max_concurrent_engagements", DEFAULT_MAX_CONCURRENT)
    t_hours = setting_int(tenant, "max_weekly_hours", DEFAULT_MAX_WEEKLY_HOURS)
    return Caps(
        course_concurrent or t_count,
        course_hours or t_hours,
        t_count,
        t_hours,
        course_concurrent,
        course_hours,
    )


def effective_caps(tenant_id: int, course_id: int | None) -> Caps:
    """The caps for an engagement of ``course_id``: the course's, else the tenant's."""
    if course_id is None:
        return caps_of(tenant_id, None, None)
    params = {"tenant_id": tenant_id, "course_id": course_id}
    c_count, c_hours = db.session.execute(_COURSE_CAPS, params).one()
    return caps_of(tenant_id, c_count, c_hours)


def set_course_caps(
    ctx: LaunchContext, max_concurrent: int | None, max_weekly_hours: int | None
) -> Caps:
    """The instructor sets (or, with None, clears) the launch course's caps; audited."""
    if ctx.role != "faculty" or ctx.course_id is None:
        raise ForbiddenError("Only the course's instructor sets its workload caps.", reason="role")
    if ctx.read_only:
        raise ForbiddenError(
            "Your access to this course is read-only (teaching assistant).", reason="read_only"
        )
    if max_concurrent is not None and not 1 <= max_concurrent <= MAX_CONCURRENT_LIMIT:
        raise EngagementInvalidError(
            "max_concurrent", f"Choose between 1 and {MAX_CONCURRENT_LIMIT} engagements."
        )
    if max_weekly_hours is not None and not 1 <= max_weekly_hours <= MAX_WEEKLY_LIMIT:
        raise EngagementInvalidError(
            "max_weekly_hours", f"Choose between 1 and {MAX_WEEKLY_LIMIT} hours a week."
        )
    row = db.session.scalar(
        select(CourseWorkloadCap).where(
            CourseWorkloadCap.tenant_id == ctx.tenant_id,
            CourseWorkloadCap.course_id == ctx.course_id,
        )
    )
    if row is None:
        row = CourseWorkloadCap(tenant_id=ctx.tenant_id, course_id=ctx.course_id)
        db.session.add(row)
    row.max_concurrent, row.max_weekly_hours = max_concurrent, max_weekly_hours
    row.updated_by = ctx.actor.name
    db.session.flush()
    audit.record(
        ctx.actor,
        "course.workload_caps",
        ctx.tenant_id,
        course_id=ctx.course_id,
        max_concurrent=max_concurrent,
        max_weekly_hours=max_weekly_hours,
    )
    return effective_caps(ctx.tenant_id, ctx.course_id)
