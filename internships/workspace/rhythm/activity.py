"""An engagement's activity: the latest moment anything happened on it, from each source as
one small correlated query (an index probe per engagement). The job runner's tick records the
engagements without any for the tenant's "days without activity" (``refresh_quiet``); the
"no activity" reminder and the advisor's at-risk flag read that record (``is_quiet``), so the
reports probe one row per engagement rather than six sources.

Sources: hours worked (the day worked), deliverables handed in, check-ins (submitted,
changed or confirmed), workspace messages, checklist ticks and milestones marked done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, literal, or_, select

from internships.work.models import Deliverable, Engagement, HourLog

from ..messages.models import WorkspaceMessage
from ..plan.models import ChecklistItem, Milestone
from .models import CheckIn, QuietEngagement

NEVER_DAY = dt.date(1970, 1, 1)
NEVER = dt.datetime(1970, 1, 1)

# Each source: the latest activity of engagement ``e`` (a scalar subquery), and whether it is
# a date (True) or a moment (False).
Source = Callable[[Any], tuple[Any, bool]]


def _hours(e: Any) -> tuple[Any, bool]:
    # the day worked (index-only on ix_hour_log_engagement_date), as the "inactive" rule
    return select(func.max(HourLog.work_date)).where(HourLog.engagement_id == e.id), True


def _deliverables(e: Any) -> tuple[Any, bool]:
    return select(func.max(Deliverable.created_at)).where(Deliverable.engagement_id == e.id), False


def _checkins(e: Any) -> tuple[Any, bool]:
    return select(func.max(CheckIn.updated_at)).where(CheckIn.engagement_id == e.id), False


def _messages(e: Any) -> tuple[Any, bool]:
    # the newest message by id (its index, backwards): messages are written in time order
    latest = (
        select(WorkspaceMessage.created_at)
        .where(WorkspaceMessage.tenant_id == e.tenant_id, WorkspaceMessage.engagement_id == e.id)
        .order_by(WorkspaceMessage.id.desc())
        .limit(1)
    )
    return latest, False


def _checklist(e: Any) -> tuple[Any, bool]:
    return select(func.max(ChecklistItem.done_at)).where(ChecklistItem.engagement_id == e.id), False


def _milestones(e: Any) -> tuple[Any, bool]:
    return select(func.max(Milestone.done_at)).where(Milestone.engagement_id == e.id), False


SOURCES: tuple[Source, ...] = (_hours, _checkins, _deliverables, _messages, _checklist, _milestones)


def window_start(today: dt.date, days: int) -> dt.date:
    """The first day of the last ``days`` days (today counts)."""
    return today - dt.timedelta(days=days - 1)


def no_activity(days: int, today: dt.date, e: Any = Engagement) -> ColumnElement[bool]:
    """``e`` is active, began before the window of the last ``days`` days, and nothing
    happened on it in that window (every source's latest activity falls before it)."""
    since = window_start(today, days)
    since_at = dt.datetime.combine(since, dt.time())
    quiet = []
    for source in SOURCES:
        latest, is_date = source(e)
        floor = NEVER_DAY if is_date else NEVER
        quiet.append(
            func.coalesce(latest.scalar_subquery(), floor) < (since if is_date else since_at)
        )
    return and_(
        e.status == "active",
        or_(e.start_date < since, and_(e.start_date.is_(None), e.created_at < since_at)),
        *quiet,
    )


def refresh_quiet(tenant_id: int, days: int, today: dt.date, now: dt.datetime) -> int:
    """Record the tenant's quiet engagements afresh (``no_activity``): two statements, flush
    only; the job runner's tick calls it. Returns how many are quiet."""
    from lti_tool.extensions import db

    db.session.execute(delete(QuietEngagement).where(QuietEngagement.tenant_id == tenant_id))
    found = select(Engagement.id, Engagement.tenant_id, literal(now)).where(
        Engagement.tenant_id == tenant_id, no_activity(days, today)
    )
    result = db.session.execute(
        insert(QuietEngagement).from_select(["engagement_id", "tenant_id", "found_at"], found)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def is_quiet(e: Any = Engagement) -> ColumnElement[bool]:
    """``e`` was quiet at the latest tick (one primary-key probe)."""
    return (
        select(QuietEngagement.engagement_id)
        .where(QuietEngagement.engagement_id == e.id)
        .scalar_subquery()
        .is_not(None)
    )
