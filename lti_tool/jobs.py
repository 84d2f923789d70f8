"""The outbox and the job runner: everything sent to the LMS with a promise attached (a grade,
an outcome rating) is written as an outbox row in the same transaction as the change that
causes it, then delivered by a runner that claims rows with a lease, retries transient failures
with backoff, and records each outcome only while the lease is still its own.

The outbox table is the source of truth whatever runs it: the in-process runner thread
(``JOB_RUNNER = "thread"``, the embedded default), Celery workers (``"celery"``), the CLI
(``flask grades sync``) or a test calling ``drain``. Delivery is at least once; senders make the
effect exactly once (an AGS score carries the award's own timestamp, so a repeat is a no-op).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from .errors import ConnectorError, NotFoundError, PolicyViolationError
from .extensions import db
from .models import Registration, utcnow

log = logging.getLogger("career_credit.jobs")

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
SUPERSEDED = "superseded"
FAILED = "failed"
RETRY = "retry"  # an outcome, never a stored status: back to pending after a delay
STATUSES = (PENDING, SENDING, SENT, SUPERSEDED, FAILED)

_MESSAGE_MAX = 2000


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """One thing to deliver to a platform, with its delivery state."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_coalesce", "coalesce_key", "status"),
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
    source: Mapped[str] = mapped_column(String(255), default="", index=True)  # e.g. "award:123"
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
        from . import ags  # registers its senders on import

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


# --- the in-process runner (JOB_RUNNER = "thread") -------------------------------------------


def runner_mode(app: Flask) -> str:
    """``thread``, ``celery`` or ``off``; tests default to ``off`` (they call ``drain``)."""
    return str(app.config.get("JOB_RUNNER", "off" if app.testing else "thread"))


class Runner:
    """One daemon thread per process that sweeps and drains every ``interval_s`` seconds, or
    at once when an enqueue is committed."""

    def __init__(self, app: Flask, interval_s: float = 2.0) -> None:
        self.app = app
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="outbox-runner", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                drain(self.app)
            except Exception:
                log.exception("outbox runner: drain failed; trying again shortly")
            self._wake.wait(self.interval_s)


_start_lock = threading.Lock()


def start_runner(app: Flask) -> Runner | None:
    """Start this process's runner thread once (JOB_RUNNER = "thread"); None otherwise."""
    if runner_mode(app) != "thread":
        return None
    with _start_lock:
        runner: Runner | None = app.extensions.get("outbox_runner")
        if runner is None:
            runner = Runner(app, float(app.config.get("JOB_RUNNER_INTERVAL_S", 2.0)))
            app.extensions["outbox_runner"] = runner
            runner.start()
    return runner


def init_app(app: Flask) -> None:
    """Start the runner lazily on the first request (never in the factory: no I/O there, and
    the CLI and migrations must not start threads)."""

    def _ensure_runner() -> None:
        if "outbox_runner" not in app.extensions:
            start_runner(app)

    app.before_request(_ensure_runner)


def kick() -> None:
    """Ask for delivery now: wake the runner thread, or queue a Celery drain."""
    if not has_app_context():
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = runner_mode(app)
    if mode == "thread":
        runner: Runner | None = app.extensions.get("outbox_runner")
        if runner is not None:
            runner.wake()
    elif mode == "celery":
        try:
            from .celery_app import drain_outbox

            drain_outbox.apply_async(retry=False)
        except Exception as exc:  # the beat sweep delivers it anyway
            log.warning("outbox: could not queue a Celery drain (%s)", type(exc).__name__)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("outbox_enqueued", False):
        kick()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("outbox_enqueued", None)
