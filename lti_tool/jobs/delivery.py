"""The runner's side of the outbox: claim with a lease, send, classify, record, drain."""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from flask import Flask
from sqlalchemy import (
    func,
    select,
    update,
)

from ..errors import ConnectorError
from ..extensions import db
from ..models import Registration, utcnow
from .models import _MESSAGE_MAX, FAILED, PENDING, RETRY, SENDING, SENT, SUPERSEDED, OutboxMessage
from .outbox import Hook, Message, Outcome, _sender_for

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


def claim(owner: str, limit: int, lease_s: float, now: dt.datetime | None = None) -> list[int]:
    """Lease up to ``limit`` due messages to ``owner`` in one statement and commit. SKIP
    LOCKED on PostgreSQL; SQLite's single writer makes the UPDATE atomic there."""
    now = now or utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == PENDING)
        .values(
            status=SENDING,
            lease_owner=owner,
            lease_expires_at=now + dt.timedelta(seconds=lease_s),
            attempts=OutboxMessage.attempts + 1,
            updated_at=now,
        )
        .returning(OutboxMessage.id)
    )
    try:
        ids = sorted(
            db.session.execute(stmt, execution_options={"synchronize_session": False}).scalars()
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ids


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
    now = now or utcnow()
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
        delay = policy.delay(attempts, outcome.retry_after_s, rng or random.SystemRandom())
        values.update(
            status=PENDING,
            last_error=message,
            next_attempt_at=now + dt.timedelta(seconds=delay),
        )
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == SENDING,
            OutboxMessage.lease_owner == owner,
        )
        .values(**values)
    )
    db.session.commit()
    if not getattr(result, "rowcount", 0):
        log.warning("outbox message %d: lease lost before recording; outcome dropped", row_id)
        return None
    return str(values["status"])


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


def _snapshot(row_id: int) -> tuple[Message, Registration | None] | None:
    row = db.session.get(OutboxMessage, row_id)
    if row is None:
        return None
    msg = Message(
        id=row.id,
        tenant_id=row.tenant_id,
        registration_id=row.registration_id,
        kind=row.kind,
        payload=dict(row.payload),
        source=row.source,
        attempts=row.attempts,
    )
    reg = db.session.get(Registration, row.registration_id) if row.registration_id else None
    if reg is not None:
        db.session.expunge(reg)  # keep its fields without holding a transaction open
    db.session.rollback()
    return msg, reg


def send_one(msg: Message, reg: Registration | None) -> Outcome:
    """Run the sender of the message's kind and turn its errors into outcomes."""
    sender = _sender_for(msg.kind)
    if sender is None:
        return Outcome(FAILED, message=f"No sender for messages of kind {msg.kind!r}.")
    if reg is None:
        return Outcome(FAILED, message="The platform registration was removed.")
    try:
        return sender(msg, reg)
    except ConnectorError as exc:
        return Outcome(RETRY, message=exc.message)
    except Exception:  # a bug must not stop the runner; the row retries and then fails
        log.exception("outbox message %d (%s): sender raised", msg.id, msg.kind)
        db.session.rollback()
        return Outcome(RETRY, message="Career Credit hit an internal error while sending.")


# --- drain ----------------------------------------------------------------------------------


@dataclass
class DrainStats:
    """What one ``drain`` did (``claimed`` counts sends begun, retries included)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    superseded: int = 0
    failed: int = 0
    lost_lease: int = 0
    swept: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _next_due() -> dt.datetime | None:
    value = db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == PENDING)
    )
    db.session.rollback()
    return value


def drain(
    app: Flask,
    max_rows: int | None = None,
    senders: int = 1,
    *,
    batch: int = 10,
    lease_s: float = 120.0,
    policy: RetryPolicy | None = None,
    wait_s: float = 0.0,
    before_send: Hook | None = None,
    before_record: Hook | None = None,
) -> DrainStats:
    """Sweep expired leases, then claim and send until nothing is due (or ``max_rows`` were
    claimed), with ``senders`` threads, each in its own app context. With ``wait_s``, also
    wait for messages that come due within that many seconds (backoff in tests and benchmarks).
    ``before_send``/``before_record`` are test hooks called with the row id."""
    policy = policy or RetryPolicy()
    stats = DrainStats()
    lock = threading.Lock()
    budget = [max_rows]
    deadline = time.monotonic() + wait_s
    errors: list[BaseException] = []

    with app.app_context():
        stats.swept = sweep(policy)

    def take(n: int) -> int:
        with lock:
            if budget[0] is None:
                return n
            n = min(n, budget[0])
            budget[0] -= n
            return n

    def give_back(n: int) -> None:
        with lock:
            if budget[0] is not None:
                budget[0] += n

    def count(status: str | None) -> None:
        with lock:
            if status is None:
                stats.lost_lease += 1
            elif status == SENT:
                stats.sent += 1
            elif status == PENDING:
                stats.retried += 1
            elif status == SUPERSEDED:
                stats.superseded += 1
            elif status == FAILED:
                stats.failed += 1

    def work() -> None:
        owner = new_owner()
        rng = random.Random()  # noqa: S311 - jitter, not security
        with app.app_context():
            while True:
                n = take(batch)
                if n <= 0:
                    return
                ids = claim(owner, n, lease_s)
                give_back(n - len(ids))
                if not ids:
                    due = _next_due()
                    if due is None or wait_s <= 0 or time.monotonic() >= deadline:
                        return
                    pause = (due - utcnow()).total_seconds()
                    if time.monotonic() + pause > deadline:
                        return
                    time.sleep(min(max(pause, 0.02), 1.0))
                    continue
                claimed_at = time.monotonic()
                for n_done, row_id in enumerate(ids):
                    if time.monotonic() - claimed_at > lease_s / 2:
                        # A slow platform ate half the lease: hand the rest back rather than
                        # send them under a lease that may expire mid-send.
                        release(ids[n_done:], owner)
                        give_back(len(ids) - n_done)
                        break
                    with lock:
                        stats.claimed += 1
                    snap = _snapshot(row_id)
                    if snap is None:
                        continue
                    msg, reg = snap
                    if before_send is not None:
                        before_send(row_id)
                    outcome = send_one(msg, reg)
                    if before_record is not None:
                        before_record(row_id)
                    count(record(row_id, owner, outcome, msg.attempts, policy, rng))

    def guarded() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
            raise

    if senders <= 1:
        work()
    else:
        threads = [
            threading.Thread(target=guarded, name=f"outbox-sender-{i}", daemon=True)
            for i in range(senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
    if stats.claimed:
        log.info("outbox drain: %s", stats.as_dict())
    return stats
