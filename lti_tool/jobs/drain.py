"""Draining the outbox: sweep expired leases, then claim, send and record batches on one or
more sender threads until nothing is due. The sending of one message (``send_one``) turns a
sender's errors into outcomes; leases and outcomes are ``delivery``'s."""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from flask import Flask
from sqlalchemy import (
    func,
    select,
)

from connectors.errors import ExternalError

from ..errors import ConnectorError
from ..extensions import db
from ..models import Registration, utcnow
from .delivery import RetryPolicy, claim_messages, new_owner, record_many, release, sweep
from .models import FAILED, PENDING, RETRY, SENT, SUPERSEDED, OutboxMessage
from .outbox import Hook, Message, Outcome, _sender_for, needs_registration

log = logging.getLogger("career_credit.jobs")


def _registrations(ids: Iterable[int | None]) -> dict[int | None, Registration]:
    """The registrations of a claimed batch, detached (their fields stay readable without a
    transaction held open across the sends)."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    regs = list(db.session.scalars(select(Registration).where(Registration.id.in_(wanted))))
    for reg in regs:
        db.session.expunge(reg)
    # ended by a commit, not a rollback: it wrote nothing, and psycopg forgets the connection's
    # prepared statements at every ROLLBACK (the pages' requests use this connection next)
    db.session.commit()
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
    except (ConnectorError, ExternalError) as exc:  # the LMS's services, or a connector's
        return Outcome(RETRY, message=exc.message)
    except Exception:  # a bug must not stop the runner; the row retries and then fails
        log.exception("outbox message %d (%s): sender raised", msg.id, msg.kind)
        db.session.rollback()
        return Outcome(RETRY, message="Career Credit hit an internal error while sending.")


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
    db.session.commit()  # read only: a commit keeps the connection's prepared statements
    return value


@dataclass
class _Drain:
    """One drain's shared state: the row budget, the stats and the lock the sender threads
    share, and the settings every step reads."""

    app: Flask
    budget: int | None
    batch: int
    lease_s: float
    policy: RetryPolicy
    wait_s: float
    before_send: Hook | None
    before_record: Hook | None
    deadline: float = 0.0
    stats: DrainStats = field(default_factory=DrainStats)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, n: int) -> int:
        """Take up to ``n`` rows from the budget (all of them without a budget)."""
        with self.lock:
            if self.budget is None:
                return n
            n = min(n, self.budget)
            self.budget -= n
            return n

    def give_back(self, n: int) -> None:
        with self.lock:
            if self.budget is not None:
                self.budget += n

    def count(self, status: str | None) -> None:
        with self.lock:
            if status is None:
                self.stats.lost_lease += 1
            elif status == SENT:
                self.stats.sent += 1
            elif status == PENDING:
                self.stats.retried += 1
            elif status == SUPERSEDED:
                self.stats.superseded += 1
            elif status == FAILED:
                self.stats.failed += 1

    def wait_for_due(self) -> bool:
        """Nothing was claimable: wait for the next message due before the deadline (True), or
        say the sender is done (False)."""
        due = _next_due()
        if due is None or self.wait_s <= 0 or time.monotonic() >= self.deadline:
            return False
        pause = (due - utcnow()).total_seconds()
        if time.monotonic() + pause > self.deadline:
            return False
        time.sleep(min(max(pause, 0.02), 1.0))
        return True

    def send_batch(self, owner: str, msgs: list[Message]) -> list[tuple[int, Outcome, int]]:
        """Send a claimed batch in order; past half the lease, hand the rest back unsent."""
        claimed_at = time.monotonic()
        regs = _registrations({m.registration_id for m in msgs})
        done: list[tuple[int, Outcome, int]] = []
        for n_done, msg in enumerate(msgs):
            if time.monotonic() - claimed_at > self.lease_s / 2:
                # A slow platform ate half the lease: hand the rest back rather than
                # send them under a lease that may expire mid-send.
                release([m.id for m in msgs[n_done:]], owner)
                self.give_back(len(msgs) - n_done)
                break
            with self.lock:
                self.stats.claimed += 1
            if self.before_send is not None:
                self.before_send(msg.id)
            outcome = send_one(msg, regs.get(msg.registration_id))
            if self.before_record is not None:
                self.before_record(msg.id)
            done.append((msg.id, outcome, msg.attempts))
        return done

    def work(self) -> None:
        """One sender: claim a batch, send it, record its outcomes, until nothing is due."""
        owner = new_owner()
        rng = random.Random()  # noqa: S311 - jitter, not security
        with self.app.app_context():
            while True:
                n = self.take(self.batch)
                if n <= 0:
                    return
                msgs = claim_messages(owner, n, self.lease_s)
                self.give_back(n - len(msgs))
                if not msgs:
                    if self.wait_for_due():
                        continue
                    return
                done = self.send_batch(owner, msgs)
                # One transaction for the batch's outcomes: a crash before it only means
                # re-sending scores the platform already holds (same timestamp: a no-op).
                for status in record_many(owner, done, self.policy, rng):
                    self.count(status)

    def run(self, senders: int) -> None:
        """The work on this thread, or on ``senders`` threads (the first error re-raised)."""
        if senders <= 1:
            self.work()
            return
        errors: list[BaseException] = []

        def guarded() -> None:
            try:
                self.work()
            except BaseException as exc:
                errors.append(exc)
                raise

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
    sweep_leases: bool = True,
) -> DrainStats:
    """Sweep expired leases (unless ``sweep_leases`` is False: the in-process runner sweeps
    every ``SWEEP_EVERY_S``), then claim and send until nothing is due (or ``max_rows`` were
    claimed), with ``senders`` threads, each in its own app context. With ``wait_s``, also
    wait for messages that come due within that many seconds (backoff in tests and benchmarks).
    A sender claims ``batch`` rows at a time and records their outcomes in one transaction.
    ``before_send``/``before_record`` are test hooks called with the row id."""
    run = _Drain(
        app,
        max_rows,
        batch,
        lease_s,
        policy or RetryPolicy(),
        wait_s,
        before_send,
        before_record,
        deadline=time.monotonic() + wait_s,
    )
    if sweep_leases:
        with app.app_context():
            run.stats.swept = sweep(run.policy)
    run.run(senders)
    if run.stats.claimed:
        log.info("outbox drain: %s", run.stats.as_dict())
    return run.stats
