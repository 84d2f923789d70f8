"""Email: every message is stored in ``EmailMessage``. With ``MAIL_SMTP_HOST`` configured it is
also queued for delivery in the core's outbox (kind ``email``), in the caller's transaction: the
job runner or a Celery worker talks SMTP, never the request, and retries a mail server that is
down or slow with the outbox's backoff. A change that is rolled back sends nothing. Without
SMTP, the table is the development outbox (the sandbox's ``/sandbox/outbox`` page).

The ``EmailMessage`` row stays the record: ``sent_at`` once the server took the message,
``error`` with the last failure (and which attempt it was); the outbox row carries the delivery
state (attempts, next attempt, failed after the last one). Its payload names only the
message's id and creation time: erasing the message before delivery leaves nothing to send.

Settings: MAIL_SMTP_HOST, MAIL_SMTP_PORT (587), MAIL_SMTP_USERNAME, MAIL_SMTP_PASSWORD,
MAIL_SMTP_STARTTLS (true), MAIL_SMTP_TIMEOUT_S (HTTP_TIMEOUT_S, 10), MAIL_FROM
(``Career Credit <no-reply@localhost>``)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage as MimeMessage

from flask import current_app
from sqlalchemy import insert, select, update

from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.models import Registration, utcnow
from lti_tool.unit_of_work import end_reads

from .models import EmailMessage

log = logging.getLogger("career_credit.mail")

KIND = "email"


def send_email(
    tenant_id: int | None,
    to: str,
    subject: str,
    body: str,
    *,
    about_user_id: int | None = None,
) -> EmailMessage | None:
    """Store a message and, when SMTP is configured, queue its delivery in the caller's
    transaction (flush only; the runner sends it after the commit); an empty address sends
    nothing. ``about_user_id``: the student the message is about (their export and erasure
    find it)."""
    to = to.strip()
    if not to:
        return None
    host = current_app.config["MAIL_SMTP_HOST"]
    message = EmailMessage(
        tenant_id=tenant_id,
        subject_user_id=about_user_id,
        to_address=to[:320],
        subject=subject[:300],
        body=body,
        transport="smtp" if host else "outbox",
        created_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    if host:
        if tenant_id is None:  # every outbox row belongs to an institution
            message.error = "Not sent: the message belongs to no institution."
            log.warning("email %d not queued: no tenant", message.id)
        else:
            jobs.enqueue(
                tenant_id=tenant_id,
                registration_id=None,
                kind=KIND,
                # The id and the creation time: SQLite reuses the id of a deleted (erased)
                # message, and a delivery must never send a newer message in its place.
                payload={"email_message_id": message.id, "created": _stamp(message)},
                source=f"email:{message.id}",
            )
    return message


def send_emails(tenant_id: int, messages: Sequence[tuple[str, str, str, int | None]]) -> int:
    """``send_email`` for many messages of one tenant at once (the workspace's reminders): one
    INSERT per batch of messages and, with SMTP, one per batch of their outbox rows
    (``jobs.enqueue_many``); flush only. Each message: (to, subject, body, about_user_id); an
    empty address sends nothing. Returns how many were stored."""
    host = current_app.config["MAIL_SMTP_HOST"]
    now = utcnow()
    rows = [
        {
            "tenant_id": tenant_id,
            "subject_user_id": about,
            "to_address": to.strip()[:320],
            "subject": subject[:300],
            "body": body,
            "transport": "smtp" if host else "outbox",
            "created_at": now,
        }
        for to, subject, body, about in messages
        if to.strip()
    ]
    if not rows:
        return 0
    ids = db.session.scalars(
        insert(EmailMessage).returning(EmailMessage.id, sort_by_parameter_order=True), rows
    ).all()
    if host:
        stamp = now.isoformat()  # as ``_stamp`` reads it back
        jobs.enqueue_many(
            [
                jobs.NewMessage(
                    tenant_id=tenant_id,
                    registration_id=None,
                    kind=KIND,
                    payload={"email_message_id": row_id, "created": stamp},
                    source=f"email:{row_id}",
                )
                for row_id in ids
            ]
        )
    return len(ids)


def deliver(msg: jobs.Message, reg: Registration | None = None) -> jobs.Outcome:
    """The outbox sender of ``email`` messages: one SMTP conversation, the result written to
    the ``EmailMessage`` row (committed at once, whatever happens to the rest of the batch).
    A refused recipient fails for good; anything else (server down, slow, 4xx, login refused)
    is retried with the outbox's backoff."""
    email = db.session.scalar(
        select(EmailMessage).where(
            EmailMessage.id == msg.payload.get("email_message_id"),
            EmailMessage.tenant_id == msg.tenant_id,
        )
    )
    if email is None or _stamp(email) != msg.payload.get("created"):
        db.session.rollback()
        return jobs.Outcome(jobs.SUPERSEDED, message="The message was erased before it was sent.")
    if email.sent_at is not None:  # sent before a crash lost the outcome: never send twice
        db.session.rollback()
        return jobs.Outcome(jobs.SENT)
    row_id, to, subject, body = email.id, email.to_address, email.subject, email.body
    end_reads()  # no transaction held open across the SMTP conversation
    try:
        _smtp_send(to, subject, body)
    except smtplib.SMTPRecipientsRefused as exc:
        return _failed(msg, row_id, jobs.FAILED, _reason(exc))
    except (OSError, smtplib.SMTPException) as exc:
        return _failed(msg, row_id, jobs.RETRY, _reason(exc))
    _store(row_id, sent_at=utcnow(), error="")
    return jobs.Outcome(jobs.SENT)


def _stamp(email: EmailMessage) -> str:
    return email.created_at.isoformat()


def _failed(msg: jobs.Message, row_id: int, result: str, reason: str) -> jobs.Outcome:
    # The message id only: the address is personal data and stays out of the logs.
    log.warning("email %s: delivery attempt %d failed: %s", row_id, msg.attempts, reason)
    _store(row_id, error=f"Attempt {msg.attempts}: {reason}")
    return jobs.Outcome(result, message=reason)


def _store(row_id: int, **values: object) -> None:
    db.session.execute(update(EmailMessage).where(EmailMessage.id == row_id).values(**values))
    db.session.commit()


def _reason(exc: Exception) -> str:
    """What went wrong, in words an operator can act on, without the server's whole answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _ in exc.recipients.values()})
        return f"The mail server refused the recipient ({', '.join(map(str, codes))})."
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"The mail server refused the login ({exc.smtp_code}): check MAIL_SMTP_USERNAME."
    if isinstance(exc, smtplib.SMTPResponseException):
        raw = exc.smtp_error
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return f"The mail server answered {exc.smtp_code}: {text[:200]}"
    if isinstance(exc, TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(exc, OSError):
        return f"The mail server could not be reached ({type(exc).__name__})."
    return f"The SMTP conversation failed ({type(exc).__name__}: {str(exc)[:200]})."


def _smtp_send(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    mime = MimeMessage()
    mime["From"] = cfg["MAIL_FROM"]
    mime["To"] = to
    mime["Subject"] = subject
    mime.set_content(body)
    host = str(cfg["MAIL_SMTP_HOST"])
    if not host:
        raise smtplib.SMTPException("MAIL_SMTP_HOST is not set on this worker")
    port = int(cfg["MAIL_SMTP_PORT"])
    timeout = float(cfg["MAIL_SMTP_TIMEOUT_S"] or cfg["HTTP_TIMEOUT_S"])
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if str(cfg["MAIL_SMTP_STARTTLS"]).lower() not in ("0", "false", "no"):
            smtp.starttls()
        if cfg["MAIL_SMTP_USERNAME"]:
            smtp.login(cfg["MAIL_SMTP_USERNAME"], cfg["MAIL_SMTP_PASSWORD"])
        smtp.send_message(mime)


def outbox_for_tenant(tenant_id: int, limit: int = 200) -> list[EmailMessage]:
    """The development outbox of one tenant, newest first: the page that lists it needs a
    launch and shows only the launch's tenant's mail (never another institution's)."""
    return list(
        db.session.scalars(
            select(EmailMessage)
            .where(EmailMessage.tenant_id == tenant_id)
            .order_by(EmailMessage.id.desc())
            .limit(limit)
        )
    )
