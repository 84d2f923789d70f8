"""Email leaves through the outbox: the request that causes a message stores it and queues its
delivery in the same transaction, and never talks SMTP; the runner (here ``drain``) does,
against a real SMTP conversation with a local server, retrying a server that is down or busy
with the outbox's backoff and giving up on a refused recipient. A rolled-back change sends
nothing. The EmailMessage row stays the record the development outbox page lists."""

from __future__ import annotations

import smtplib
import socket
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_string
from typing import Any

import pytest
from flask import has_request_context
from sqlalchemy import delete, func, select, update

from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.models import Tenant, utcnow
from lti_tool.notify import mail
from lti_tool.notify.mail import send_email
from lti_tool.notify.models import EmailMessage
from tests.internships.work.test_invitations import invite


class SmtpSink(socketserver.ThreadingTCPServer):
    """A minimal SMTP server on 127.0.0.1: ``mode`` is ``accept``, ``busy`` (421 on connect)
    or ``refuse`` (550 for every recipient). It keeps what it was sent."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.mode = "accept"
        self.connections = 0
        self.messages: list[str] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: SmtpSink

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        sink = self.server
        with sink.lock:
            sink.connections += 1
        if sink.mode == "busy":
            self._say("421 4.3.2 Service not available, try again later")
            return
        self._say("220 sink.test ESMTP")
        data: list[str] | None = None
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if data is not None:
                if line == ".":
                    with sink.lock:
                        sink.messages.append("\n".join(data))
                    data = None
                    self._say("250 2.0.0 Queued")
                else:
                    data.append(line[1:] if line.startswith("..") else line)
                continue
            verb = line[:4].upper()
            if verb == "EHLO":
                self._say("250-sink.test")
                self._say("250 8BITMIME")
            elif verb == "RCPT" and sink.mode == "refuse":
                self._say("550 5.1.1 No such mailbox")
            elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                self._say("250 2.0.0 OK")
            elif verb == "DATA":
                self._say("354 End data with <CR><LF>.<CR><LF>")
                data = []
            elif verb == "QUIT":
                self._say("221 2.0.0 Bye")
                return
            else:
                self._say("502 5.5.2 Not implemented")


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[SmtpSink]:
    """The app configured to send through a local SMTP server; every SMTP connection the app
    opens is recorded with whether it happened inside a request."""
    sink = SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", sink.port)
    monkeypatch.setitem(app.config, "MAIL_SMTP_STARTTLS", False)
    opened: list[bool] = []
    real_smtp = smtplib.SMTP

    def spy(*args, **kwargs):
        opened.append(has_request_context())
        return real_smtp(*args, **kwargs)

    monkeypatch.setattr(mail.smtplib, "SMTP", spy)
    sink.opened = opened  # type: ignore[attr-defined]
    with app.app_context():
        before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
        db.session.rollback()
    try:
        yield sink
    finally:
        sink.shutdown()
        sink.server_close()
        with app.app_context():  # nothing of this test is left for another test's drain
            db.session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.id > before,
                    OutboxMessage.kind == mail.KIND,
                    OutboxMessage.status.in_((jobs.PENDING, jobs.SENDING)),
                )
            )
            db.session.commit()


def _email_to(app, address: str) -> tuple[EmailMessage, OutboxMessage]:
    with app.app_context():
        email = db.session.scalars(
            select(EmailMessage)
            .where(EmailMessage.to_address == address)
            .order_by(EmailMessage.id.desc())
        ).first()
        assert email is not None
        outbox = _delivery_of(email)
        db.session.expunge_all()
        return email, outbox


def _delivery_of(email: EmailMessage) -> OutboxMessage:
    """The outbox row that delivers ``email`` (SQLite reuses the ids of deleted messages, so
    the payload's creation time tells an erased message's row from this one's)."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.source == f"email:{email.id}")
        .order_by(OutboxMessage.id.desc())
    ).all()
    mine = [r for r in rows if r.payload.get("created") == email.created_at.isoformat()]
    assert len(mine) == 1, rows
    return mine[0]


def _make_due(app, row_id: int) -> None:
    """The backoff's wait, passed: the row is due now (instead of sleeping through it)."""
    with app.app_context():
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(next_attempt_at=utcnow())
        )
        db.session.commit()


def test_the_request_queues_the_mail_and_the_runner_sends_it(app, school, smtp):
    advisor = school.person("advisor")
    address = f"hr-{school.tenant_id}@northwind.example"
    invite(app, advisor, email=address)  # an HTTP request that sends an email
    # The request made no SMTP connection: the message waits in the outbox.
    assert smtp.connections == 0 and smtp.opened == []
    email, outbox = _email_to(app, address)
    assert email.transport == "smtp" and email.sent_at is None and email.error == ""
    assert outbox.kind == mail.KIND and outbox.status == jobs.PENDING
    assert outbox.registration_id is None and outbox.tenant_id == school.tenant_id
    # no address or text in the queue
    assert outbox.payload == {"email_message_id": email.id, "created": email.created_at.isoformat()}

    stats = jobs.drain(app)
    assert stats.sent >= 1
    assert smtp.opened and not any(smtp.opened)  # SMTP only outside any request
    sent = [message_from_string(m) for m in smtp.messages]
    assert [m["To"] for m in sent] == [address]
    assert sent[0]["Subject"] == email.subject and "/supervisor/listing/" in sent[0].get_payload()
    email, outbox = _email_to(app, address)
    assert email.sent_at is not None and email.error == ""
    assert outbox.status == jobs.SENT and outbox.attempts == 1

    # Delivered once: another drain sends nothing again.
    jobs.drain(app)
    assert len(smtp.messages) == 1


class _MinuteBackoff(jobs.RetryPolicy):
    """The backoff without its jitter: a failed attempt waits a minute. The default's full
    jitter may wait a few milliseconds, and a drain retries a message that came due while it
    ran (a second attempt in one drain, about one run in a hundred on a slow machine)."""

    def delay(self, attempts: int, retry_after_s: float | None, rng: Any) -> float:
        return 60.0


def test_a_busy_or_unreachable_server_is_retried_with_backoff(app, school, smtp):
    advisor = school.person("advisor")
    address = f"retry-{school.tenant_id}@northwind.example"
    smtp.mode = "busy"
    invite(app, advisor, email=address)
    backoff = _MinuteBackoff()
    jobs.drain(app, policy=backoff)
    email, outbox = _email_to(app, address)
    assert smtp.connections == 1 and smtp.messages == []
    assert outbox.status == jobs.PENDING and outbox.attempts == 1
    assert outbox.next_attempt_at >= outbox.updated_at  # waits for its backoff
    assert "421" in (outbox.last_error or "")
    assert email.sent_at is None and email.error.startswith("Attempt 1: ")

    # The server is gone altogether (nothing listens on the port): retried again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    app.config["MAIL_SMTP_PORT"] = closed_port
    _make_due(app, outbox.id)
    jobs.drain(app, policy=backoff)
    email, outbox = _email_to(app, address)
    assert outbox.status == jobs.PENDING and outbox.attempts == 2
    refused = "The mail server could not be reached (ConnectionRefusedError)."
    assert email.error == f"Attempt 2: {refused}"

    # The server is back: the next attempt delivers it.
    app.config["MAIL_SMTP_PORT"] = smtp.port
    smtp.mode = "accept"
    _make_due(app, outbox.id)
    jobs.drain(app)
    email, outbox = _email_to(app, address)
    assert outbox.status == jobs.SENT and outbox.attempts == 3
    assert email.sent_at is not None and email.error == ""
    assert [message_from_string(m)["To"] for m in smtp.messages] == [address]


def test_a_refused_recipient_fails_for_good(app, app_ctx, smtp):
    tenant = Tenant(name=f"Mail U {utcnow().isoformat()}", settings={})
    db.session.add(tenant)
    db.session.flush()
    smtp.mode = "refuse"
    email = send_email(tenant.id, "nobody@example.edu", "Hello", "Body")
    assert email is not None
    db.session.commit()
    jobs.drain(app)
    outbox = _delivery_of(email)
    assert outbox.status == jobs.FAILED and outbox.attempts == 1
    db.session.refresh(email)
    assert email.sent_at is None and "refused the recipient (550)" in email.error
    assert smtp.messages == []
    # A failed email is not a grade that failed to reach the LMS on the advisor's dashboard.
    from accreditation.reports.services import dashboard

    assert jobs.status_counts(tenant.id)[jobs.FAILED] == 1
    assert dashboard.home_counts(tenant.id, None).grades_failed == 0
    assert dashboard.grade_sync_table(tenant.id, "failed").rows == []


def test_a_rolled_back_change_sends_nothing(app, app_ctx, smtp):
    tenant = Tenant(name=f"Rollback U {utcnow().isoformat()}", settings={})
    db.session.add(tenant)
    db.session.commit()
    email = send_email(tenant.id, "rollback@example.edu", "Never", "Body")
    assert email is not None
    email_id = email.id
    db.session.rollback()
    assert db.session.get(EmailMessage, email_id) is None
    assert (
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.source == f"email:{email_id}")
        ).all()
        == []
    )
    jobs.drain(app)
    assert smtp.connections == 0


def test_a_message_erased_before_delivery_is_not_sent(app, app_ctx, smtp):
    tenant = Tenant(name=f"Erased U {utcnow().isoformat()}", settings={})
    db.session.add(tenant)
    db.session.flush()
    email = send_email(tenant.id, "erased@example.edu", "Gone", "Body")
    assert email is not None
    db.session.commit()
    outbox_id = _delivery_of(email).id
    db.session.execute(delete(EmailMessage).where(EmailMessage.id == email.id))
    db.session.commit()
    # SQLite gives the next message the erased one's id: the old delivery must not send it.
    smtp.mode = "busy"  # nothing is delivered during this test
    later = send_email(tenant.id, "someone-else@example.edu", "Newer", "Other body")
    assert later is not None
    db.session.commit()
    jobs.drain(app)
    outbox = db.session.get(OutboxMessage, outbox_id)
    db.session.refresh(outbox)
    assert outbox.status == jobs.SUPERSEDED and "erased" in (outbox.last_error or "")
    assert smtp.messages == []


def test_without_smtp_the_message_stays_in_the_development_outbox(app, app_ctx):
    tenant = Tenant(name=f"Dev U {utcnow().isoformat()}", settings={})
    db.session.add(tenant)
    db.session.flush()
    email = send_email(tenant.id, "dev@example.edu", "Local", "Body")
    assert email is not None and email.transport == "outbox"
    db.session.commit()
    assert mail.outbox_for_tenant(tenant.id) == [email]
    assert (
        db.session.scalars(select(OutboxMessage).where(OutboxMessage.tenant_id == tenant.id)).all()
        == []
    )
