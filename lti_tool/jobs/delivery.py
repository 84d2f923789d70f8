"""The runner's side of the outbox: claim rows with a lease, sweep expired leases, record outcomes
only while the lease is still ours (with backoff for retries), and hand unsent rows back."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    select,
    update,
)

from ..extensions import db
from ..models import utcnow
from .models import _MESSAGE_MAX, FAILED, PENDING, SENDING, SENT, SUPERSEDED, OutboxMessage
from .outbox import Message, Outcome

log = logging.getLogger("career_credit.jobs")


# --- the runner's side: claim, sweep, record ------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; Retry-After is honoured (up to an hour)."""

    base_s: float = 2.0
    cap_s: float = 600.0
    max_attempts: int = 25
    max_retry_after_s: float = 3600.0

    def delay(self, attempts: int, retry_after_s: float | None, rng: random.Random) -> float:
        backoff = rng.uniform(0, min(self.cap_s, self.base_s * 2 ** min(max(attempts, 1) - 1, 40)))
        if retry_after_s is not None:
            return max(min(retry_after_s, self.max_retry_after_s), backoff)
        return backoff


def new_owner() -> str:
    """A lease owner id: host, process, thread and a random part."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{threading.get_ident() % 100000}:" + (
        secrets.token_hex(4)
    )


_outbox = OutboxMessage.__table__  # Core statements: the sender loop skips the ORM's overhead


def claim_messages(
    owner: str, limit: int, lease_s: float, now: dt.datetime | None = None
) -> list[Message]:
    """Lease up to ``limit`` due messages to ``owner`` in one statement that also returns
    them, and commit. SKIP LOCKED on PostgreSQL; SQLite's single writer makes the UPDATE
    atomic there."""
    now = now or utcnow()
    t = _outbox.c
    due = (
        select(t.id)
        .where(t.status == PENDING, t.next_attempt_at <= now)
        .order_by(t.next_attempt_at, t.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(_outbox)
        .where(t.id.in_(due.scalar_subquery()), t.status == PENDING)
        .values(
            status=SENDING,
            lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=lease_s),
            attempts=t.attempts + 1,
            updated_at=now,
        )
        .returning(t.id, t.tenant_id, t.registration_id, t.kind, t.payload, t.source, t.attempts)
    )
    try:
        rows = db.session.execute(stmt).all()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return sorted(
        (
            Message(
                id=row.id,
                tenant_id=row.tenant_id,
                registration_id=row.registration_id,
                kind=row.kind,
                payload=dict(row.payload or {}),
                source=row.source,
                attempts=row.attempts,
            )
            for row in rows
        ),
        key=lambda m: m.id,
    )


def claim(owner: str, limit: int, lease_s: float, now: dt.datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due messages to ``owner`` and commit; their ids."""
    return [m.id for m in claim_messages(owner, limit, lease_s, now)]


def sweep(policy: RetryPolicy | None = None, now: dt.datetime | None = None) -> int:
    """Re-drive messages whose lease expired (a worker crashed or hung); give up on those
    that already used every attempt. Commits; returns how many were put back."""
    policy = policy or RetryPolicy()
    now = now or utcnow()
    expired = (OutboxMessage.status == SENDING, OutboxMessage.lease_expires_at < now)
    exhausted = db.session.execute(
        update(OutboxMessage)
        .where(*expired, OutboxMessage.attempts >= policy.max_attempts)
        .values(
            status=FAILED,
            lease_owner=None,
            lease_expires_at=None,
            last_error=f"Gave up after {policy.max_attempts} attempts (the sender never finished).",
            updated_at=now,
        )
    )
    back = db.session.execute(
        update(OutboxMessage)
        .where(*expired)
        .values(
            status=PENDING,
            lease_owner=None,
            lease_expires_at=None,
            next_attempt_at=now,
            updated_at=now,
        )
    )
    db.session.commit()
    swept = int(getattr(back, "rowcount", 0) or 0)
    given_up = int(getattr(exhausted, "rowcount", 0) or 0)
    if swept or given_up:
        log.info("outbox sweep: %d re-driven, %d given up", swept, given_up)
    return swept


def _outcome_values(
    outcome: Outcome,
    attempts: int,
    policy: RetryPolicy,
    rng: random.Random,
    now: dt.datetime,
) -> dict[str, Any]:
    message = outcome.message[:_MESSAGE_MAX] or None
    values: dict[str, Any] = {
        "lease_owner": None,
        "lease_expires_at": None,
        "last_http_status": outcome.http_status,
        "updated_at": now,
    }
    if outcome.result == SENT:
        values.update(status=SENT, sent_at=now, last_error=None)
    elif outcome.result in (SUPERSEDED, FAILED):
        values.update(status=outcome.result, last_error=message)
    elif attempts >= policy.max_attempts:
        values.update(status=FAILED, last_error=f"Gave up after {attempts} attempts: {message}")
    else:
        delay = policy.delay(attempts, outcome.retry_after_s, rng)
        values.update(
            status=PENDING,
            last_error=message,
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
    return values


def record_many(
    owner: str,
    outcomes: Sequence[tuple[int, Outcome, int]],
    policy: RetryPolicy,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
) -> list[str | None]:
    """Store the outcomes of sends, ``(row id, outcome, attempts)``, in one transaction, each
    only if the row's lease is still ``owner``'s (fencing); commits. Rows sent without a
    problem share one UPDATE. Returns each row's stored status, None where the lease was lost
    (another worker owns the row now)."""
    if not outcomes:
        return []
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    t = _outbox.c
    mine = (t.status == SENDING, t.lease_owner == owner)
    stored: dict[int, str] = {}
    sent: dict[int | None, list[int]] = {}  # by HTTP status (200, 201, 204 ...)
    for row_id, outcome, attempts in outcomes:
        if outcome.result == SENT:
            sent.setdefault(outcome.http_status, []).append(row_id)
            continue
        values = _outcome_values(outcome, attempts, policy, rng, now)
        result = db.session.execute(update(_outbox).where(t.id == row_id, *mine).values(**values))
        if getattr(result, "rowcount", 0):
            stored[row_id] = str(values["status"])
    for http_status, ids in sent.items():
        values = _outcome_values(Outcome(SENT, http_status), 0, policy, rng, now)
        recorded = db.session.execute(
            update(_outbox).where(t.id.in_(ids), *mine).values(**values).returning(t.id)
        ).scalars()
        stored.update(dict.fromkeys(recorded, SENT))
    db.session.commit()
    for row_id, _, _ in outcomes:
        if row_id not in stored:
            log.warning("outbox message %d: lease lost before recording; outcome dropped", row_id)
    return [stored.get(row_id) for row_id, _, _ in outcomes]


def record(
    row_id: int,
    owner: str,
    outcome: Outcome,
    attempts: int,
    policy: RetryPolicy,
    rng: random.Random | None = None,
    now: dt.datetime | None = None,
) -> str | None:
    """Store a send's outcome if the lease is still ``owner``'s (fencing); commits. Returns
    the stored status, or None when the lease was lost (another worker owns the row now)."""
    return record_many(owner, [(row_id, outcome, attempts)], policy, rng, now)[0]


def release(row_ids: Iterable[int], owner: str) -> int:
    """Give leased, unsent messages back to the queue (their claim did not count as an
    attempt); commits."""
    ids = list(row_ids)
    if not ids:
        return 0
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == SENDING,
            OutboxMessage.lease_owner == owner,
        )
        .values(
            status=PENDING,
            lease_owner=None,
            lease_expires_at=None,
            attempts=OutboxMessage.attempts - 1,
            updated_at=utcnow(),
        )
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
