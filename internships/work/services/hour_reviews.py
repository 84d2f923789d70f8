"""Reviewing hours: the supervisor (signed link) or faculty confirms or queries the open
entries, the student is told; and what a reviewer sees beside them — the engagement's days, the
acknowledgement, and the entries to look at twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.context import day_in
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit
from lti_tool.tenants import get_tenant

from ...workspace.plan.services.checklists import kickoff_flags
from ..models import Engagement, HourLog
from .engagements import EngagementInvalidError, get_engagement_by_id
from .hours import engagement_days, outside_days

LATE_ENTRY_DAYS = 14


@dataclass
class HoursReview:
    """What a reviewer sees beside the hours: the engagement's days, when the agreement was
    acknowledged, and the entries to look at twice (``flags`` by log id)."""

    first_day: dt.date
    last_day: dt.date | None
    acknowledged_on: dt.date | None
    flags: dict[int, list[str]]


def hours_review(engagement: Engagement, logs: list[HourLog]) -> HoursReview:
    """The review context of an engagement's hours, in its tenant's time zone."""
    time_zone = get_tenant(engagement.tenant_id).time_zone
    first, last = engagement_days(engagement, time_zone)
    acknowledged = (
        day_in(engagement.acknowledged_at, time_zone) if engagement.acknowledged_at else None
    )
    flags = hour_flags(engagement, logs, time_zone)
    for log_id in kickoff_flags(engagement, logs):  # the onboarding checklist's kick-off call
        flags.setdefault(log_id, []).append("Worked before the kick-off call was ticked off.")
    return HoursReview(first, last, acknowledged, flags)


def hour_flags(engagement: Engagement, logs: list[HourLog], time_zone: str) -> dict[int, list[str]]:
    """What a reviewer should look at twice, per log id: a day outside the engagement (an
    entry made before that rule), work dated before the learning agreement was acknowledged,
    an entry made long after the day worked."""
    acknowledged = (
        day_in(engagement.acknowledged_at, time_zone) if engagement.acknowledged_at else None
    )
    flags: dict[int, list[str]] = {}
    for log in logs:
        found = []
        outside = outside_days(engagement, log.work_date, time_zone)
        if outside is not None:
            found.append(f"A day {outside}.")
        elif acknowledged is not None and log.work_date < acknowledged:
            found.append(
                "Worked before the learning agreement was acknowledged "
                f"({acknowledged.strftime('%-d %B %Y')})."
            )
        late = (day_in(log.created_at, time_zone) - log.work_date).days
        if late > LATE_ENTRY_DAYS:
            found.append(f"Logged {late} days after the day worked.")
        if found:
            flags[log.id] = found
    return flags


def _open_logs(tenant_id: int, engagement: Engagement) -> dict[int, HourLog]:
    """The engagement's pending and queried hour logs by id."""
    return {
        log.id: log
        for log in db.session.scalars(
            select(HourLog).where(
                HourLog.engagement_id == engagement.id,
                HourLog.tenant_id == tenant_id,
                HourLog.status.in_(("pending", "queried")),
            )
        )
    }


def _decide_logs(
    actor: Actor,
    logs: dict[int, HourLog],
    decisions: dict[int, tuple[str, str]],
    reviewer: str,
) -> tuple[dict[str, int], int, list[str]]:
    """Apply each decision: the counts, the confirmed minutes and the queries' lines."""
    counts = {"confirmed": 0, "queried": 0}
    confirmed_minutes = 0
    queries = []
    for log_id, (decision, note) in decisions.items():
        log = logs.get(log_id)
        if log is None or decision not in ("confirm", "query"):
            continue
        if decision == "query" and len(note.strip()) < 3:
            raise EngagementInvalidError(
                "note",
                f"Say what is wrong with the hours of {log.work_date.isoformat()}.",
                "query_note",
            )
        log.status = "confirmed" if decision == "confirm" else "queried"
        log.reviewed_by = f"{reviewer}: {actor.name}"[:255]
        log.reviewed_at = utcnow()
        log.review_note = note.strip()
        counts[log.status] += 1
        if decision == "confirm":
            confirmed_minutes += log.minutes
        else:
            queries.append(f"{log.work_date.isoformat()}: {note.strip()}")
    return counts, confirmed_minutes, queries


def _tell_student(
    tenant_id: int,
    engagement: Engagement,
    counts: dict[str, int],
    confirmed_minutes: int,
    queries: list[str],
) -> None:
    """Notify the student of the confirmed hours and of the queries."""
    title = engagement.listing.title
    if counts["confirmed"]:
        notify(
            tenant_id,
            engagement.student_id,
            "hours_confirmed",
            f"{confirmed_minutes / 60:g} hours on “{title}” were confirmed.",
            engagement_id=engagement.id,
        )
    if queries:
        notify(
            tenant_id,
            engagement.student_id,
            "hours_queried",
            f"Hours on “{title}” were queried — " + "; ".join(queries),
            engagement_id=engagement.id,
        )


def review_hours(
    actor: Actor,
    engagement_id: int,
    decisions: dict[int, tuple[str, str]],
    *,
    reviewer: str,
) -> dict[str, int]:
    """The supervisor (signed link) or faculty confirms or queries pending hour logs:
    ``decisions`` maps a log id to ("confirm" | "query", note). A query needs a note."""
    tenant_id = actor.tenant
    engagement = get_engagement_by_id(tenant_id, engagement_id)
    logs = _open_logs(tenant_id, engagement)
    counts, confirmed_minutes, queries = _decide_logs(actor, logs, decisions, reviewer)
    db.session.flush()
    audit.record(actor, "hours.review", engagement_id=engagement.id, reviewer=reviewer, **counts)
    _tell_student(tenant_id, engagement, counts, confirmed_minutes, queries)
    return counts
