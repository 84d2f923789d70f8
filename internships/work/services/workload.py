"""The workload an engagement plans (its weekly hours) and whether a student may take it on
under the caps (see ``caps.py`` for who sets them)."""

from __future__ import annotations

import math

from sqlalchemy import func, select

from internships.models import Listing
from lti_tool.extensions import db
from lti_tool.words import plural

from ..models import Engagement
from .caps import effective_caps

DEFAULT_WEEKS = 4  # a listing without a work window is planned over four weeks


def planned_weekly_hours(listing: Listing) -> int:
    """The listing's estimated hours spread over its work window (or DEFAULT_WEEKS)."""
    weeks = DEFAULT_WEEKS
    if listing.work_start and listing.work_end and listing.work_end >= listing.work_start:
        weeks = max(1, math.ceil(((listing.work_end - listing.work_start).days + 1) / 7))
    return max(1, math.ceil(listing.estimated_hours / weeks))


def workload_problem(
    tenant_id: int, student_id: int, weekly_hours: int, course_id: int | None = None
) -> str | None:
    """Why taking on ``weekly_hours`` more (in ``course_id``) would break the caps, or None:
    the course's own caps when its instructor set them, else the tenant's. Every current
    engagement of the student counts, whatever its course."""
    caps = effective_caps(tenant_id, course_id)
    max_count, max_hours = caps.max_concurrent, caps.max_weekly_hours
    count, hours = db.session.execute(
        select(
            func.count(Engagement.id), func.coalesce(func.sum(Engagement.weekly_hours), 0)
        ).where(
            Engagement.tenant_id == tenant_id,
            Engagement.student_id == student_id,
            Engagement.status.in_(("active", "submitted")),
        )
    ).one()
    if count + 1 > max_count:
        return (
            f"The student already has {plural(count, 'current engagement')}; "
            f"the limit is {max_count} at a time."
        )
    if hours + weekly_hours > max_hours:
        return (
            f"This would plan {hours + weekly_hours} hours a week for the student "
            f"({hours} already planned + {weekly_hours}); the limit is {max_hours} hours a week."
        )
    return None
