"""Statements the engagement page and the student's home read (issue 16): the engagement comes
with what its page shows, the hours summary adds up the logs the page has, and the statements
built once per process still bind each request's tenant, person and engagement."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from internships.work.models import HourLog
from internships.work.services import engagements as svc
from internships.work.services import evaluations, hours, reopenings, timeline
from internships.workspace.messages.models import MessageRead, WorkspaceMessage
from internships.workspace.messages.services import user_key
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from tests.helpers import counted

from .helpers import accept, ready_to_log

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def setup(app, school, seed_listing):
    people = {"student": school.person("student"), "other": school.person("student")}
    listing_id = seed_listing(school.tenant_id)
    with app.app_context():
        ctx = {name: person.ctx() for name, person in people.items()}
        engagement = accept(ctx["student"], listing_id)
        ready_to_log(ctx["student"], engagement)
        hours.log_hours(ctx["student"], engagement.id, MONDAY, 2, "Survey", today=MONDAY)
        hours.log_hours(ctx["student"], engagement.id, MONDAY, 1.5, "Analysis", today=MONDAY)
        db.session.flush()
        yield ctx, engagement


def test_engagement_comes_with_its_listing_employer_student_and_course(setup):
    ctx, engagement = setup
    course_id, engagement_id = engagement.course_id, engagement.id
    db.session.expunge_all()
    with counted() as seen:
        loaded = svc.get_engagement(ctx["student"], engagement_id)
        shown = (loaded.listing.employer.name, loaded.student.name, loaded.course)
    assert len(seen) == 1
    assert course_id is not None and shown[2] is not None and shown[2].id == course_id
    with pytest.raises(NotFoundError):  # the statement is shared; the launch still decides
        svc.get_engagement(ctx["other"], engagement_id)


def test_hours_summary_from_the_page_logs_reads_nothing_and_agrees(setup):
    _, engagement = setup
    logs = hours.hour_logs(engagement)
    assert [log.minutes for log in logs] == [120, 90]
    with counted() as seen:
        summary = hours.hours_summary(engagement, logs)
    assert seen == []
    assert summary == hours.hours_summary(engagement)
    assert summary["pending"] == 3.5 and summary["confirmed"] == 0


def test_shared_statements_bind_each_engagement(setup):
    ctx, engagement = setup
    other = ctx["other"]
    assert hours.hour_logs(engagement) and svc.deliverables(engagement) == []
    assert reopenings.open_reopenings(engagement) == []
    assert reopenings.open_reopenings(engagement, "hours") == []
    work = timeline.student_work(ctx["student"], MONDAY)
    (facts,) = work.engagements
    assert facts.id == engagement.id and facts.pending_minutes == 210
    assert facts.week_minutes == 210
    next_week = timeline.student_work(ctx["student"], MONDAY + dt.timedelta(days=7))
    assert next_week.engagements[0].week_minutes == 0
    assert (work.applications, work.waiting) == (1, 0)
    nothing = timeline.student_work(other, MONDAY)
    assert (nothing.engagements, nothing.applications, nothing.waiting) == ([], 0, 0)


def test_a_transaction_reads_an_engagement_rows_once_and_afresh_after_any_change(setup):
    ctx, engagement = setup
    first = hours.hour_logs(engagement)
    with counted() as seen:
        again = hours.hour_logs(engagement)
        assert again == first and again is not first  # a copy: the caller may change its own
        assert evaluations.evaluation_of(engagement) is evaluations.evaluation_of(engagement)
    assert len(seen) == 1  # the evaluation once; the hour logs not again
    added = hours.log_hours(ctx["student"], engagement.id, MONDAY, 1, "Write-up", today=MONDAY)
    assert added in hours.hour_logs(engagement)  # the flush forgot what was read
    db.session.execute(
        update(HourLog).where(HourLog.id == added.id).values(minutes=45),
        execution_options={"synchronize_session": "fetch"},
    )
    assert [log.minutes for log in hours.hour_logs(engagement)] == [120, 90, 45]
    pending = HourLog(
        tenant_id=engagement.tenant_id,
        engagement_id=engagement.id,
        student_id=ctx["student"].user_id,
        work_date=MONDAY,
        minutes=15,
        description="Pending in the session",
    )
    db.session.add(pending)  # not flushed: a read writes it first and sees it
    assert pending in hours.hour_logs(engagement)
    hours.hour_logs(engagement)
    db.session.begin_nested().rollback()
    with counted() as seen:
        hours.hour_logs(engagement)
    assert len(seen) == 1  # after a transaction or savepoint ends, read afresh


@pytest.fixture
def second_listing(school, seed_listing):
    """A second listing, seeded (and committed) before ``setup`` writes."""
    return seed_listing(school.tenant_id)


def test_home_counts_each_engagement_unread_messages_against_its_own_read_mark(
    second_listing, setup
):
    """The read mark is the engagement's own: with marks in two conversations the home's
    statement counts each against its mark (an uncorrelated mark read every conversation's,
    several rows for one value: an error on PostgreSQL, a wrong count on SQLite)."""
    ctx, first = setup
    student = ctx["student"]
    second = accept(student, second_listing)
    ids = {"tenant_id": first.tenant_id}
    for engagement, count in ((first, 3), (second, 5)):
        notes = [
            WorkspaceMessage(**ids, engagement_id=engagement.id, author_kind="supervisor", body="x")
            for _ in range(count)
        ]
        db.session.add_all(notes)
        db.session.flush()
        read_upto = notes[0] if engagement is first else notes[2]  # 2 unread, then 2 unread
        db.session.add(
            MessageRead(
                **ids,
                engagement_id=engagement.id,
                reader=user_key(student.user_id),
                last_read_id=read_upto.id,
            )
        )
    db.session.flush()
    work = timeline.student_work(student, MONDAY)
    unread = {f.id: f.unread_messages for f in work.engagements}
    assert unread == {first.id: 2, second.id: 2}


def test_the_home_s_statements_are_short_enough_for_psycopg_s_cache():
    """psycopg parses a statement longer than 4,096 characters again on every execution
    (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``): the student's work and their credit
    courses stay under it (compiled for PostgreSQL whatever the test database)."""
    from sqlalchemy import create_engine

    from credit.services.progress_statements import their_courses_statement

    dialect = create_engine("postgresql+psycopg://tool@localhost/none").dialect
    room = 64  # for the expanding IN lists' placeholders (the open statuses: two)
    for statement in (timeline._work_statement("postgresql"), their_courses_statement()):
        text = str(statement.compile(dialect=dialect))
        assert len(text) + room <= 4096, len(text)
