"""Reminder emails on the job runner's tick: each kind reaches whom it is for, says what to do
with a link that works, goes through the outbox, and is sent once however often the tick
runs (a unique record per kind, subject, recipient and period)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from internships.work.models import Engagement, HourLog
from internships.workspace.plan.models import Milestone
from internships.workspace.rhythm.models import CheckIn, Reminder
from lti_tool.extensions import db
from lti_tool.jobs.models import OutboxMessage
from lti_tool.models import User
from lti_tool.notify.models import EmailMessage
from tests.internships.test_mail_outbox import smtp  # noqa: F401 - the SMTP sink fixture
from tests.internships.work.helpers import engaged, public_client

from .helpers import days_ago, emails_to, post_checkin, set_engagement, tick


def _addresses(app, engagement_id: int) -> tuple[str, str]:
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        student = db.session.get(User, engagement.student_id)
        assert student is not None and student.email
        return student.email, engagement.supervisor_email


def _reminders(app, engagement_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (str(k), str(r))
            for k, r in db.session.execute(
                select(Reminder.kind, Reminder.recipient)
                .where(Reminder.engagement_id == engagement_id)
                .order_by(Reminder.id)
            ).all()
        ]


def test_the_agreement_reminder_goes_once_to_the_student(app, world):
    engagement_id = engaged(app, world, ready=False)
    set_engagement(app, engagement_id, created_at=days_ago(4))
    student, supervisor = _addresses(app, engagement_id)
    tick(app)
    tick(app)  # a second tick sends nothing more
    [(_subject, body)] = [
        m
        for m in emails_to(app, world["school"].tenant_id, student)
        if "accept your learning" in m[0]
    ]
    assert "What to do:" in body and f"/work/engagements/{engagement_id}" in body
    assert emails_to(app, world["school"].tenant_id, supervisor) == []
    assert _reminders(app, engagement_id) == [("agreement", "student")]


def test_a_fresh_agreement_is_not_reminded_yet(app, world):
    engagement_id = engaged(app, world, ready=False)
    student, _ = _addresses(app, engagement_id)
    tick(app)
    assert not [
        m
        for m in emails_to(app, world["school"].tenant_id, student)
        if "accept your learning" in m[0]
    ]
    assert _reminders(app, engagement_id) == []


def test_unconfirmed_hours_remind_the_supervisor_with_a_fresh_confirm_link(app, world):
    engagement_id = engaged(app, world)
    _, supervisor = _addresses(app, engagement_id)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        db.session.add(
            HourLog(
                tenant_id=engagement.tenant_id,
                engagement_id=engagement_id,
                student_id=engagement.student_id,
                work_date=dt.date.today() - dt.timedelta(days=6),
                minutes=180,
                description="Survey design",
                created_at=days_ago(6),
            )
        )
        db.session.commit()
    before = len(emails_to(app, world["school"].tenant_id, supervisor))
    tick(app)
    tick(app)
    [(subject, body)] = emails_to(app, world["school"].tenant_id, supervisor)[before:]
    assert "wait for your confirmation" in subject and "What to do:" in body
    path = "/supervisor/hours/" + body.split("/supervisor/hours/", 1)[1].split()[0]
    page = public_client(app).get(path)
    assert page.status_code == 200 and "Survey design" in page.get_data(as_text=True)
    assert ("hours", "supervisor") in _reminders(app, engagement_id)


def test_a_milestone_due_tomorrow_reminds_the_student_and_the_supervisor(app, world):
    engagement_id = engaged(app, world)
    student, supervisor = _addresses(app, engagement_id)
    with app.app_context():
        engagement = db.session.get(Engagement, engagement_id)
        assert engagement is not None
        for title, due in (("Survey draft", 1), ("Final report", 9)):
            db.session.add(
                Milestone(
                    tenant_id=engagement.tenant_id,
                    engagement_id=engagement_id,
                    title=title,
                    due_date=dt.datetime.now(dt.UTC).date() + dt.timedelta(days=due),
                )
            )
        db.session.commit()
    tick(app)
    tick(app)
    [(subject, body)] = [
        m for m in emails_to(app, world["school"].tenant_id, student) if "due tomorrow" in m[0]
    ]
    assert "“Survey draft”" in subject and "Final report" not in body
    [(subject, body)] = [
        m for m in emails_to(app, world["school"].tenant_id, supervisor) if "due tomorrow" in m[0]
    ]
    assert "Survey draft" in subject
    path = "/workspace/" + body.split("/workspace/", 1)[1].split()[0]
    page = public_client(app).get(path)
    assert page.status_code == 200 and "Weekly check-ins" in page.get_data(as_text=True)


def test_no_activity_reminds_both_and_a_check_in_counts_as_activity(app, world):
    engagement_id = engaged(app, world)
    set_engagement(app, engagement_id, created_at=days_ago(30), start_date=None)
    student, supervisor = _addresses(app, engagement_id)
    assert post_checkin(world["student"], engagement_id).status_code == 303
    tick(app)
    assert not [
        m
        for m in emails_to(app, world["school"].tenant_id, student)
        if "nothing has happened" in m[0]
    ]
    with app.app_context():  # the check-in was long ago: nothing since
        for row in db.session.scalars(
            select(CheckIn).where(CheckIn.engagement_id == engagement_id)
        ):
            row.updated_at = days_ago(15)
        db.session.commit()
    tick(app)
    tick(app)
    assert (
        len(
            [
                m
                for m in emails_to(app, world["school"].tenant_id, student)
                if "nothing has happened" in m[0]
            ]
        )
        == 1
    )
    [(_subject, body)] = [
        m for m in emails_to(app, world["school"].tenant_id, supervisor) if "no activity" in m[0]
    ]
    assert "What to do:" in body and "/workspace/" in body


def test_reminders_go_through_the_outbox_and_are_delivered(app, world, smtp):  # noqa: F811
    from lti_tool.jobs import drain

    engagement_id = engaged(app, world, ready=False)
    set_engagement(app, engagement_id, created_at=days_ago(4))
    student, _ = _addresses(app, engagement_id)
    tick(app)
    with app.app_context():
        message_id, sent_at = db.session.execute(
            select(EmailMessage.id, EmailMessage.sent_at).where(
                EmailMessage.tenant_id == world["school"].tenant_id,
                EmailMessage.to_address == student,
                EmailMessage.subject.like("%accept your learning agreement%"),
            )
        ).one()
        queued = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.kind == "email", OutboxMessage.source == f"email:{message_id}"
            )
        )
    assert queued == 1 and sent_at is None  # queued in the tick's transaction, not sent
    drain(app)  # the job runner delivers it
    with app.app_context():
        assert db.session.get(EmailMessage, message_id).sent_at is not None
    assert any(
        f"To: {student}" in m and "accept your learning agreement" in m for m in smtp.messages
    )
