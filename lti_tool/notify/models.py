"""The core's messages to people: in-app notifications and every email the tool sends (without
SMTP configured, ``email_message`` is the development outbox the sandbox lists).

Every row carries its tenant and every query filters by it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow


class Notification(Model):
    """An in-app message to a student about something that changed for them."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "tenant_id", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(500))
    engagement_id: Mapped[int | None] = mapped_column(default=None)
    application_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class EmailMessage(Model):
    """Every email the tool sends; without SMTP configured this table is the outbox that the
    development page lists."""

    __tablename__ = "email_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True, default=None)
    # The student the message is about, whoever it went to (a supervisor's link to evaluate
    # them): the subject's export lists it and their erasure deletes it.
    subject_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id"), index=True, default=None
    )
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    transport: Mapped[str] = mapped_column(String(16), default="outbox")  # outbox | smtp
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    error: Mapped[str] = mapped_column(Text, default="")
