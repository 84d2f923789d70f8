"""Models of internships.workspace.messages: an engagement's conversation among its student,
its supervisor (through the signed workspace link), and the faculty members and advisors who
join it; who has read how far; who follows it; and the record of the email batches sent to
each recipient, which keeps "at most one email per person per engagement per hour" exact.

Every row carries its tenant and every query filters by it. A message hangs off its
engagement (``engagement_id``), so the student's export and erasure find it through the
engagement (``lti_tool.privacy.schema``); ``author_id`` only mentions the author."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow

AUTHOR_KINDS = ("student", "supervisor", "faculty", "advisor")
BODY_MAX = 5000


class WorkspaceMessage(Model):
    """One message of an engagement's conversation: plain text (links made safe when shown)
    and an optional attachment stored as deliverables are (``file_path`` under UPLOADS_DIR)."""

    __tablename__ = "workspace_message"
    __table_args__ = (
        Index("ix_workspace_message_engagement", "tenant_id", "engagement_id", "id"),
        # the email tick looks for the engagements with messages of the last days
        Index("ix_workspace_message_created_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(16))  # AUTHOR_KINDS
    # the launched author (NULL for the supervisor, who has no account)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), index=True, default=None
    )
    author_name: Mapped[str] = mapped_column(String(200), default="")  # as shown
    body: Mapped[str] = mapped_column(Text, default="")
    file_path: Mapped[str | None] = mapped_column(String(255), default=None)
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(default=0)
    # the tool's address as the author reached it: the supervisor's reply link in a batched
    # email is made on it when PUBLIC_URL is not set
    origin: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MessageRead(Model):
    """How far one reader has read an engagement's conversation: ``reader`` is ``user:<id>``
    for a launched person, ``supervisor:<email>`` for the engagement's supervisor."""

    __tablename__ = "workspace_message_read"
    __table_args__ = (UniqueConstraint("engagement_id", "reader"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    reader: Mapped[str] = mapped_column(String(340))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True, default=None
    )
    last_read_id: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MessageParticipant(Model):
    """A faculty member or advisor who joined an engagement's conversation (by posting, or
    by "Follow this conversation"): they get its emails. The student and the supervisor are
    participants without a row."""

    __tablename__ = "workspace_message_participant"
    __table_args__ = (UniqueConstraint("engagement_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # faculty, advisor
    # a faculty member joins through their course: they hear of it while the engagement
    # still counts in that course
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("course.id", ondelete="CASCADE"), default=None
    )
    joined_via: Mapped[str] = mapped_column(String(16), default="posted")  # posted, followed
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MessageEmailBatch(Model):
    """The email batches one recipient got about one engagement's conversation: the messages
    up to ``through_id`` went out in batch number ``batches`` at ``sent_at``. A batch is
    claimed by a conditional update of this row (no two in an hour, none twice), so a tick
    run twice, or by two processes at once, sends one email."""

    __tablename__ = "workspace_message_email_batch"
    __table_args__ = (UniqueConstraint("engagement_id", "recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    engagement_id: Mapped[int] = mapped_column(ForeignKey("engagement.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(340))  # as MessageRead.reader
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True, default=None
    )
    through_id: Mapped[int] = mapped_column(default=0)
    batches: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    email_message_id: Mapped[int | None] = mapped_column(default=None)  # the latest batch
