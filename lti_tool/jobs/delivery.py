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
from collections.abc import Iterable, Sequence
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
from .outbox import Hook, Message, Outcome, _sender_for, needs_registration

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


def _registrations(ids: Iterable[int | None]) -> dict[int | None, Registration]:
    """The registrations of a claimed batch, detached (their fields stay readable without a
    transaction held open across the sends)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    regs = list(db.session.scalars(select(Registration).where(Registration.id.in_(wanted))))
    for reg in regs:
        db.session.expunge(reg)
    db.session.rollback()
    return {reg.id: reg for reg in regs}


def send_one(msg: Message, reg: Registration | None) -> Outcome:
    """Run the sender of the message's kind and turn its errors into outcomes."""
    sender = _sender_for(msg.kind)
    if sender is None:
        return Outcome(FAILED, message=f"No sender for messages of kind {msg.kind!r}.")
    if reg is None and needs_registration(msg.kind):
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
    A sender claims ``batch`` rows at a time and records their outcomes in one transaction.
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
                msgs = claim_messages(owner, n, lease_s)
                give_back(n - len(msgs))
                if not msgs:
                    due = _next_due()
                    if due is None or wait_s <= 0 or time.monotonic() >= deadline:
                        return
                    pause = (due - utcnow()).total_seconds()
                    if time.monotonic() + pause > deadline:
                        return
                    time.sleep(min(max(pause, 0.02), 1.0))
                    continue
                claimed_at = time.monotonic()
                regs = _registrations({m.registration_id for m in msgs})
                done: list[tuple[int, Outcome, int]] = []
                for n_done, msg in enumerate(msgs):
                    if time.monotonic() - claimed_at > lease_s / 2:
                        # A slow platform ate half the lease: hand the rest back rather than
                        # send them under a lease that may expire mid-send.
                        release([m.id for m in msgs[n_done:]], owner)
                        give_back(len(msgs) - n_done)
                        break
                    with lock:
                        stats.claimed += 1
                    if before_send is not None:
                        before_send(msg.id)
                    outcome = send_one(msg, regs.get(msg.registration_id))
                    if before_record is not None:
                        before_record(msg.id)
                    done.append((msg.id, outcome, msg.attempts))
                # One transaction for the batch's outcomes: a crash before it only means
                # re-sending scores the platform already holds (same timestamp: a no-op).
                for status in record_many(owner, done, policy, rng):
                    count(status)

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
