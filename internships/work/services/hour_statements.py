"""The statements of an hour entry, built once (``hours``): the checks' figures of a changed
entry, the one read of a new entry (the engagement with those figures) and its insert."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, func, select, true
from sqlalchemy.dialects import postgresql, sqlite

from ..models import CourseWorkloadCap, Engagement, EngagementReopening, HourLog


def _limit_columns(course_id: Any) -> tuple[Any, ...]:
    """The student's minutes on the day and in its week (every engagement of theirs) and
    whether this engagement has the same entry on that day, with the course's own weekly cap
    (NULL when it has none: the tenant's applies); a request binds ``day`` and ``text``."""
    day = HourLog.work_date == bindparam("day", type_=Date)
    same = and_(
        day,
        HourLog.engagement_id == bindparam("engagement_id"),
        func.lower(HourLog.description) == bindparam("text"),
    )
    return (
        func.coalesce(func.sum(case((day, HourLog.minutes), else_=0)), 0).label("day_total"),
        func.coalesce(func.sum(HourLog.minutes), 0).label("week_total"),
        func.count(case((same, HourLog.id))).label("same"),
        select(CourseWorkloadCap.max_weekly_hours)
        .where(
            CourseWorkloadCap.tenant_id == bindparam("tenant_id"),
            CourseWorkloadCap.course_id == course_id,
        )
        .scalar_subquery(),
    )


def _week_of_student() -> tuple[Any, ...]:
    return (
        HourLog.tenant_id == bindparam("tenant_id"),
        HourLog.student_id == bindparam("student_id"),
        HourLog.work_date.between(bindparam("monday", type_=Date), bindparam("sunday", type_=Date)),
    )


@functools.cache
def limits_statement() -> Any:
    """The three checks of a changed entry (``_limit_columns``, without the entry itself) in
    one statement, built once (a request binds ``tenant_id``, ``student_id``,
    ``engagement_id``, ``day``, ``monday``, ``sunday``, ``text``, ``but`` and ``course_id``)."""
    *figures, cap = _limit_columns(bindparam("course_id"))
    return select(*figures, cap).where(*_week_of_student(), HourLog.id != bindparam("but"))


@functools.cache
def entry_statement() -> Any:
    """A new entry's one read, built once: the engagement alone (the POST shows none of its
    listing, employer, student or course), whether a request for changes reopened its hours,
    and the checks' figures (``_limit_columns``, its course's cap)."""
    *figures, cap = _limit_columns(Engagement.course_id)
    week = select(*figures).where(*_week_of_student()).subquery()
    reopened = (
        select(EngagementReopening.id)
        .where(
            EngagementReopening.tenant_id == bindparam("tenant_id"),
            EngagementReopening.engagement_id == Engagement.id,
            EngagementReopening.closed_at.is_(None),
            EngagementReopening.kind == "hours",
        )
        .exists()
    )
    return (
        select(Engagement, week.c.day_total, week.c.week_total, week.c.same, cap, reopened)
        .join_from(Engagement, week, true())
        .where(
            Engagement.id == bindparam("engagement_id"),
            Engagement.tenant_id == bindparam("tenant_id"),
        )
    )


# every column of a new entry (its defaults given, so nothing is read back but its id)
INSERTED = (
    *("tenant_id", "engagement_id", "student_id", "work_date", "minutes", "description"),
    *("status", "review_note", "answer", "created_at"),
)


@functools.cache
def insert_statement(dialect: str) -> Any:
    """``INSERT .. ON CONFLICT DO NOTHING RETURNING id`` on the table, built once per dialect:
    the same entry sent twice at once comes back as no row (no savepoint to catch an error)."""
    table = HourLog.__table__
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in INSERTED})
        .on_conflict_do_nothing(index_elements=["engagement_id", "work_date", "description"])
        .returning(table.c.id)
    )
