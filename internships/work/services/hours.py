"""Hour logs: the student logs, the supervisor (signed link) or faculty confirms or queries.

Rules: hours only once the student acknowledged the learning agreement, and only on days inside
the engagement (not before it was accepted or its agreed start, not after its agreed end); hours
in quarter hours; no date in the future in the tenant's time zone; at most 12 hours a day and
the tenant's weekly cap (``max_weekly_hours``, weeks Monday to Sunday) across the student's
engagements; no duplicate (engagement, date, description)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lti_tool.actor import Actor
from lti_tool.context import LaunchContext, day_in, today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit
from lti_tool.tenants import get_tenant

from ..models import Engagement, HourLog
from .caps import effective_caps
from .common import week_bounds
from .engagements import EngagementInvalidError, get_engagement_by_id, own_active

MAX_DAY_MINUTES = 12 * 60


def hour_logs(engagement: Engagement) -> list[HourLog]:
    return list(
        db.session.scalars(
            select(HourLog)
            .where(
                HourLog.engagement_id == engagement.id, HourLog.tenant_id == engagement.tenant_id
            )
            .order_by(HourLog.work_date, HourLog.id)
        )
    )


def hours_summary(engagement: Engagement) -> dict[str, float]:
    """Hours by status (confirmed, pending, queried) and the planned total."""
    rows = db.session.execute(
        select(HourLog.status, func.coalesce(func.sum(HourLog.minutes), 0))
        .where(HourLog.engagement_id == engagement.id)
        .group_by(HourLog.status)
    ).all()
    summary = {"confirmed": 0.0, "pending": 0.0, "queried": 0.0}
    summary.update({status: minutes / 60 for status, minutes in rows})
    summary["planned"] = float(engagement.planned_hours)
    return summary


def parse_hours(value: str | float | Decimal) -> int:
    """Minutes from an hours value in quarter hours (``1.5`` → 90); refuses anything else."""
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise EngagementInvalidError("hours", "Give the hours as a number, e.g. 2.5.") from exc
    if not hours.is_finite() or hours <= 0 or hours > 24 or (hours * 4) % 1 != 0:
        raise EngagementInvalidError("hours", "Give the hours in quarter hours, e.g. 1.25 or 3.")
    return int(hours * 60)


def _minutes_on(ctx: LaunchContext, *when: Any, but: int | None = None) -> int:
    """The student's logged minutes (all engagements) where ``when`` holds (without the entry
    ``but``, the one being changed)."""
    if but is not None:
        when = (*when, HourLog.id != but)
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(HourLog.minutes), 0)).where(
                HourLog.tenant_id == ctx.tenant_id,
                HourLog.student_id == ctx.user_id,
                *when,
            )
        )
        or 0
    )


def engagement_days(engagement: Engagement, time_zone: str) -> tuple[dt.date, dt.date | None]:
    """The first and last day hours may be logged on: from the later of the day the
    application was accepted (in the tenant's time zone) and the agreed start, to the agreed
    end (open when none is set)."""
    accepted = day_in(engagement.created_at, time_zone)
    first = max(accepted, engagement.start_date) if engagement.start_date else accepted
    return first, engagement.end_date


def outside_days(engagement: Engagement, work_date: dt.date, time_zone: str) -> str | None:
    """Why a day is outside the engagement (None when inside): shown to the student when they
    log it, and to the supervisor beside an entry made before this rule."""
    first, last = engagement_days(engagement, time_zone)
    if work_date < first:
        return f"before the engagement's first day ({first.strftime('%-d %B %Y')})"
    if last is not None and work_date > last:
        return f"after the engagement's last day ({last.strftime('%-d %B %Y')})"
    return None


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
    return HoursReview(first, last, acknowledged, hour_flags(engagement, logs, time_zone))


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


def _check_engagement_days(ctx: LaunchContext, engagement: Engagement, work_date: dt.date) -> None:
    if engagement.acknowledged_at is None:
        raise EngagementInvalidError(
            "work_date",
            "Acknowledge the learning agreement first: hours count only from then on. It is "
            "at the top of this engagement's page.",
            "not_acknowledged",
        )
    outside = outside_days(engagement, work_date, ctx.time_zone)
    if outside is not None:
        raise EngagementInvalidError(
            "work_date",
            f"{work_date.strftime('%-d %B %Y')} is {outside}: log only days of the engagement. "
            "If the dates are wrong, ask your supervisor or advisor to change the agreement.",
            "outside_engagement",
        )


def _check_entry(work_date: dt.date, text: str, today: dt.date) -> None:
    if work_date > today:
        raise EngagementInvalidError(
            "work_date", "You cannot log hours for a future date.", "future_date"
        )
    if not 3 <= len(text) <= 1000:
        raise EngagementInvalidError("description", "Say what you did (3 to 1,000 characters).")


def _check_day_limit(
    ctx: LaunchContext, work_date: dt.date, minutes: int, but: int | None = None
) -> None:
    day_total = _minutes_on(ctx, HourLog.work_date == work_date, but=but)
    if day_total + minutes > MAX_DAY_MINUTES:
        raise EngagementInvalidError(
            "hours",
            f"That makes {(day_total + minutes) / 60:g} hours on {work_date.isoformat()}; "
            "no day may have more than 12 hours.",
            "day_limit",
        )


def _check_week_limit(
    ctx: LaunchContext,
    engagement: Engagement,
    work_date: dt.date,
    minutes: int,
    but: int | None = None,
) -> None:
    monday, sunday = week_bounds(work_date)
    week_total = _minutes_on(ctx, HourLog.work_date.between(monday, sunday), but=but)
    # The course's own cap when its instructor set one, else the tenant's.
    max_week = effective_caps(ctx.tenant_id, engagement.course_id).max_weekly_hours
    if week_total + minutes > max_week * 60:
        raise EngagementInvalidError(
            "hours",
            f"That makes {(week_total + minutes) / 60:g} hours in the week of "
            f"{monday.isoformat()}; the limit is {max_week} hours a week.",
            "week_limit",
        )


def _check_duplicate(
    engagement: Engagement, work_date: dt.date, text: str, but: int | None = None
) -> None:
    duplicate = db.session.scalar(
        select(HourLog.id).where(
            HourLog.engagement_id == engagement.id,
            HourLog.work_date == work_date,
            func.lower(HourLog.description) == text.lower(),
            HourLog.id != (but if but is not None else -1),
        )
    )
    if duplicate is not None:
        raise EngagementInvalidError(
            "description", "You already logged this work on that day.", "duplicate"
        )


def _add_log(
    ctx: LaunchContext, engagement: Engagement, work_date: dt.date, minutes: int, text: str
) -> HourLog:
    log = HourLog(
        tenant_id=ctx.tenant_id,
        engagement_id=engagement.id,
        student_id=ctx.user_id,
        work_date=work_date,
        minutes=minutes,
        description=text,
    )
    try:
        with db.session.begin_nested():
            db.session.add(log)
            db.session.flush()
    except IntegrityError as exc:  # the same entry sent twice at once
        raise EngagementInvalidError(
            "description", "You already logged this work on that day.", "duplicate"
        ) from exc
    return log


@dataclass
class HourEntry:
    """An hour entry as the student gives it (``answer``: to a query, when changing one)."""

    work_date: dt.date
    hours: str | float | Decimal
    description: str
    answer: str = ""


def log_hours(
    ctx: LaunchContext,
    engagement_id: int,
    work_date: dt.date,
    hours: str | float | Decimal,
    description: str,
    today: dt.date | None = None,
) -> HourLog:
    """The student logs hours worked on a day: not in the future (tenant's time zone), at most
    12 hours a day across engagements, within the weekly cap, and no duplicate entry."""
    engagement = own_active(ctx, engagement_id)
    minutes = parse_hours(hours)
    text = " ".join(description.split())
    _check_entry(work_date, text, today or today_in(ctx.time_zone))
    _check_engagement_days(ctx, engagement, work_date)
    _check_day_limit(ctx, work_date, minutes)
    _check_week_limit(ctx, engagement, work_date, minutes)
    _check_duplicate(engagement, work_date, text)
    return _add_log(ctx, engagement, work_date, minutes, text)


OPEN = ("pending", "queried")


def own_open_log(ctx: LaunchContext, engagement_id: int, log_id: int) -> tuple[Engagement, HourLog]:
    """The student's own entry on their engagement that is still open to change (pending or
    queried); a confirmed entry is the reviewer's word and stays."""
    engagement = own_active(ctx, engagement_id)
    log = db.session.scalar(
        select(HourLog).where(
            HourLog.id == log_id,
            HourLog.engagement_id == engagement.id,
            HourLog.tenant_id == ctx.tenant_id,
            HourLog.student_id == ctx.user_id,
        )
    )
    if log is None:
        raise NotFoundError("That hour entry does not exist.")
    if log.status not in OPEN:
        raise PolicyViolationError(
            "This entry is confirmed, so it can no longer be changed.",
            reason="confirmed",
            hint="If it is wrong, ask whoever confirmed it (your supervisor or instructor).",
        )
    return engagement, log


def edit_hours(
    ctx: LaunchContext,
    engagement_id: int,
    log_id: int,
    entry: HourEntry,
    today: dt.date | None = None,
) -> HourLog:
    """The student changes an open entry under the rules of a new one; a queried entry needs
    their answer to the query and goes back to the reviewer (pending), query and answer kept."""
    engagement, log = own_open_log(ctx, engagement_id, log_id)
    minutes = parse_hours(entry.hours)
    text = " ".join(entry.description.split())
    answer = " ".join(entry.answer.split())
    if log.status == "queried" and not 3 <= len(answer) <= 1000:
        raise EngagementInvalidError(
            "answer", "Answer the query (3 to 1,000 characters): the reviewer reads it."
        )
    _check_entry(entry.work_date, text, today or today_in(ctx.time_zone))
    _check_engagement_days(ctx, engagement, entry.work_date)
    _check_day_limit(ctx, entry.work_date, minutes, but=log.id)
    _check_week_limit(ctx, engagement, entry.work_date, minutes, but=log.id)
    _check_duplicate(engagement, entry.work_date, text, but=log.id)
    answered = log.status == "queried"
    log.work_date, log.minutes, log.description = entry.work_date, minutes, text
    if answered:
        log.answer, log.status = answer, "pending"
    db.session.flush()
    audit.record(
        ctx.actor,
        "hours.edit",
        ctx.tenant_id,
        engagement_id=engagement.id,
        log_id=log.id,
        answered=answered,
    )
    return log


def delete_hours(ctx: LaunchContext, engagement_id: int, log_id: int) -> None:
    """The student deletes an open entry of theirs (a confirmed one stays)."""
    engagement, log = own_open_log(ctx, engagement_id, log_id)
    db.session.delete(log)
    db.session.flush()
    audit.record(
        ctx.actor, "hours.delete", ctx.tenant_id, engagement_id=engagement.id, log_id=log_id
    )


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
