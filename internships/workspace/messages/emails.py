"""Batched email about new messages: a tick hook of the job runner (``register_tick``) that
emails each participant of a conversation the messages they have not read — at most one email
per person per engagement per hour, with every message in it, and never the same message
twice.

Who gets one: the student, the supervisor (at the engagement's supervisor address) and the
faculty members and advisors who joined. A message waits ``DELAY`` before it is emailed (a
person who is on the page reads it there, which moves their read mark past it). Each
recipient's ``MessageEmailBatch`` row is claimed by a conditional update (the messages already
emailed and the time of the last batch must be what this tick read), so a tick run twice, or
two processes ticking at once, send one email.

The supervisor's email carries a new workspace link (their way back, no account needed). A
launched person cannot be reached without a launch from their LMS, so their email names the
course and the engagement and asks them to open Career Credit there."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from lti_tool.actor import Actor
from lti_tool.db_helpers import insert_ignoring_conflicts
from lti_tool.extensions import db
from lti_tool.models import User, utcnow
from lti_tool.notify.mail import send_email
from lti_tool.web import configured_public_url

from ...supervisor.links import issue_link
from ...work.models import LINK_OPEN_STATUSES, Engagement
from . import services
from .models import MessageEmailBatch, MessageParticipant, WorkspaceMessage

log = logging.getLogger("career_credit.workspace.messages")

DELAY = dt.timedelta(minutes=5)
EVERY = dt.timedelta(hours=1)
LOOK_BACK = dt.timedelta(days=14)  # messages older than this are not emailed any more
TICK_INTERVAL_S = 60.0
KIND_WORDS = {
    "student": "student",
    "supervisor": "supervisor",
    "faculty": "instructor",
    "advisor": "career advisor",
}
_last_tick: dict[str, float] = {}


@dataclass(frozen=True)
class Recipient:
    reader: services.Reader
    address: str
    greeting: str


def run_tick(app: Flask) -> int:
    """The job runner's tick: send due message emails at most every minute. Never raises."""
    now = time.monotonic()
    if now - _last_tick.get(app.name, -TICK_INTERVAL_S) < TICK_INTERVAL_S:
        return 0
    _last_tick[app.name] = now
    with app.app_context():
        try:
            return send_message_emails()
        except Exception:
            db.session.rollback()
            log.exception("message emails failed; trying again at the next tick")
            return 0


def send_message_emails(now: dt.datetime | None = None, tenant_id: int | None = None) -> int:
    """Email every recipient their unread messages that are due (see the module), in every
    tenant or in ``tenant_id``'s; commits engagement by engagement; returns how many emails
    were sent."""
    now = now or utcnow()
    due = now - DELAY
    stmt = select(WorkspaceMessage.engagement_id).where(
        WorkspaceMessage.created_at <= due, WorkspaceMessage.created_at > now - LOOK_BACK
    )
    if tenant_id is not None:
        stmt = stmt.where(WorkspaceMessage.tenant_id == tenant_id)
    engagement_ids = db.session.scalars(stmt.distinct()).all()
    sent = 0
    for engagement_id in sorted(engagement_ids):
        engagement = db.session.get(Engagement, engagement_id)
        if engagement is None:
            continue
        for recipient in recipients(engagement):
            sent += _send_one(engagement, recipient, now)
        db.session.commit()
    if sent:
        log.info("message emails: %d sent", sent)
    return sent


def recipients(engagement: Engagement) -> list[Recipient]:
    """The student, the supervisor and the faculty members and advisors who joined (a faculty
    member while the engagement still counts in their course), each with an address."""
    found = []
    student = engagement.student
    if student is not None and student.email:
        reader = services.Reader("student", services.user_key(student.id), student.name, student.id)
        found.append(Recipient(reader, student.email, student.name or "there"))
    if engagement.supervisor_email:
        found.append(
            Recipient(
                services.Reader.supervisor(engagement),
                engagement.supervisor_email,
                engagement.supervisor_name or "there",
            )
        )
    joined = db.session.execute(
        select(MessageParticipant, User)
        .join(User, User.id == MessageParticipant.user_id)
        .where(
            MessageParticipant.tenant_id == engagement.tenant_id,
            MessageParticipant.engagement_id == engagement.id,
            User.tenant_id == engagement.tenant_id,
            or_(
                MessageParticipant.role != "faculty",
                MessageParticipant.course_id == engagement.course_id,
            ),
        )
        .order_by(MessageParticipant.id)
    ).all()
    for participant, user in joined:
        if user.email:
            key = services.user_key(user.id)
            reader = services.Reader(participant.role, key, user.name, user.id)
            found.append(Recipient(reader, user.email, user.name or "there"))
    return found


def _batch_row(engagement: Engagement, recipient: Recipient) -> MessageEmailBatch:
    db.session.execute(
        insert_ignoring_conflicts(MessageEmailBatch, ["engagement_id", "recipient"]),
        {
            "tenant_id": engagement.tenant_id,
            "engagement_id": engagement.id,
            "recipient": recipient.reader.key,
            "user_id": recipient.reader.user_id,
            "through_id": 0,
            "batches": 0,
            "sent_at": None,
            "email_message_id": None,
        },
    )
    row = db.session.scalar(
        select(MessageEmailBatch).where(
            MessageEmailBatch.tenant_id == engagement.tenant_id,
            MessageEmailBatch.engagement_id == engagement.id,
            MessageEmailBatch.recipient == recipient.reader.key,
        )
    )
    if row is None:  # written just above, or by a concurrent tick: never missing
        raise LookupError("the message email batch row is missing")
    return row


def _send_one(engagement: Engagement, recipient: Recipient, now: dt.datetime) -> int:
    """One recipient's batch, if one is due: claimed, then sent; 1 if an email went out."""
    row = _batch_row(engagement, recipient)
    if row.sent_at is not None and row.sent_at > now - EVERY:
        return 0
    since = max(row.through_id, services.last_read(engagement, recipient.reader))
    pending = list(
        db.session.scalars(
            select(WorkspaceMessage)
            .where(
                WorkspaceMessage.tenant_id == engagement.tenant_id,
                WorkspaceMessage.engagement_id == engagement.id,
                WorkspaceMessage.id > since,
                WorkspaceMessage.created_at <= now - DELAY,
                services.not_by(recipient.reader),
            )
            .order_by(WorkspaceMessage.id)
        )
    )
    if not pending:
        return 0
    claimed = db.session.execute(
        update(MessageEmailBatch)
        .where(
            MessageEmailBatch.id == row.id,
            MessageEmailBatch.through_id == row.through_id,
            MessageEmailBatch.batches == row.batches,
        )
        .values(through_id=pending[-1].id, sent_at=now, batches=row.batches + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return 0  # another tick claimed this batch
    subject, body = compose(engagement, recipient, pending)
    email = send_email(
        engagement.tenant_id,
        recipient.address,
        subject,
        body,
        about_user_id=engagement.student_id,
    )
    if email is not None:
        db.session.execute(
            update(MessageEmailBatch)
            .where(MessageEmailBatch.id == row.id)
            .values(email_message_id=email.id)
            .execution_options(synchronize_session=False)
        )
    return 1


def compose(
    engagement: Engagement, recipient: Recipient, messages: list[WorkspaceMessage]
) -> tuple[str, str]:
    """The subject and body of one batch: every message in it, then the way back."""
    title = engagement.listing.title
    student = engagement.student.name if engagement.student else ""
    count = len(messages)
    words = "1 new message" if count == 1 else f"{count} new messages"
    lines = [
        f"Hello {recipient.greeting},",
        "",
        f"{words} in the conversation about “{title}” at {engagement.listing.employer.name}"
        + (f" (student: {student})" if student and recipient.reader.kind != "student" else "")
        + ":",
        "",
    ]
    for message in messages:
        stamp = message.created_at.strftime("%-d %B %Y, %H:%M UTC")
        kind = KIND_WORDS.get(message.author_kind, message.author_kind)
        lines += [f"{message.author_name} ({kind}), {stamp}:", message.body]
        if message.filename:
            lines.append(f"[Attached: {message.filename}]")
        lines.append("")
    lines += [_way_back(engagement, recipient, messages), ""]
    lines.append("You get at most one email an hour about this conversation.")
    return f"{words.capitalize()} about “{title}”"[:300], "\n".join(lines) + "\n"


def _way_back(
    engagement: Engagement, recipient: Recipient, messages: list[WorkspaceMessage]
) -> str:
    title = engagement.listing.title
    if recipient.reader.kind != "supervisor":
        course = engagement.course.title if engagement.course else ""
        where = f"your course “{course}”" if course else "your course"
        if recipient.reader.kind == "advisor":
            where = "the career center's link"
        return (
            f"To reply, open Career Credit from {where} in your learning management system, "
            f"then the engagement “{title}”. (Career Credit opens only through your LMS, so "
            "this email cannot link you straight to it.)"
        )
    if engagement.status not in LINK_OPEN_STATUSES:
        return "The project has ended, so its workspace is closed."
    base = configured_public_url() or messages[-1].origin
    if not base:
        return "To reply, open the project workspace link you were sent earlier."
    actor = Actor.recorded(engagement.tenant_id, "workspace message email")
    token = issue_link(actor, "workspace", engagement.id, engagement.supervisor_email)
    return f"Reply on your project workspace page (no account needed):\n{_external(base, token)}"


def _external(base: str, token: str) -> str:
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return str(adapter.build("workspace.supervisor", {"token": token}, force_external=True))
