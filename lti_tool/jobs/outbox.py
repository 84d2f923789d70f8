"""The caller's side of the outbox: enqueue in the caller's transaction, retry, read."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import aliased

from ..errors import NotFoundError, PolicyViolationError
from ..extensions import db
from ..models import Registration, utcnow
from .models import FAILED, PENDING, STATUSES, SUPERSEDED, OutboxMessage

log = logging.getLogger("career_credit.jobs")


@dataclass(frozen=True)
class Message:
    """What a sender sees of a claimed row (a plain copy: no session, no lazy loads)."""

    id: int
    tenant_id: int
    registration_id: int | None
    kind: str
    payload: dict[str, Any]
    source: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """A sender's verdict: SENT, SUPERSEDED, FAILED (permanent) or RETRY (transient)."""

    result: str
    http_status: int | None = None
    message: str = ""
    retry_after_s: float | None = None


Sender = Callable[[Message, Registration | None], Outcome]
Hook = Callable[[int], None]

_senders: dict[str, Sender] = {}


def register_sender(kind: str, sender: Sender) -> None:
    """Deliver outbox rows of ``kind`` with ``sender``."""
    _senders[kind] = sender


def _sender_for(kind: str) -> Sender | None:
    if kind.startswith("ags.") and kind not in _senders:
        from .. import ags  # registers its senders on import

        ags.register()
    return _senders.get(kind)


def coalesce_key(*parts: str) -> str:
    """A fixed-length key for what a message is about (e.g. line item URL and user id)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- the caller's side: enqueue, retry, read ------------------------------------------------


def enqueue(
    *,
    tenant_id: int,
    registration_id: int,
    kind: str,
    payload: dict[str, Any],
    source: str = "",
    coalesce: str | None = None,
) -> OutboxMessage:
    """Add a message in the caller's transaction (flush only) and supersede older pending
    messages with the same coalesce key; the caller commits."""
    now = utcnow()
    row = OutboxMessage(
        tenant_id=tenant_id,
        registration_id=registration_id,
        kind=kind,
        payload=payload,
        source=source,
        coalesce_key=coalesce,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if coalesce is not None:
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.coalesce_key == coalesce,
                OutboxMessage.kind == kind,
                OutboxMessage.registration_id == registration_id,
                OutboxMessage.status == PENDING,
                OutboxMessage.id < row.id,
            )
            .values(
                status=SUPERSEDED,
                superseded_by_id=row.id,
                last_error="Replaced by a newer grade before it was sent.",
                updated_at=now,
            )
        )
    db.session.info["outbox_enqueued"] = True
    return row


@dataclass(frozen=True)
class NewMessage:
    """One message for ``enqueue_many``."""

    tenant_id: int
    registration_id: int
    kind: str
    payload: dict[str, Any]
    source: str = ""
    coalesce: str | None = None


def enqueue_many(messages: Sequence[NewMessage], chunk: int = 1000) -> int:
    """Set-based ``enqueue`` for bulk awards: one multi-row INSERT and one UPDATE per chunk,
    not a round trip per row. Flush only; returns how many older pending rows were
    superseded. Within the batch, a later message supersedes an earlier one with the same key."""
    now = utcnow()
    superseded = 0
    for start in range(0, len(messages), chunk):
        part = messages[start : start + chunk]
        db.session.execute(
            insert(OutboxMessage),
            [
                {
                    "tenant_id": m.tenant_id,
                    "registration_id": m.registration_id,
                    "kind": m.kind,
                    "payload": m.payload,
                    "source": m.source,
                    "coalesce_key": m.coalesce,
                    "status": PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for m in part
            ],
        )
        keys = sorted({m.coalesce for m in part if m.coalesce is not None})
        if not keys:
            continue
        newer = aliased(OutboxMessage)
        same = (
            newer.coalesce_key == OutboxMessage.coalesce_key,
            newer.kind == OutboxMessage.kind,
            newer.registration_id == OutboxMessage.registration_id,
            newer.status == PENDING,
            newer.id > OutboxMessage.id,
        )
        result = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.coalesce_key.in_(keys),
                select(newer.id).where(*same).exists(),
            )
            .values(
                status=SUPERSEDED,
                superseded_by_id=select(func.max(newer.id)).where(*same).scalar_subquery(),
                last_error="Replaced by a newer grade before it was sent.",
                updated_at=now,
            ),
            execution_options={"synchronize_session": False},
        )
        superseded += int(getattr(result, "rowcount", 0) or 0)
    db.session.flush()
    if messages:
        db.session.info["outbox_enqueued"] = True
    return superseded


def retry(row_id: int, *, tenant_id: int | None = None) -> OutboxMessage:
    """Put a failed message back in the queue (the faculty's "retry" button); flush only."""
    row = db.session.get(OutboxMessage, row_id)
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise NotFoundError(f"There is no grade sync {row_id}.")
    if row.status != FAILED:
        raise PolicyViolationError(
            f"Only a failed sync can be retried; this one is {row.status}.",
            reason="outbox_not_failed",
        )
    now = utcnow()
    row.status = PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.lease_owner = None
    row.lease_expires_at = None
    row.updated_at = now
    db.session.flush()
    db.session.info["outbox_enqueued"] = True
    return row


def messages_for(sources: Iterable[str]) -> dict[str, OutboxMessage]:
    """The newest message of each source reference (e.g. ``award:123``), for sync badges."""
    wanted = list(sources)
    if not wanted:
        return {}
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.source.in_(wanted)).order_by(OutboxMessage.id)
    )
    return {row.source: row for row in rows}


def list_messages(
    tenant_id: int, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """A tenant's messages, newest first (e.g. ``status="failed"`` for the admin page)."""
    query = select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def status_counts(tenant_id: int | None = None) -> dict[str, int]:
    """How many messages are in each status (of one tenant, or all)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if tenant_id is not None:
        query = query.where(OutboxMessage.tenant_id == tenant_id)
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in db.session.execute(query).all()})
    return counts
