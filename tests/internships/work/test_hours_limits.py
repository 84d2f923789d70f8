"""The three checks of a new or changed hour entry (12 hours a day across the student's
engagements, the week's cap, the same work twice on a day) read in one statement, and still
right: every engagement of the student counts, and a changed entry does not count itself."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, event
from sqlalchemy.dialects import postgresql

from internships.work.models import CourseWorkloadCap
from internships.work.services import hour_statements, hours
from internships.work.services.engagements import EngagementInvalidError
from lti_tool.extensions import db
from tests.helpers import counted

from .helpers import accept, ready_to_log

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def two(app, school, seed_listing):
    student = school.person("student")
    first, second = seed_listing(school.tenant_id), seed_listing(school.tenant_id)
    with app.app_context():
        ctx = student.ctx()
        engagements = [ready_to_log(ctx, accept(ctx, listing)) for listing in (first, second)]
        yield ctx, engagements


def _hour_log_reads(fn) -> int:
    reads: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM hour_log" in statement:
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return len(reads)


def test_a_new_entry_is_checked_with_one_read_of_the_hour_logs(two):
    ctx, (engagement, _) = two
    reads = _hour_log_reads(
        lambda: hours.log_hours(ctx, engagement.id, MONDAY, 2, "Interviews", today=MONDAY)
    )
    assert reads == 1


def test_every_engagement_of_the_student_counts_toward_the_day(two):
    ctx, (first, second) = two
    hours.log_hours(ctx, first.id, MONDAY, 8, "Interviews", today=MONDAY)
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(ctx, second.id, MONDAY, 4.25, "Report", today=MONDAY)
    assert exc.value.reason == "day_limit"
    # the same words on another engagement are not a duplicate
    assert hours.log_hours(ctx, second.id, MONDAY, 4, "interviews", today=MONDAY).minutes == 240


def test_a_changed_entry_does_not_count_itself(two):
    ctx, (engagement, _) = two
    log = hours.log_hours(ctx, engagement.id, MONDAY, 8, "Interviews", today=MONDAY)
    entry = hours.HourEntry(work_date=MONDAY, hours=12, description="Interviews")
    changed = hours.edit_hours(ctx, engagement.id, log.id, entry, today=MONDAY)
    assert changed.minutes == 720  # 12 hours: its own 8 are not added, nor is it a duplicate
    hours.log_hours(ctx, engagement.id, MONDAY - dt.timedelta(days=1), 1, "Notes", today=MONDAY)
    later = hours.HourEntry(work_date=MONDAY - dt.timedelta(days=1), hours=1, description="notes")
    with pytest.raises(EngagementInvalidError) as exc:
        hours.edit_hours(ctx, engagement.id, log.id, later, today=MONDAY)
    assert exc.value.reason == "duplicate"


def test_the_courses_own_weekly_cap_is_read_with_the_hour_logs(two):
    ctx, (engagement, _) = two
    assert engagement.course_id is not None
    db.session.add(
        CourseWorkloadCap(
            tenant_id=ctx.tenant_id, course_id=engagement.course_id, max_weekly_hours=3
        )
    )
    db.session.flush()
    hours.log_hours(ctx, engagement.id, MONDAY, 2, "Interviews", today=MONDAY)
    tuesday = MONDAY + dt.timedelta(days=1)
    seen: list[str] = []

    def statement(_conn, _cursor, text, *_args) -> None:
        seen.append(text)

    event.listen(db.engine, "before_cursor_execute", statement)
    try:
        with pytest.raises(EngagementInvalidError) as exc:
            hours.log_hours(ctx, engagement.id, tuesday, 1.25, "Report", today=tuesday)
    finally:
        event.remove(db.engine, "before_cursor_execute", statement)
    assert exc.value.reason == "week_limit" and "the limit is 3 hours a week" in str(exc.value)
    caps = [s for s in seen if "course_workload_cap" in s]
    assert caps and all("FROM hour_log" in s for s in caps)  # one statement, not two
    # a course without its own cap: the tenant's applies
    db.session.execute(delete(CourseWorkloadCap))
    assert hours.log_hours(ctx, engagement.id, tuesday, 1.25, "Report", today=tuesday).minutes == 75


def test_a_new_entry_is_one_read_and_one_insert(two):
    # the engagement alone with the checks' figures and whether its hours were reopened; the
    # entry inserted unless it exists (no savepoint around it)
    ctx, (engagement, _) = two
    with counted() as seen:
        log = hours.log_hours(ctx, engagement.id, MONDAY, 2, "Interviews", today=MONDAY)
    assert log.minutes == 120 and log in hours.hour_logs(engagement)
    assert len(seen) == 2, "\n".join(s[:80] for s in seen)
    assert "hour_log" in seen[0] and seen[1].lstrip().upper().startswith("INSERT")
    sql = str(hour_statements.entry_statement().compile(dialect=postgresql.psycopg.dialect()))
    assert len(sql) <= 4096  # psycopg keeps the parse of a statement this short


def test_the_same_entry_sent_twice_at_once_is_refused_and_the_transaction_goes_on(two, monkeypatch):
    ctx, (engagement, _) = two
    hours.log_hours(ctx, engagement.id, MONDAY, 2, "Interviews", today=MONDAY)  # control
    # the second request read before the first wrote: its checks saw no duplicate
    monkeypatch.setattr(hours, "_check_limits", lambda *_args: None)
    with pytest.raises(EngagementInvalidError) as exc:
        hours.log_hours(ctx, engagement.id, MONDAY, 2, "Interviews", today=MONDAY)
    assert exc.value.reason == "duplicate"
    assert [log.description for log in hours.hour_logs(engagement)] == ["Interviews"]
