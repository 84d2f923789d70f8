"""Weekly check-ins: the student answers three prompts once a week (done, next, blocked?)
and the supervisor confirms the check-in, with a comment or without, from their workspace
page. A check-in may change until the supervisor has confirmed it."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from internships.work.models import Engagement
from internships.work.services.reads import kept
from lti_tool.actor import Actor
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit

from .models import CheckIn

PROMPTS = {
    "done": "What did you get done this week?",
    "next": "What will you do next?",
    "blocked": "Is anything blocking you?",
}
SHOWN = 8  # the latest check-ins a panel lists


@dataclass(frozen=True)
class Answers:
    done: str
    next: str
    blocked: bool
    blocker: str = ""


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (check-ins are weekly, in the tenant's days)."""
    return day - dt.timedelta(days=day.weekday())


@functools.cache
def _recent_statement() -> Any:
    """An engagement's latest check-ins, built once (every engagement page shows them): a
    request binds ``tenant_id``, ``engagement_id`` and ``limit``."""
    return (
        select(CheckIn)
        .where(
            CheckIn.tenant_id == bindparam("tenant_id"),
            CheckIn.engagement_id == bindparam("engagement_id"),
        )
        .order_by(CheckIn.week_start.desc())
        .limit(bindparam("limit"))
    )


def recent_checkins(engagement: Engagement, limit: int = SHOWN) -> list[CheckIn]:
    """The engagement's latest check-ins, newest week first (the latest ``SHOWN``: read once
    per transaction, ``reads``)."""
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id, "limit": limit}
    if limit != SHOWN:
        return list(db.session.scalars(_recent_statement(), params))
    return kept(
        "recent_checkins", engagement, lambda: list(db.session.scalars(_recent_statement(), params))
    )


def submit_checkin(
    ctx: LaunchContext, engagement: Engagement, answers: Answers, today: dt.date
) -> CheckIn:
    """The student's check-in of this week, new or changed (until the supervisor confirmed
    it); audited."""
    if ctx.role != "student" or engagement.student_id != ctx.user_id:
        raise ForbiddenError("Only the student checks in.", reason="role")
    if engagement.tenant_id != ctx.tenant_id:
        raise NotFoundError("That engagement does not exist or is not yours to see.")
    if engagement.status != "active":
        raise PolicyViolationError(
            "Check-ins are for active engagements only.", reason="not_active"
        )
    if engagement.acknowledged_at is None:
        raise PolicyViolationError(
            "Accept the learning agreement first, then check in.", reason="no_agreement"
        )
    week = week_of(today)
    row = db.session.scalar(
        select(CheckIn).where(
            CheckIn.tenant_id == ctx.tenant_id,
            CheckIn.engagement_id == engagement.id,
            CheckIn.week_start == week,
        )
    )
    if row is not None and row.reviewed_at is not None:
        raise PolicyViolationError(
            "Your supervisor already confirmed this week's check-in; check in again next week.",
            reason="reviewed",
        )
    if row is None:
        row = CheckIn(
            tenant_id=ctx.tenant_id,
            engagement_id=engagement.id,
            student_id=engagement.student_id,
            week_start=week,
        )
        db.session.add(row)
    row.done, row.next = answers.done, answers.next
    row.blocked, row.blocker = answers.blocked, answers.blocker if answers.blocked else ""
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(
        ctx.actor,
        "workspace.checkin",
        engagement_id=engagement.id,
        week=week.isoformat(),
        blocked=answers.blocked,
    )
    return row


def review_checkin(actor: Actor, engagement: Engagement, checkin_id: int, comment: str) -> CheckIn:
    """The supervisor confirms a check-in of their engagement, with a comment or without;
    the student is told (in the tool and by email); audited."""
    row = db.session.scalar(
        select(CheckIn).where(
            CheckIn.id == checkin_id,
            CheckIn.tenant_id == actor.tenant,
            CheckIn.engagement_id == engagement.id,
        )
    )
    if row is None:
        raise NotFoundError("That check-in does not exist.")
    if row.reviewed_at is not None:
        raise PolicyViolationError("This check-in is already confirmed.", reason="reviewed")
    row.reviewed_at, row.reviewed_by, row.comment = utcnow(), actor.name, comment
    row.updated_at = row.reviewed_at
    db.session.flush()
    said = "confirmed your check-in" + (" and commented" if comment else "")
    notify(
        engagement.tenant_id,
        engagement.student_id,
        "checkin_reviewed",
        f"{engagement.supervisor_name or 'Your supervisor'} {said} of the week of "
        f"{row.week_start.strftime('%-d %B')} ({engagement.listing.title}).",
        engagement_id=engagement.id,
    )
    audit.record(actor, "workspace.checkin_review", engagement_id=engagement.id, checkin_id=row.id)
    return row
