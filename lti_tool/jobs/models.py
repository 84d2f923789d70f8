"""The outbox table: one row per message promised to another system."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..models import utcnow

log = logging.getLogger("career_credit.jobs")


PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SUPERSEDED = "superseded"
FAILED = "failed"
RETRY = "retry"  # an outcome, never a stored status: back to pending after a delay
STATUSES = (PENDING, SENDING, SENT, SUPERSEDED, FAILED)

_MESSAGE_MAX = 2000


class OutboxMessage(Model):
    """One thing to deliver to a platform, with its delivery state."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_coalesce", "coalesce_key", "status"),
        # a source's messages newest first, in the tenant: an award's sync state reads its newest
        Index("ix_outbox_message_source_newest", "source", "tenant_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # SET NULL: removing a registration must not delete (or block on) undelivered grades;
    # such rows fail with a message instead.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(64))
    # A hash of what the message is about (for a score: line item + user); pending rows with
    # the same key coalesce to the newest.
    coalesce_key: Mapped[str | None] = mapped_column(String(64), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(255), default="")  # e.g. "credit_award:123"
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_http_status: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)  # the platform's words
    superseded_by_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
