"""The batched emails about new messages: whoever has not read a message gets it by email
(the student, the supervisor, the faculty members and advisors who joined), at most one email
per person per engagement per hour, never the same message twice, a tick run twice sends
once; the supervisor's email carries a working workspace link, a launched person's names the
course and the engagement."""

from __future__ import annotations

import datetime as dt
import re
import threading

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from internships.work.models import Engagement
from internships.workspace.messages.emails import send_message_emails
from internships.workspace.messages.models import MessageEmailBatch
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.models import EmailMessage
from tests.internships.work.helpers import engaged

from .helpers import post, public_client, supervisor_path, supervisor_post

MINUTES = dt.timedelta(minutes=1)


def _emails_since(app, last_id: int, tenant_id: int) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(EmailMessage.to_address, EmailMessage.subject, EmailMessage.body)
            .where(
                EmailMessage.id > last_id,
                EmailMessage.tenant_id == tenant_id,
                EmailMessage.subject.contains("about “"),
            )
            .order_by(EmailMessage.id)
        ).all()
    return [tuple(r) for r in rows]


def _last_email_id(app) -> int:
    with app.app_context():
        return int(db.session.scalar(select(EmailMessage.id).order_by(EmailMessage.id.desc())) or 0)


def _tick(app, now: dt.datetime, tenant_id: int) -> int:
    with app.app_context():
        return send_message_emails(now=now, tenant_id=tenant_id)


def test_emails_are_batched_hourly_and_sent_once(app, world):
    engagement_id = engaged(app, world)
    tenant = world["school"].tenant_id
    student, advisor, faculty = world["student"], world["advisor"], world["faculty"]
    with app.app_context():
        t0 = utcnow()
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        supervisor_email, course = engagement.supervisor_email, engagement.course.title
        student_email = engagement.student.email
    # the faculty member follows first (opening the page later would read the messages)
    assert post(faculty, engagement_id, "", form="messages.follow").status_code == 303
    assert post(student, engagement_id, "M1 from the student").status_code == 303
    assert post(advisor, engagement_id, "M2 from the advisor").status_code == 303
    start = _last_email_id(app)

    assert _tick(app, t0, tenant) == 0  # too fresh: whoever is on the page reads it there
    assert _tick(app, t0 + 6 * MINUTES, tenant) == 3, _emails_since(app, start, tenant)
    sent = _emails_since(app, start, tenant)
    by_address = {to: body for to, _subject, body in sent}
    assert set(by_address) == {student_email, supervisor_email, f"{faculty.sub}@example.edu"}
    assert "M2 from the advisor" in by_address[student_email]
    assert "M1 from the student" not in by_address[student_email]  # their own
    assert "1 new message" in by_address[student_email]
    assert f"open Career Credit from your course “{course}”" in by_address[student_email]
    assert "M1 from the student" in by_address[supervisor_email]
    assert "M2 from the advisor" in by_address[supervisor_email]
    assert "2 new messages" in by_address[supervisor_email]
    assert "M1 from the student" in by_address[f"{faculty.sub}@example.edu"]
    # the advisor wrote M2 after M1: they had read everything, so no email

    link = re.search(r"https?://[^\s]+(/workspace/[^\s]+)", by_address[supervisor_email])
    assert link, by_address[supervisor_email]
    browser = public_client(app)
    assert "M2 from the advisor" in browser.get(link.group(1)).get_data(as_text=True)

    mark = _last_email_id(app)
    assert _tick(app, t0 + 6 * MINUTES, tenant) == 0  # the same tick again: nothing twice
    assert _tick(app, t0 + 7 * MINUTES, tenant) == 0
    assert _emails_since(app, mark, tenant) == []

    assert supervisor_post(browser, link.group(1), "M3 from the supervisor").status_code == 303
    # within the hour of their last email the student and the faculty member wait; the
    # advisor had none yet
    assert _tick(app, t0 + 12 * MINUTES, tenant) == 1
    advised = _emails_since(app, mark, tenant)
    assert [to for to, _s, _b in advised] == [f"{advisor.sub}@example.edu"]
    assert "open Career Credit from the career center's link" in advised[0][2]
    mark = _last_email_id(app)
    assert _tick(app, t0 + 67 * MINUTES, tenant) == 2
    later = {to: body for to, _s, body in _emails_since(app, mark, tenant)}
    assert set(later) == {student_email, f"{faculty.sub}@example.edu"}
    assert "M3 from the supervisor" in later[student_email]
    assert "M2 from the advisor" not in later[student_email]
    with app.app_context():
        batches = dict(
            db.session.execute(
                select(MessageEmailBatch.recipient, MessageEmailBatch.batches).where(
                    MessageEmailBatch.engagement_id == engagement_id
                )
            ).all()
        )
        student_key = f"user:{student.user_id}"
    assert batches[f"supervisor:{supervisor_email.lower()}"] == 1
    assert batches[student_key] == 2


def test_a_message_read_before_the_tick_is_not_emailed(app, world):
    engagement_id = engaged(app, world)
    tenant = world["school"].tenant_id
    student = world["student"]
    with app.app_context():
        t0 = utcnow()
    browser = public_client(app)
    path = supervisor_path(app, engagement_id)
    assert supervisor_post(browser, path, "Read me on the page").status_code == 303
    student.client.get(f"/work/engagements/{engagement_id}?lid={student.lid}")  # reads it
    start = _last_email_id(app)
    assert _tick(app, t0 + 10 * MINUTES, tenant) == 0
    assert _emails_since(app, start, tenant) == []


def test_two_ticks_at_once_send_each_email_once(app, world):
    """Threads started on a barrier, each with its own connection and real commits: a
    recipient's batch is claimed by one of them (PostgreSQL in CI, SQLite's single writer
    here)."""
    engagement_id = engaged(app, world)
    tenant = world["school"].tenant_id
    assert post(world["student"], engagement_id, "Racing message").status_code == 303
    with app.app_context():
        now = utcnow() + 10 * MINUTES
        supervisor_email = db.session.get(Engagement, engagement_id).supervisor_email
    start = _last_email_id(app)
    barrier = threading.Barrier(2)
    sent: list[int] = []
    lock = threading.Lock()

    def tick() -> None:
        with app.app_context():
            barrier.wait()
            try:
                count = send_message_emails(now=now, tenant_id=tenant)
            except OperationalError:  # SQLite: the other writer held the database
                db.session.rollback()
                count = 0
            finally:
                db.session.remove()
            with lock:
                sent.append(count)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(sent) == 2 and sum(sent) <= 1
    assert _tick(app, now, tenant) == 1 - sum(sent)  # whatever a refused writer left, once
    assert [to for to, _s, _b in _emails_since(app, start, tenant)] == [supervisor_email]
