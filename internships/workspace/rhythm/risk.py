"""The workspace's at-risk reasons, for the advisor's flags
(``accreditation.reports.services.risk``): each as one SQL condition on an engagement, as the
other rules are, so the reports keep their statements per thresholds, day and minute."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select

from ..plan.models import Milestone
from .activity import is_quiet
from .models import CheckIn

RULES = ("no_activity", "late_milestone", "blocked")
LABELS = {
    "no_activity": "No activity on the project recently",
    "late_milestone": "A milestone is late",
    "blocked": "Blocked at the latest check-in",
}


def conditions(no_activity_days: int, today: dt.date, e: Any) -> dict[str, ColumnElement[bool]]:
    """Each reason as a boolean condition on ``e`` (the Engagement entity or an alias), in
    ``RULES`` order."""
    earliest_open = (
        select(func.min(Milestone.due_date))
        .where(Milestone.engagement_id == e.id, Milestone.done_at.is_(None))
        .scalar_subquery()
    )
    latest_blocked = (
        select(CheckIn.blocked)
        .where(CheckIn.engagement_id == e.id)
        .order_by(CheckIn.week_start.desc())
        .limit(1)
        .scalar_subquery()
    )
    return {
        # found by the job runner's tick (activity.refresh_quiet), as the tenant's setting says
        "no_activity": and_(e.status == "active", is_quiet(e)),
        "late_milestone": and_(e.status == "active", earliest_open < today),
        "blocked": and_(e.status == "active", latest_blocked.is_(True)),
    }


def reasons(no_activity_days: int) -> dict[str, str]:
    """The reason a person reads next to each flag."""
    return {
        "no_activity": f"Nothing happened on the project in the last {no_activity_days} days "
        "(hours, check-ins, deliverables, messages, checklist, milestones).",
        "late_milestone": "A milestone of the learning agreement is past its due date and not "
        "done.",
        "blocked": "The student said they are blocked at their latest check-in.",
    }
