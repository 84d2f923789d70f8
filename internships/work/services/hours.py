"""Hour logs: the student logs, changes or deletes an entry still open to review (the review
itself: ``hour_reviews``).

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

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import make_transient_to_detached

from lti_tool.context import LaunchContext, day_in, today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import Engagement, HourLog
from . import hour_statements, reopenings
from .access import EngagementInvalidError, active_part, own_active, visible
from .caps import caps_of
from .common import week_bounds
from .reads import kept

MAX_DAY_MINUTES = 12 * 60


# built once (every engagement page reads them); a request binds the engagement
_HOUR_LOGS = (
    select(HourLog)
    .where(
        HourLog.engagement_id == bindparam("engagement_id"),
        HourLog.tenant_id == bindparam("tenant_id"),
    )
    .order_by(HourLog.work_date, HourLog.id)
)
_MINUTES_BY_STATUS = (
    select(HourLog.status, func.coalesce(func.sum(HourLog.minutes), 0))
    .where(HourLog.engagement_id == bindparam("engagement_id"))
    .group_by(HourLog.status)
)


def hour_logs(engagement: Engagement) -> list[HourLog]:
    """The engagement's hour logs by day (read once per transaction: ``reads``)."""
    params = {"engagement_id": engagement.id, "tenant_id": engagement.tenant_id}
    return kept("hour_logs", engagement, lambda: list(db.session.scalars(_HOUR_LOGS, params)))


def hours_summary(engagement: Engagement, logs: list[HourLog] | None = None) -> dict[str, float]:
    """Hours by status (confirmed, pending, queried) and the planned total; added up from
    ``logs`` when the caller has the engagement's logs already (no query)."""
    minutes: dict[str, int] = {}
    if logs is None:
        rows = db.session.execute(_MINUTES_BY_STATUS, {"engagement_id": engagement.id})
        minutes.update((status, int(total)) for status, total in rows)
    else:
        for log in logs:
            minutes[log.status] = minutes.get(log.status, 0) + log.minutes
    summary = {"confirmed": 0.0, "pending": 0.0, "queried": 0.0}
    summary.update({status: total / 60 for status, total in minutes.items()})
    summary["planned"] = float(engagement.planned_hours)
    return summary


def parse_hours(value: str | float | Decimal) -> int:
    """Minutes from an hours value in quarter hours (``1.5`` → 90); refuses anything else."""
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise EngagementInvalidError("hours", "Give the hours as a number, e.g. 2.5.") from exc
    if not hours.is_finite():
        raise EngagementInvalidError("hours", "Give the hours as a number, e.g. 2.5.")
    if hours <= 0:
        raise EngagementInvalidError("hours", "Give the hours worked, more than 0, e.g. 2.5.")
    if hours > Decimal(MAX_DAY_MINUTES) / 60:  # compared, not multiplied: 1E+999999 overflows
        raise EngagementInvalidError(
            "hours", f"You can log at most {MAX_DAY_MINUTES // 60} hours a day."
        )
    if (hours * 4) % 1 != 0:
        raise EngagementInvalidError("hours", "Give the hours in quarter hours, e.g. 1.25 or 3.")
    return int(hours * 60)


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


def _limit_params(ctx: LaunchContext, engagement_id: int, work_date: dt.date, text: str) -> dict:
    monday, sunday = week_bounds(work_date)
    return {
        "tenant_id": ctx.tenant_id,
        "student_id": ctx.user_id,
        "engagement_id": engagement_id,
        "day": work_date,
        "monday": monday,
        "sunday": sunday,
        "text": text.lower(),
    }


def _check_limits(
    ctx: LaunchContext, work_date: dt.date, minutes: int, figures: tuple[Any, ...]
) -> None:
    """At most 12 hours a day across engagements, within the week's cap (the course's own when
    its instructor set one, else the tenant's), and not the same work twice on a day
    (``figures``: the day's and the week's minutes, the same entries, the course's cap)."""
    day_total, week_total, same, course_hours = figures
    monday, _ = week_bounds(work_date)
    if day_total + minutes > MAX_DAY_MINUTES:
        raise EngagementInvalidError(
            "hours",
            f"That makes {(day_total + minutes) / 60:g} hours on {work_date.isoformat()}; "
            "no day may have more than 12 hours.",
            "day_limit",
        )
    max_week = caps_of(ctx.tenant_id, None, course_hours).max_weekly_hours
    if week_total + minutes > max_week * 60:
        raise EngagementInvalidError(
            "hours",
            f"That makes {(week_total + minutes) / 60:g} hours in the week of "
            f"{monday.isoformat()}; the limit is {max_week} hours a week.",
            "week_limit",
        )
    if same:
        raise EngagementInvalidError(
            "description", "You already logged this work on that day.", "duplicate"
        )


def _add_log(
    ctx: LaunchContext, engagement: Engagement, work_date: dt.date, minutes: int, text: str
) -> HourLog:
    """The entry written (a row, not the ORM's bulk insert) and held by the session as the
    row it is: every column given, so nothing is read back."""
    values = {
        "tenant_id": ctx.tenant_id,
        "engagement_id": engagement.id,
        "student_id": ctx.user_id,
        "work_date": work_date,
        "minutes": minutes,
        "description": text,
        "status": "pending",
        "review_note": "",
        "answer": "",
        "created_at": utcnow(),
    }
    log_id = db.session.scalar(
        hour_statements.insert_statement(db.session.get_bind().dialect.name), values
    )
    if log_id is None:  # the same entry sent twice at once
        raise EngagementInvalidError(
            "description", "You already logged this work on that day.", "duplicate"
        )
    log = HourLog(id=log_id, reviewed_by=None, reviewed_at=None, **values)
    make_transient_to_detached(log)  # as if read: the session holds it, unchanged
    db.session.add(log)
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
    text = " ".join(description.split())
    params = _limit_params(ctx, engagement_id, work_date, text)
    found = db.session.execute(hour_statements.entry_statement(), params).one_or_none()
    engagement, *figures, reopened = found if found is not None else (None,) * 6
    engagement = active_part(ctx, visible(ctx, engagement), "hours", bool(reopened))
    minutes = parse_hours(hours)
    _check_entry(work_date, text, today or today_in(ctx.time_zone))
    _check_engagement_days(ctx, engagement, work_date)
    _check_limits(ctx, work_date, minutes, tuple(figures))
    log = _add_log(ctx, engagement, work_date, minutes, text)
    if reopened:  # the request for changes that reopened the hours is answered
        reopenings.note_change(engagement, "hours")
    return log


OPEN = ("pending", "queried")


def own_open_log(ctx: LaunchContext, engagement_id: int, log_id: int) -> tuple[Engagement, HourLog]:
    """The student's own entry on their engagement that is still open to change (pending or
    queried); a confirmed entry is the reviewer's word and stays."""
    engagement = own_active(ctx, engagement_id, "hours")
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
    params = _limit_params(ctx, engagement.id, entry.work_date, text)
    params.update(but=log.id, course_id=engagement.course_id)  # None: no course, tenant's cap
    figures = tuple(db.session.execute(hour_statements.limits_statement(), params).one())
    _check_limits(ctx, entry.work_date, minutes, figures)
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
    reopenings.note_change(engagement, "hours")
    return log


def delete_hours(ctx: LaunchContext, engagement_id: int, log_id: int) -> None:
    """The student deletes an open entry of theirs (a confirmed one stays)."""
    engagement, log = own_open_log(ctx, engagement_id, log_id)
    db.session.delete(log)
    db.session.flush()
    reopenings.note_change(engagement, "hours")
    audit.record(
        ctx.actor, "hours.delete", ctx.tenant_id, engagement_id=engagement.id, log_id=log_id
    )
