"""The caller's side of the outbox: enqueue in the caller's transaction, retry, read."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import (
    DateTime,
    Integer,
    SelectBase,
    String,
    bindparam,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from ..errors import NotFoundError, PolicyViolationError
from ..extensions import db
from ..models import Registration, utcnow
from .models import FAILED, PENDING, STATUSES, SUPERSEDED, OutboxMessage

# What a newer message with the same coalesce key replaces: one still waiting, and one the
# platform refused for good (retrying it would send the older value over the newer one).
REPLACEABLE = (PENDING, FAILED)

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
# Kinds whose messages go to no LMS (e.g. email): their sender gets ``None`` for the
# registration instead of the row failing for want of one.
_registrationless: set[str] = set()


def register_sender(kind: str, sender: Sender, *, needs_registration: bool = True) -> None:
    """Deliver outbox rows of ``kind`` with ``sender``; ``needs_registration=False`` for kinds
    that talk to no platform (the sender is called with ``None`` for the registration)."""
    _senders[kind] = sender
    if needs_registration:
        _registrationless.discard(kind)
    else:
        _registrationless.add(kind)


def needs_registration(kind: str) -> bool:
    """Whether messages of ``kind`` fail when their platform registration is gone."""
    return kind not in _registrationless


def _sender_for(kind: str) -> Sender | None:
    return _senders.get(kind)  # registered by the domains' register(app)


def coalesce_key(*parts: str) -> str:
    """A fixed-length key for what a message is about (e.g. line item URL and user id)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


# --- the caller's side: enqueue, retry, read ------------------------------------------------


def enqueue(
    *,
    tenant_id: int,
    registration_id: int | None,
    kind: str,
    payload: dict[str, Any],
    source: str = "",
    coalesce: str | None = None,
) -> OutboxMessage:
    """Add a message in the caller's transaction (flush only) and supersede older pending or
    failed messages with the same coalesce key (``REPLACEABLE``); the caller commits.
    ``registration_id`` is None only for kinds registered with ``needs_registration=False``."""
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
        params: dict[str, Any] = {"key": coalesce, "of_kind": kind, "now": now}
        params |= {"of_registration": registration_id, "newer": row.id, "newer_id": row.id}
        statement = _supersede_statement(registration_id is None)
        # Core, not the ORM's bulk update (which worked out in Python which loaded rows it
        # changed, on every award): the rows it changed that this session holds are expired
        for (older,) in db.session.connection().execute(statement, params):
            held = db.session.identity_map.get(identity_key(OutboxMessage, older))
            if held is not None:
                db.session.expire(held)
    db.session.info["outbox_enqueued"] = True
    return row


@functools.cache
def _supersede_statement(no_registration: bool) -> Any:
    """``enqueue``'s update of the older pending or failed messages with the same coalesce key and
    registration (``no_registration``: those of none; bound: ``key``, ``of_kind``,
    ``of_registration``, the new row's id as ``newer`` and ``newer_id``, ``now``), built once:
    an award's POST built it anew each time."""
    registration = (
        OutboxMessage.registration_id.is_(None)
        if no_registration
        else OutboxMessage.registration_id == bindparam("of_registration", type_=Integer)
    )
    return (
        update(OutboxMessage.__table__)
        .where(
            OutboxMessage.coalesce_key == bindparam("key"),
            OutboxMessage.kind == bindparam("of_kind"),
            registration,
            OutboxMessage.status.in_(REPLACEABLE),
            OutboxMessage.id < bindparam("newer", type_=Integer),
        )
        .values(
            status=SUPERSEDED,
            superseded_by_id=bindparam("newer_id", type_=Integer),
            last_error="Replaced by a newer grade before it was sent.",
            updated_at=bindparam("now", type_=DateTime),
        )
        .returning(OutboxMessage.id)
    )


@dataclass(frozen=True)
class NewMessage:
    """One message for ``enqueue_many``."""

    tenant_id: int
    registration_id: int | None  # None only for kinds that need none (email)
    kind: str
    payload: dict[str, Any]
    source: str = ""
    coalesce: str | None = None


def enqueue_many(messages: Sequence[NewMessage], chunk: int = 1000) -> int:
    """Set-based ``enqueue`` for bulk awards: one INSERT per chunk (an executemany, pipelined
    on PostgreSQL) and one UPDATE for the lot, not a round trip per row. Flush only; returns
    how many older pending or failed rows were superseded. Within the batch, a later message
    supersedes an earlier one with the same key."""
    if not messages:
        return 0
    now = utcnow()
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    for start in range(0, len(messages), chunk):
        db.session.execute(
            insert(OutboxMessage.__table__),  # plain Core: the ORM's bulk path costs more
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
                for m in messages[start : start + chunk]
            ],
        )
    superseded = 0
    if any(m.coalesce is not None for m in messages):
        superseded = _supersede_older(_keys_after(before), now)
    db.session.flush()
    db.session.info["outbox_enqueued"] = True
    return superseded


def _keys_after(before: int) -> Any:
    """The coalesce keys of the rows inserted after id ``before`` (this transaction's)."""
    return select(OutboxMessage.coalesce_key).where(
        OutboxMessage.id > before, OutboxMessage.coalesce_key.is_not(None)
    )


def enqueue_from_select(rows: SelectBase, kind: str) -> int:
    """Set-based ``enqueue`` straight from the database: one INSERT ... SELECT of ``rows``
    (labelled columns ``tenant_id``, ``registration_id``, ``payload`` (JSON), ``source`` and
    ``coalesce_key``), then one UPDATE that supersedes older pending or failed rows with the
    same key. Flush only; returns how many rows were queued. Rows of one call with the same key: the
    highest id wins (give ``rows`` an ORDER BY when that matters)."""
    now = utcnow()
    sub = rows.subquery()
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    inserted = db.session.execute(
        insert(OutboxMessage).from_select(
            [
                "tenant_id",
                "registration_id",
                "kind",
                "payload",
                "source",
                "coalesce_key",
                "status",
                "attempts",
                "next_attempt_at",
                "created_at",
                "updated_at",
            ],
            select(
                sub.c.tenant_id,
                sub.c.registration_id,
                literal(kind, String),
                sub.c.payload,
                sub.c.source,
                sub.c.coalesce_key,
                literal(PENDING, String),
                literal(0, Integer),
                literal(now, DateTime),
                literal(now, DateTime),
                literal(now, DateTime),
            ),
        ),
        execution_options={"preserve_rowcount": True},  # not kept for INSERT otherwise
    )
    count = int(getattr(inserted, "rowcount", 0) or 0)
    if count:
        _supersede_older(_keys_after(before), now)
        db.session.info["outbox_enqueued"] = True
    db.session.flush()
    return count


def _supersede_older(keys: Any, now: Any) -> int:
    """Mark pending (or failed) rows superseded when a newer pending row has the same key,
    kind and registration (``keys``: the coalesce keys to look at, a list or a subquery)."""
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
            OutboxMessage.status.in_(REPLACEABLE),
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
    return int(getattr(result, "rowcount", 0) or 0)


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


class MessageState(NamedTuple):
    """Where one message stands, as a sync badge shows it (not the row with its payload)."""

    id: int
    source: str
    status: str
    last_error: str | None
    attempts: int


def messages_for(tenant_id: int, sources: Iterable[str]) -> dict[str, MessageState]:
    """The newest message of each of the tenant's source references (e.g. ``award:123``),
    for sync badges: the badge's columns only, read by (source, tenant_id, id)."""
    wanted = list(sources)
    if not wanted:
        return {}
    rows = db.session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.source,
            OutboxMessage.status,
            OutboxMessage.last_error,
            OutboxMessage.attempts,
        )
        .where(OutboxMessage.source.in_(wanted), OutboxMessage.tenant_id == tenant_id)
        .order_by(OutboxMessage.id)
    )
    return {row.source: MessageState(*row) for row in rows}


def list_messages(
    tenant_id: int, status: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """A tenant's messages, newest first (e.g. ``status="failed"`` for the admin page)."""
    query = select(OutboxMessage).where(OutboxMessage.tenant_id == tenant_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def status_counts(
    tenant_id: int | None = None, exclude_kinds: Iterable[str] = ()
) -> dict[str, int]:
    """How many messages are in each status (of one tenant, or all), leaving out messages of
    ``exclude_kinds`` (e.g. email, on a page about grades)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if tenant_id is not None:
        query = query.where(OutboxMessage.tenant_id == tenant_id)
    excluded = list(exclude_kinds)
    if excluded:
        query = query.where(OutboxMessage.kind.not_in(excluded))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in db.session.execute(query).all()})
    return counts
