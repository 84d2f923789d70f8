"""Email: every message is stored in ``EmailMessage``; with ``MAIL_SMTP_HOST`` configured it is
also sent through SMTP at once, otherwise the table is the development outbox
(``/s/dev/outbox`` while the sandbox is enabled).

Settings: MAIL_SMTP_HOST, MAIL_SMTP_PORT (587), MAIL_SMTP_USERNAME, MAIL_SMTP_PASSWORD,
MAIL_SMTP_STARTTLS (true), MAIL_FROM (``Career Credit <no-reply@localhost>``)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage as MimeMessage

from flask import current_app

from lti_tool.extensions import db
from lti_tool.models import utcnow

from .models import EmailMessage

log = logging.getLogger("career_credit.mail")


def send_email(
    tenant_id: int | None,
    to: str,
    subject: str,
    body: str,
    *,
    about_user_id: int | None = None,
) -> EmailMessage | None:
    """Store a message and, when SMTP is configured, send it; an empty address sends nothing.
    ``about_user_id``: the student the message is about (their export and erasure find it)."""
    to = to.strip()
    if not to:
        return None
    cfg = current_app.config
    host = cfg.get("MAIL_SMTP_HOST") or ""
    message = EmailMessage(
        tenant_id=tenant_id,
        subject_user_id=about_user_id,
        to_address=to[:320],
        subject=subject[:300],
        body=body,
        transport="smtp" if host else "outbox",
    )
    db.session.add(message)
    if host:
        try:
            _smtp_send(host, to, subject, body)
            message.sent_at = utcnow()
        except (OSError, smtplib.SMTPException) as exc:
            # A mail server that is down must not undo the change that caused the message.
            log.warning("SMTP delivery to %s failed: %s", to, exc)
            message.error = str(exc)[:2000]
    db.session.flush()
    return message


def _smtp_send(host: str, to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    mime = MimeMessage()
    mime["From"] = cfg.get("MAIL_FROM") or "Career Credit <no-reply@localhost>"
    mime["To"] = to
    mime["Subject"] = subject
    mime.set_content(body)
    port = int(cfg.get("MAIL_SMTP_PORT") or 587)
    timeout = float(cfg.get("HTTP_TIMEOUT_S", 10.0))
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if str(cfg.get("MAIL_SMTP_STARTTLS", True)).lower() not in ("0", "false", "no"):
            smtp.starttls()
        if cfg.get("MAIL_SMTP_USERNAME"):
            smtp.login(cfg["MAIL_SMTP_USERNAME"], cfg.get("MAIL_SMTP_PASSWORD") or "")
        smtp.send_message(mime)


def outbox_for_tenant(tenant_id: int, limit: int = 200) -> list[EmailMessage]:
    """The development outbox of one tenant, newest first: the page that lists it needs a
    launch and shows only the launch's tenant's mail (never another institution's)."""
    from sqlalchemy import select

    return list(
        db.session.scalars(
            select(EmailMessage)
            .where(EmailMessage.tenant_id == tenant_id)
            .order_by(EmailMessage.id.desc())
            .limit(limit)
        )
    )
