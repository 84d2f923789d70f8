"""Signed supervisor links (purpose-bound, expiring, single-use, tamper-proof) and email
(development outbox, or SMTP when configured)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select

from internships.supervisor import links
from internships.work.models import SupervisorLink
from lti_tool import jobs
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.models import Tenant
from lti_tool.notify.mail import send_email
from lti_tool.notify.models import EmailMessage


@pytest.fixture
def tenant_id(app_ctx) -> int:
    tenant = Tenant(name="Links U " + dt.datetime.now().isoformat(), settings={})
    db.session.add(tenant)
    db.session.flush()
    return int(tenant.id)


def test_a_link_verifies_for_its_purpose_and_subject_then_is_spent(tenant_id):
    token = links.issue_link(Actor(tenant_id, "advisor"), "evaluate", 42, "sam@acme.example")
    grant = links.verify_link(token, "evaluate")
    assert (grant.tenant_id, grant.purpose, grant.subject_id) == (tenant_id, "evaluate", 42)
    with pytest.raises(links.LinkError) as exc:
        links.verify_link(token, "confirm_hours")  # another purpose's salt
    assert exc.value.reason == "invalid"
    links.mark_used(grant)
    with pytest.raises(links.LinkError) as exc:
        links.verify_link(token, "evaluate")
    assert exc.value.reason == "used"
    with pytest.raises(links.LinkError):
        links.mark_used(grant)  # a second submission racing with the first loses


def test_a_tampered_or_unknown_link_is_invalid(tenant_id):
    token = links.issue_link(Actor(tenant_id, "advisor"), "confirm_hours", 7, "")
    assert links.verify_link(token, "confirm_hours").subject_id == 7  # positive control
    with pytest.raises(links.LinkError) as exc:
        links.verify_link(
            token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "confirm_hours"
        )
    assert exc.value.reason == "invalid"
    db.session.delete(db.session.get(SupervisorLink, links.verify_link(token, "confirm_hours").jti))
    db.session.flush()
    with pytest.raises(links.LinkError) as exc:
        links.verify_link(token, "confirm_hours")
    assert exc.value.reason == "invalid"


def test_links_expire_by_signature_age_and_by_record(app, tenant_id, monkeypatch):
    token = links.issue_link(Actor(tenant_id, "advisor"), "evaluate", 1, "")
    import itsdangerous.timed

    later = itsdangerous.timed.time.time() + 15 * 86400
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    with pytest.raises(links.LinkError) as exc:
        links.verify_link(token, "evaluate")
    assert exc.value.reason == "expired"
    assert links.link_tenant(token) == tenant_id  # still tells whom to ask
    monkeypatch.undo()
    row = db.session.scalars(
        select(SupervisorLink).where(
            SupervisorLink.subject_id == 1, SupervisorLink.tenant_id == tenant_id
        )
    )
    row.one().expires_at = dt.datetime(2020, 1, 1)
    with pytest.raises(links.LinkError) as exc:
        links.verify_link(token, "evaluate")
    assert exc.value.reason == "expired"


def test_email_lands_in_the_outbox_without_smtp(tenant_id):
    message = send_email(tenant_id, "sam@acme.example", "Hello", "Body")
    assert message is not None and message.transport == "outbox" and message.sent_at is None
    assert send_email(tenant_id, "  ", "Nobody", "Body") is None


def test_email_goes_through_smtp_when_configured(app, tenant_id, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"], message["Subject"]))

    monkeypatch.setattr("lti_tool.notify.mail.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "smtp.example.edu")
    monkeypatch.setitem(app.config, "MAIL_SMTP_USERNAME", "careers")
    message = send_email(tenant_id, "sam@acme.example", "Please confirm", "Body")
    assert message.transport == "smtp" and message.sent_at is None and sent == []
    db.session.commit()
    jobs.drain(app)  # the outbox delivers it, never the request: see test_mail_outbox.py
    db.session.refresh(message)
    assert message.sent_at is not None
    assert sent == [
        ("connect", "smtp.example.edu", 587),
        ("starttls",),
        ("login", "careers"),
        ("send", "sam@acme.example", "Please confirm"),
    ]


def test_an_smtp_failure_is_recorded_not_raised(app, tenant_id, monkeypatch):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("lti_tool.notify.mail.smtplib.SMTP", refuse)
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "smtp.example.edu")
    message = send_email(tenant_id, "sam@acme.example", "Hello", "Body")
    db.session.commit()
    jobs.drain(app)
    db.session.refresh(message)
    assert message.sent_at is None
    assert message.error.startswith("Attempt 1: The mail server could not be reached")
    # Its retry must not reach another test's drain.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.source == f"email:{message.id}"))
    db.session.commit()
    assert db.session.get(EmailMessage, message.id) is message
