"""An engagement's conversation: who reads it and who may post (``Reader``), posting a
message with an optional attachment, the latest messages, read marks and unread counts, and
faculty members and advisors joining (posting, or following) the conversation.

The engagement comes to these services already loaded through its access check (a launch's
``get_engagement``, or the supervisor's workspace link); the services check the reader's
relation to it again and scope every query by the engagement's tenant."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, case, delete, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from lti_tool.actor import Actor
from lti_tool.context import LaunchContext
from lti_tool.db_helpers import dialect_insert
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ...work.models import LINK_OPEN_STATUSES, Engagement
from ...work.services import uploads
from ...work.services.reads import kept
from .models import BODY_MAX, MessageParticipant, MessageRead, WorkspaceMessage

# The engagement page shows the latest messages only; the rest are on the conversation's page.
SHOWN = 50
JOINING = ("faculty", "advisor")


class MessageInvalidError(PolicyViolationError):
    """A message is not acceptable; ``field`` names the form field (body or file)."""

    def __init__(self, field_name: str, message: str, reason: str) -> None:
        super().__init__(message, reason=reason, field=field_name)


@dataclass(frozen=True)
class Reader:
    """Who reads a conversation: ``kind`` is the author kind they post as (student,
    supervisor, faculty, advisor); ``key`` names their read mark and email batches."""

    kind: str
    key: str
    name: str
    user_id: int | None = None
    read_only: bool = False
    course_id: int | None = None  # a faculty member's course

    @classmethod
    def of_launch(cls, ctx: LaunchContext) -> Reader:
        name = ctx.user_name or ctx.user_email or ctx.role.capitalize()
        course = ctx.course_id if ctx.role == "faculty" else None
        return cls(ctx.role, user_key(ctx.user_id), name, ctx.user_id, ctx.read_only, course)

    @classmethod
    def supervisor(cls, engagement: Engagement) -> Reader:
        name = engagement.supervisor_name or "Supervisor"
        return cls("supervisor", supervisor_key(engagement.supervisor_email), name)


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


def supervisor_key(email: str) -> str:
    return f"supervisor:{email.strip().lower()}"


def open_for_posts(engagement: Engagement) -> bool:
    """Messages may be posted while the engagement is active or submitted (as long as the
    supervisor's links work); afterwards the conversation is the record, read only."""
    return engagement.status in LINK_OPEN_STATUSES


def why_not_post(engagement: Engagement, reader: Reader) -> str:
    """Why this reader may not post here, in words; "" if they may."""
    if reader.read_only:
        return "Your access to this course is read-only (teaching assistant): you can read."
    if not open_for_posts(engagement):
        return "This engagement is finished, so its conversation is closed; it stays as a record."
    return ""


def _check_reader(actor: Actor, engagement: Engagement, reader: Reader) -> None:
    if engagement.tenant_id != actor.tenant:
        raise NotFoundError("That engagement does not exist or is not yours to see.")
    if reader.kind == "student" and reader.user_id != engagement.student_id:
        raise NotFoundError("That engagement does not exist or is not yours to see.")
    if reader.kind == "supervisor" and reader.key != supervisor_key(engagement.supervisor_email):
        raise NotFoundError("That engagement does not exist or is not yours to see.")


def post_message(
    actor: Actor,
    engagement: Engagement,
    reader: Reader,
    body: str,
    *,
    data: bytes | None = None,
    filename: str = "",
    origin: str = "",
) -> WorkspaceMessage:
    """Post a plain-text message (1 to 5,000 characters) with an optional attachment (the
    deliverables' checks); the author has read everything up to it, and a faculty member or
    advisor who posts joins the conversation."""
    _check_reader(actor, engagement, reader)
    refusal = why_not_post(engagement, reader)
    if refusal:
        raise PolicyViolationError(refusal, reason="read_only" if reader.read_only else "closed")
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise MessageInvalidError("body", "Write a message.", "message_empty")
    if len(text) > BODY_MAX:
        raise MessageInvalidError(
            "body",
            f"A message is at most {BODY_MAX:,} characters; this one has {len(text):,}.",
            "message_too_long",
        )
    message = WorkspaceMessage(
        tenant_id=engagement.tenant_id,
        engagement_id=engagement.id,
        author_kind=reader.kind,
        author_id=reader.user_id,
        author_name=reader.name[:200],
        body=text,
        origin=origin[:255],
        created_at=utcnow(),
    )
    if data is not None:
        try:
            stored = uploads.store_deliverable(data, filename)
        except uploads.UploadRejectedError as exc:
            raise MessageInvalidError("file", exc.message, exc.reason or "file_rejected") from exc
        message.file_path, message.filename = stored.name, stored.filename
        message.content_type, message.size = stored.content_type, stored.size
    db.session.add(message)
    db.session.flush()
    audit.record(
        actor,
        "workspace_message.post",
        engagement_id=engagement.id,
        message_id=message.id,
        attachment=bool(message.file_path),
    )
    mark_read(engagement, reader, message.id)
    if reader.kind in JOINING and reader.user_id is not None:
        _join(engagement, reader, "posted")
    return message


# --- reading -------------------------------------------------------------------------------------


def _of(engagement: Engagement) -> list[ColumnElement[bool]]:
    return [
        WorkspaceMessage.tenant_id == engagement.tenant_id,
        WorkspaceMessage.engagement_id == engagement.id,
    ]


@functools.cache
def _latest_statement() -> Any:
    """The latest messages of an engagement, newest first, each with the reader's read mark,
    built once (every engagement page shows them): a request binds ``tenant_id``,
    ``engagement_id``, ``limit`` and ``reader``."""
    tenant_id: Any = bindparam("tenant_id")
    engagement_id: Any = bindparam("engagement_id")
    mark = select(MessageRead.last_read_id).where(
        MessageRead.tenant_id == tenant_id,
        MessageRead.engagement_id == engagement_id,
        MessageRead.reader == bindparam("reader"),
    )
    return (
        select(WorkspaceMessage, mark.scalar_subquery())
        .where(
            WorkspaceMessage.tenant_id == tenant_id, WorkspaceMessage.engagement_id == engagement_id
        )
        .order_by(WorkspaceMessage.id.desc())
        .limit(bindparam("limit"))
    )


def latest_and_read(
    engagement: Engagement, reader: Reader, limit: int = SHOWN
) -> tuple[list[WorkspaceMessage], int]:
    """The latest ``limit`` messages, oldest first (the newest last), and the reader's
    ``last_read``, in one statement (0 when there is no message: nothing to have read); the
    latest ``SHOWN`` are read once per transaction (``reads``: the engagement page reads
    them with its other lists, ``workspace.page_lists``)."""
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}

    def read() -> tuple[list[WorkspaceMessage], int]:
        rows = db.session.execute(
            _latest_statement(), {**params, "limit": limit, "reader": reader.key}
        ).all()
        return [row[0] for row in reversed(rows)], int(rows[0][1] or 0) if rows else 0

    if limit != SHOWN:
        return read()
    return kept(f"latest_messages:{reader.key}", engagement, read)


def all_messages(engagement: Engagement) -> list[WorkspaceMessage]:
    """Every message of the conversation, oldest first (the record)."""
    return list(
        db.session.scalars(
            select(WorkspaceMessage).where(*_of(engagement)).order_by(WorkspaceMessage.id)
        )
    )


def message_count(engagement: Engagement) -> int:
    """How many messages the conversation has (read once per transaction: ``reads``)."""
    count = select(func.count(WorkspaceMessage.id)).where(*_of(engagement))
    return kept("message_count", engagement, lambda: int(db.session.scalar(count) or 0))


def get_message(engagement: Engagement, message_id: int) -> WorkspaceMessage:
    """A message of this engagement (an attachment is served only through its engagement)."""
    message = db.session.scalar(
        select(WorkspaceMessage).where(WorkspaceMessage.id == message_id, *_of(engagement))
    )
    if message is None:
        raise NotFoundError("That file does not exist or is not yours to see.")
    return message


def message_engagement_id(tenant_id: int, message_id: int) -> int:
    """The engagement a message of the tenant belongs to (its access is checked next)."""
    found = db.session.scalar(
        select(WorkspaceMessage.engagement_id).where(
            WorkspaceMessage.id == message_id, WorkspaceMessage.tenant_id == tenant_id
        )
    )
    if found is None:
        raise NotFoundError("That file does not exist or is not yours to see.")
    return int(found)


def not_by(reader: Reader) -> ColumnElement[bool]:
    """Messages someone other than ``reader`` wrote."""
    if reader.user_id is not None:
        return or_(
            WorkspaceMessage.author_id.is_(None), WorkspaceMessage.author_id != reader.user_id
        )
    return WorkspaceMessage.author_kind != reader.kind


def own_ids(messages: list[WorkspaceMessage], reader: Reader) -> set[int]:
    """The ids of the messages ``reader`` wrote."""
    if reader.user_id is not None:
        return {m.id for m in messages if m.author_id == reader.user_id}
    return {m.id for m in messages if m.author_kind == reader.kind}


@functools.cache
def _last_read_statement() -> Any:
    return select(MessageRead.last_read_id).where(
        MessageRead.tenant_id == bindparam("tenant_id"),
        MessageRead.engagement_id == bindparam("engagement_id"),
        MessageRead.reader == bindparam("reader"),
    )


def last_read(engagement: Engagement, reader: Reader) -> int:
    """The id of the last message this reader has seen (0: none)."""
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    found = db.session.scalar(_last_read_statement(), {**params, "reader": reader.key})
    return int(found or 0)


def unread_among(
    engagement: Engagement, reader: Reader, shown: list[WorkspaceMessage], since: int
) -> int:
    """``unread_count`` from the latest messages (``latest_and_read``) when they hold every
    message after ``since`` (all of them, or the oldest shown already read); else counted."""
    if len(shown) < SHOWN or shown[0].id <= since:
        own = own_ids(shown, reader)
        return sum(1 for m in shown if m.id > since and m.id not in own)
    return unread_count(engagement, reader, since=since)


def unread_count(engagement: Engagement, reader: Reader, since: int | None = None) -> int:
    """Messages of others after the reader's read mark (``since``, when already read)."""
    mark = last_read(engagement, reader) if since is None else since
    return int(
        db.session.scalar(
            select(func.count(WorkspaceMessage.id)).where(
                *_of(engagement), WorkspaceMessage.id > mark, not_by(reader)
            )
        )
        or 0
    )


def mark_read(engagement: Engagement, reader: Reader, through_id: int) -> None:
    """The reader has seen every message up to ``through_id`` (a read mark only moves
    forward, whatever order two requests write it in)."""
    table = MessageRead.__table__
    stmt = dialect_insert(table).values(
        tenant_id=engagement.tenant_id,
        engagement_id=engagement.id,
        reader=reader.key,
        user_id=reader.user_id,
        last_read_id=through_id,
        read_at=utcnow(),
    )
    newer = stmt.excluded.last_read_id > table.c.last_read_id
    stmt = stmt.on_conflict_do_update(
        index_elements=["engagement_id", "reader"],
        set_={
            "last_read_id": case((newer, stmt.excluded.last_read_id), else_=table.c.last_read_id),
            "read_at": stmt.excluded.read_at,
        },
    )
    db.session.execute(stmt)


# --- joining -------------------------------------------------------------------------------------


def is_participant(engagement: Engagement, reader: Reader) -> bool:
    """The student and the supervisor always are; a faculty member or advisor once joined."""
    if reader.kind not in JOINING:
        return True
    joined = select(MessageParticipant.id).where(
        MessageParticipant.tenant_id == engagement.tenant_id,
        MessageParticipant.engagement_id == engagement.id,
        MessageParticipant.user_id == reader.user_id,
    )  # read once per transaction (``reads``)
    return kept(
        f"participant:{reader.key}", engagement, lambda: db.session.scalar(joined) is not None
    )


def _join(engagement: Engagement, reader: Reader, how: str) -> None:
    stmt = (
        dialect_insert(MessageParticipant)
        .values(
            tenant_id=engagement.tenant_id,
            engagement_id=engagement.id,
            user_id=reader.user_id,
            role=reader.kind,
            course_id=reader.course_id,
            joined_via=how,
            joined_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["engagement_id", "user_id"])
    )
    db.session.execute(stmt)


def follow(actor: Actor, engagement: Engagement, reader: Reader, *, on: bool = True) -> None:
    """A faculty member or advisor follows (or stops following) the conversation: followers
    get its emails."""
    _check_reader(actor, engagement, reader)
    if reader.kind not in JOINING or reader.user_id is None:
        raise PolicyViolationError(
            "You take part in this conversation already.", reason="participant"
        )
    if on:
        _join(engagement, reader, "followed")
    else:
        db.session.execute(
            delete(MessageParticipant).where(
                MessageParticipant.tenant_id == engagement.tenant_id,
                MessageParticipant.engagement_id == engagement.id,
                MessageParticipant.user_id == reader.user_id,
            )
        )
    audit.record(
        actor,
        "workspace_message.follow" if on else "workspace_message.unfollow",
        engagement_id=engagement.id,
    )


def participants(engagement: Engagement) -> list[MessageParticipant]:
    return list(
        db.session.scalars(
            select(MessageParticipant)
            .where(
                MessageParticipant.tenant_id == engagement.tenant_id,
                MessageParticipant.engagement_id == engagement.id,
            )
            .order_by(MessageParticipant.id)
        )
    )
