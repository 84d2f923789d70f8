"""The outbox and its runner against the sandbox LMS over real HTTP (real tokens, Canvas's
timestamp and non-student rules): delivery, retries with backoff, token refresh, permanent
failures and retry, superseded and coalesced grades, two drains racing on a barrier, and a
worker SIGKILLed before the send and after the platform's 200 but before recording.

Every test commits for real (a rolled-back fixture would hide a missing commit); run it on
PostgreSQL with TEST_DATABASE_URL to exercise FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from sqlalchemy import delete, select, update

from lti_tool import jobs
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage, RetryPolicy
from lti_tool.lti import ags, services_client
from lti_tool.models import Registration, utcnow
from lti_tool.sandbox.seed import stable_id

FAST = RetryPolicy(base_s=0.05, cap_s=0.5, max_attempts=25)
STUDENTS = ["amara-okafor", "benjamin-tran", "chloe-martin", "diego-ramirez", "emily-nguyen"]
COURSE = "bus-390"


def sub(person: str) -> str:
    return stable_id(f"person:{person}")


def delivered_once(result: dict[str, Any] | None) -> bool:
    """One accepted score and no submission attempt beyond the first (our scores carry
    Canvas's ``new_submission: false``, so the sandbox counts none at all)."""
    return result is not None and result["score_posts"] == 1 and result["attempts"] <= 1


@pytest.fixture(autouse=True)
def _clean_outbox(app):
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
    yield
    from lti_tool.sandbox.services import set_faults

    with app.app_context():
        set_faults({"reset": True})
        db.session.commit()


@dataclass
class Gradebook:
    """The tool's view of the sandbox course plus the sandbox's own report, over HTTP."""

    app: Any
    sandbox: Any
    registration_id: int
    tenant_id: int

    @property
    def lineitems_url(self) -> str:
        return self.sandbox.api_url(COURSE, "line_items")

    def line_item(self) -> str:
        with self.app.app_context():
            item = ags.find_or_create_line_item(
                self.registration_id,
                self.lineitems_url,
                label="Micro-internship credit",
                score_maximum=100,
                resource_id=f"credit-{secrets.token_hex(4)}",
                tag=ags.OWN_TAG,  # the tool's own column: the sender posts only there
            )
            db.session.rollback()
        return item.id

    def enqueue(
        self,
        lineitem: str,
        person: str,
        score: float,
        *,
        timestamp: dt.datetime | None = None,
        source: str = "",
        user_id: str | None = None,
    ) -> int:
        with self.app.app_context():
            row = ags.enqueue_score(
                tenant_id=self.tenant_id,
                registration_id=self.registration_id,
                lineitem=lineitem,
                user_id=user_id or sub(person),
                score_given=score,
                score_maximum=100,
                timestamp=timestamp or utcnow(),
                comment=f"Credit awarded: {score}",
                source=source or f"award:{secrets.token_hex(3)}",
            )
            db.session.commit()
            return row.id

    def result(self, lineitem: str, person: str) -> dict[str, Any] | None:
        resp = requests.get(self.sandbox.api_url(COURSE, "attempts.json"), timeout=10)
        resp.raise_for_status()
        for r in resp.json()["results"]:
            if r["line_item"] == lineitem and r["user_id"] == sub(person):
                return r
        return None

    def row(self, row_id: int) -> OutboxMessage:
        with self.app.app_context():
            row = db.session.get(OutboxMessage, row_id)
            assert row is not None
            db.session.expunge(row)
            return row

    def faults(self, **settings: Any) -> None:
        resp = requests.post(
            f"{self.sandbox.platform_url}/sandbox/faults", json=settings, timeout=10
        )
        assert resp.status_code == 200, resp.text


@pytest.fixture
def book(app, sandbox) -> Gradebook:
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.issuer, Registration.client_id == sandbox.client_id
            )
        )
        assert reg is not None
        return Gradebook(app, sandbox, reg.id, reg.tenant_id)


# --- delivery -------------------------------------------------------------------------------


def test_award_score_reaches_the_platform_once(app, book):
    item = book.line_item()
    stamp = utcnow()
    row_id = book.enqueue(item, "amara-okafor", 87.5, timestamp=stamp, source="award:1")

    stats = jobs.drain(app, policy=FAST)

    assert (stats.claimed, stats.sent) == (1, 1)
    result = book.result(item, "amara-okafor")
    assert result is not None
    assert result["score_given"] == 87.5
    assert result["score_maximum"] == 100
    assert result["activity_progress"] == "Completed"
    assert result["grading_progress"] == "FullyGraded"
    assert result["comment"] == "Credit awarded: 87.5"
    assert result["timestamp"] == ags.iso_timestamp(stamp)
    assert (result["attempts"], result["score_posts"]) == (0, 1)  # new_submission: false
    row = book.row(row_id)
    assert (row.status, row.attempts, row.last_http_status) == ("sent", 1, 200)
    assert row.lease_owner is None and row.sent_at is not None
    with app.app_context():
        assert jobs.messages_for(book.tenant_id, ["award:1"])["award:1"].status == "sent"
        assert jobs.messages_for(book.tenant_id + 1, ["award:1"]) == {}  # another tenant's
    assert jobs.drain(app).claimed == 0  # nothing left


def test_transient_500_and_429_are_retried_honouring_retry_after(app, book):
    item = book.line_item()
    book.faults(score_500=2, score_429=2, score_429_retry_after=1)
    row_id = book.enqueue(item, "benjamin-tran", 70)

    started = time.monotonic()
    stats = jobs.drain(app, policy=FAST, wait_s=30)
    elapsed = time.monotonic() - started

    assert (stats.sent, stats.retried) == (1, 4)
    assert elapsed >= 2.0  # two 429s, each asking for one second
    row = book.row(row_id)
    assert (row.status, row.attempts) == ("sent", 5)
    result = book.result(item, "benjamin-tran")
    assert result is not None
    assert result["score_given"] == 70
    assert delivered_once(result)


def test_expired_token_is_refreshed_once_and_the_score_delivered(app, book):
    item = book.line_item()
    book.enqueue(item, "amara-okafor", 60)
    assert jobs.drain(app, policy=FAST).sent == 1  # a token is now cached
    key = (book.registration_id, (ags.SCOPE_LINEITEM, ags.SCOPE_SCORE))
    cached = services_client._tokens[key][0]
    book.faults(expire_tokens=True)
    row_id = book.enqueue(item, "chloe-martin", 65)

    stats = jobs.drain(app, policy=FAST)

    assert (stats.sent, stats.retried) == (1, 0)
    assert book.row(row_id).attempts == 1  # the 401 was retried inside one attempt
    assert services_client._tokens[key][0] != cached
    assert delivered_once(book.result(item, "chloe-martin"))


def test_non_student_fails_with_the_reason_and_can_be_retried(app, book):
    item = book.line_item()
    ok = book.enqueue(item, "diego-ramirez", 90)
    bad = book.enqueue(item, "priya-raman", 90)  # the instructor: not gradable

    stats = jobs.drain(app, policy=FAST, wait_s=5)

    assert (stats.sent, stats.failed, stats.retried) == (1, 1, 0)
    assert book.row(ok).status == "sent"
    row = book.row(bad)
    assert (row.status, row.last_http_status, row.attempts) == ("failed", 422, 1)
    assert "not a gradable student" in (row.last_error or "")
    assert book.result(item, "priya-raman") is None

    with app.app_context():
        with pytest.raises(PolicyViolationError, match="Only a failed sync"):
            jobs.retry(ok)
        with pytest.raises(NotFoundError):
            jobs.retry(bad, tenant_id=book.tenant_id + 1000)
        jobs.retry(bad, tenant_id=book.tenant_id)
        db.session.commit()
    row = book.row(bad)
    assert (row.status, row.attempts, row.lease_owner) == ("pending", 0, None)
    assert jobs.drain(app, policy=FAST).failed == 1  # the platform still refuses


def test_older_award_after_a_newer_one_is_superseded(app, book):
    item = book.line_item()
    newer = utcnow()
    book.enqueue(item, "emily-nguyen", 95, timestamp=newer)
    assert jobs.drain(app, policy=FAST).sent == 1
    old_id = book.enqueue(item, "emily-nguyen", 40, timestamp=newer - dt.timedelta(hours=1))

    stats = jobs.drain(app, policy=FAST)

    assert (stats.superseded, stats.sent) == (1, 0)
    row = book.row(old_id)
    assert (row.status, row.last_http_status) == ("superseded", 400)
    result = book.result(item, "emily-nguyen")
    assert result is not None
    assert result["score_given"] == 95
    assert delivered_once(result)


def test_a_coalesced_score_the_session_holds_reads_as_superseded(app, book):
    """The supersede update runs outside the ORM: the older row this session holds is read
    again, not left pending in memory."""
    item = book.line_item()
    with app.app_context():
        scores = [
            ags.enqueue_score(
                tenant_id=book.tenant_id,
                registration_id=book.registration_id,
                lineitem=item,
                user_id=sub("amara-okafor"),
                score_given=score,
                score_maximum=100,
                timestamp=utcnow(),
                source=f"award:{score}",
            )
            for score in (50, 80)
        ]
        older, newer = scores
        assert (older.status, older.superseded_by_id) == ("superseded", newer.id)
        assert newer.status == "pending"
        db.session.rollback()


def test_pending_scores_for_the_same_line_item_and_user_coalesce_to_the_newest(app, book):
    item = book.line_item()
    first = book.enqueue(item, "amara-okafor", 50)
    other = book.enqueue(item, "benjamin-tran", 55)
    second = book.enqueue(item, "amara-okafor", 80)

    assert book.row(first).status == "superseded"
    assert book.row(first).superseded_by_id == second
    assert book.row(other).status == "pending"
    stats = jobs.drain(app, policy=FAST)

    assert (stats.claimed, stats.sent) == (2, 2)
    result = book.result(item, "amara-okafor")
    assert result is not None
    assert result["score_given"] == 80
    assert delivered_once(result)


def test_bulk_enqueue_is_set_based_and_coalesces_like_enqueue(app, book):
    item = book.line_item()
    earlier = book.enqueue(item, "amara-okafor", 10)
    stamp = utcnow()

    def score(who: str, given: float) -> ags.Score:
        return ags.Score(
            book.tenant_id, book.registration_id, item, sub(who), given, 100, stamp, None,
            f"award:bulk-{who}-{given}",
        )  # fmt: skip

    statements: list[str] = []
    with app.app_context():
        from sqlalchemy import event

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            superseded = ags.enqueue_scores(
                [score(who, 50 + n) for n, who in enumerate(STUDENTS)] + [score("chloe-martin", 99)]
            )
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        rows = {
            r.source: (r.id, r.status, r.superseded_by_id)
            for r in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > earlier))
        }
        db.session.rollback()

    assert len(statements) <= 4  # INSERT (one or a few batches) + one UPDATE, not 6 round trips
    assert superseded == 2  # Amara's earlier row and Chloé's first in this batch
    assert book.row(earlier).status == "superseded"
    assert book.row(earlier).superseded_by_id == rows["award:bulk-amara-okafor-50"][0]
    chloe_last = rows["award:bulk-chloe-martin-99"][0]
    assert rows["award:bulk-chloe-martin-52"][1:] == ("superseded", chloe_last)
    assert sum(status == "pending" for _, status, _ in rows.values()) == 5
    stats = jobs.drain(app, policy=FAST, senders=2)
    assert stats.sent == 5
    result = book.result(item, "chloe-martin")
    assert result is not None and result["score_given"] == 99
    assert delivered_once(result)


def test_enqueue_scores_from_select_is_one_statement_with_enqueues_payloads_and_keys(app, book):
    from sqlalchemy import DateTime, event, literal, union_all

    item = book.line_item()
    earlier = book.enqueue(item, "amara-okafor", 10)
    stamp = dt.datetime(2026, 11, 26, 9, 30, 15, 123987)  # milliseconds are truncated

    def row(who: str, given: float):
        return select(
            literal(book.tenant_id).label("tenant_id"),
            literal(book.registration_id).label("registration_id"),
            literal(item).label("lineitem"),
            literal(sub(who)).label("user_id"),
            literal(given).label("score_given"),
            literal(100).label("score_maximum"),
            literal(stamp, DateTime).label("timestamp"),
            literal(None if who == "chloe-martin" else f"Awarded {given}").label("comment"),
            literal(f"award:select-{who}").label("source"),
        )

    statements: list[str] = []
    with app.app_context():

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            queued = ags.enqueue_scores_from_select(
                union_all(*(row(who, 60 + n) for n, who in enumerate(STUDENTS[:3])))
            )
            db.session.commit()
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        rows = {
            r.source: r
            for r in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > earlier))
        }
        db.session.expunge_all()
        db.session.rollback()

    assert queued == 3
    assert len([s for s in statements if "outbox_message" in s]) <= 3  # max id, INSERT, UPDATE
    assert not any(s.lstrip().upper().startswith("INSERT") and "VALUES" in s for s in statements)
    for n, who in enumerate(STUDENTS[:3]):
        queued_row = rows[f"award:select-{who}"]
        assert (queued_row.kind, queued_row.status, queued_row.attempts) == (
            "ags.score",
            "pending",
            0,
        )
        assert queued_row.coalesce_key == ags.score_coalesce_key(item, sub(who))
        assert queued_row.payload == {
            "lineitem": item,
            "userId": sub(who),
            "scoreGiven": 60 + n,
            "scoreMaximum": 100,
            "comment": None if who == "chloe-martin" else f"Awarded {60 + n}",
            "timestamp": "2026-11-26T09:30:15.123+00:00",
        }
        assert queued_row.payload["timestamp"] == ags.iso_timestamp(stamp)
    first = rows["award:select-amara-okafor"].id
    assert (book.row(earlier).status, book.row(earlier).superseded_by_id) == ("superseded", first)
    # the keys are enqueue_score's: a newer single award supersedes a row queued by the select
    newer = book.enqueue(item, "benjamin-tran", 77, timestamp=stamp + dt.timedelta(seconds=1))
    assert book.row(rows["award:select-benjamin-tran"].id).superseded_by_id == newer

    stats = jobs.drain(app, policy=FAST, senders=2)

    assert stats.sent == 3
    amara = book.result(item, "amara-okafor")
    assert amara is not None and delivered_once(amara)
    assert (amara["score_given"], amara["timestamp"]) == (60, "2026-11-26T09:30:15.123+00:00")
    benjamin = book.result(item, "benjamin-tran")
    assert benjamin is not None and benjamin["score_given"] == 77


def test_record_many_stores_a_batch_at_once_and_fences_each_row(app, book):
    item = book.line_item()
    ids = [book.enqueue(item, who, 40 + n) for n, who in enumerate(STUDENTS[:4])]
    with app.app_context():
        assert jobs.claim("me", 10, lease_s=60) == ids
        db.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == ids[3]).values(lease_owner="thief")
        )
        db.session.commit()
        before = utcnow()
        stored = jobs.record_many(
            "me",
            [
                (ids[0], jobs.Outcome("sent", 200), 1),
                (ids[1], jobs.Outcome("sent", 201), 1),
                (ids[2], jobs.Outcome("retry", 429, "slow down", retry_after_s=5), 1),
                (ids[3], jobs.Outcome("sent", 200), 1),
            ],
            FAST,
        )

    assert stored == ["sent", "sent", "pending", None]  # the thief's row is not ours to record
    assert [(book.row(i).status, book.row(i).last_http_status) for i in ids[:2]] == [
        ("sent", 200),
        ("sent", 201),
    ]
    retried = book.row(ids[2])
    assert (retried.status, retried.last_error, retried.lease_owner) == (
        "pending",
        "slow down",
        None,
    )
    assert retried.next_attempt_at >= before + dt.timedelta(seconds=5)  # Retry-After honoured
    stolen = book.row(ids[3])
    assert (stolen.status, stolen.lease_owner) == ("sending", "thief")


def test_gives_up_after_max_attempts(app, book):
    item = book.line_item()
    book.faults(score_500=5)
    row_id = book.enqueue(item, "chloe-martin", 75)

    stats = jobs.drain(app, policy=RetryPolicy(base_s=0.01, cap_s=0.05, max_attempts=3), wait_s=10)

    assert (stats.retried, stats.failed) == (2, 1)
    row = book.row(row_id)
    assert (row.status, row.attempts, row.last_http_status) == ("failed", 3, 500)
    assert (row.last_error or "").startswith("Gave up after 3 attempts")


# --- leases ---------------------------------------------------------------------------------


def test_expired_lease_is_swept_and_redelivered(app, book):
    item = book.line_item()
    row_id = book.enqueue(item, "diego-ramirez", 88)
    with app.app_context():
        assert jobs.claim("ghost-worker", 10, lease_s=0.5) == [row_id]

    held = jobs.drain(app, policy=FAST)  # the lease is still the ghost's
    assert held.claimed == 0
    assert book.row(row_id).status == "sending"
    time.sleep(0.6)
    stats = jobs.drain(app, policy=FAST)

    assert (stats.swept, stats.sent) == (1, 1)
    row = book.row(row_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert delivered_once(book.result(item, "diego-ramirez"))


def test_rows_left_when_half_the_lease_is_gone_are_handed_back_unsent(app, book):
    item = book.line_item()
    ids = [book.enqueue(item, who, 90) for who in STUDENTS[:3]]
    claims: list[int] = []
    expired_at_send: list[int] = []

    def slow_platform(row_id: int) -> None:
        claims.append(row_id)
        time.sleep(0.15)
        lease = book.row(row_id).lease_expires_at
        if lease is None or lease <= utcnow():
            expired_at_send.append(row_id)

    stats = jobs.drain(app, policy=FAST, lease_s=0.25, batch=3, before_send=slow_platform)

    assert sorted(claims) == sorted(ids)  # each sent once
    assert expired_at_send == []  # never sent under an expired lease
    assert (stats.claimed, stats.sent, stats.lost_lease) == (3, 3, 0)
    assert [book.row(i).attempts for i in ids] == [1, 1, 1]  # a handed-back claim is no attempt


def test_outcome_is_recorded_only_while_the_lease_is_ours(app, book):
    item = book.line_item()
    row_id = book.enqueue(item, "emily-nguyen", 77)
    with app.app_context():
        assert jobs.claim("worker-a", 1, lease_s=0.0) == [row_id]
        time.sleep(0.01)
        assert jobs.sweep() == 1
        assert jobs.claim("worker-b", 1, lease_s=60) == [row_id]
        late = jobs.record(row_id, "worker-a", jobs.Outcome(jobs.SENT, 200), 1, FAST)
        assert late is None
        row = db.session.get(OutboxMessage, row_id)
        assert row is not None
        assert (row.status, row.lease_owner) == ("sending", "worker-b")
        assert jobs.record(row_id, "worker-b", jobs.Outcome(jobs.SENT, 200), 2, FAST) == "sent"


def test_claim_never_waits_for_or_takes_a_row_another_transaction_holds(app, book):
    """PostgreSQL: a row locked by another transaction is skipped, not waited for (SKIP
    LOCKED). SQLite: a claim waits for the other writer, then sees the row as taken."""
    item = book.line_item()
    held, free = book.enqueue(item, "amara-okafor", 1), book.enqueue(item, "benjamin-tran", 2)
    with app.app_context():
        engine = db.engine
        other = engine.connect()
        postgres = engine.dialect.name == "postgresql"
        try:
            if postgres:
                other.execute(
                    select(OutboxMessage.id).where(OutboxMessage.id == held).with_for_update()
                )
            else:
                other.exec_driver_sql("BEGIN IMMEDIATE")
                other.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == held)
                    .values(status="sending", lease_owner="other", lease_expires_at=utcnow())
                )
            claimed: list[list[int]] = []
            started = time.monotonic()
            worker = threading.Thread(
                target=lambda: claimed.append(_claim_in_context(app, "me", 10))
            )
            worker.start()
            worker.join(0.5 if postgres else 0.3)
            if postgres:
                assert claimed == [[free]]  # at once, without the locked row
            else:
                assert worker.is_alive()  # waiting for the writer
                other.commit()
                worker.join(10)
                assert claimed == [[free]]
                assert time.monotonic() - started >= 0.3
        finally:
            other.rollback()
            other.close()
    if postgres:
        with app.app_context():
            assert jobs.claim("me-again", 10, lease_s=60) == [held]


def _claim_in_context(app, owner: str, limit: int) -> list[int]:
    with app.app_context():
        return jobs.claim(owner, limit, lease_s=60)


def test_two_drains_on_a_barrier_never_send_the_same_row(app, book):
    items = [book.line_item() for _ in range(4)]
    ids = {book.enqueue(item, who, 60 + n) for item in items for n, who in enumerate(STUDENTS)}
    barrier = threading.Barrier(2)
    seen: list[list[int]] = [[], []]
    results: list[jobs.DrainStats] = []

    def worker(n: int) -> None:
        barrier.wait()
        results.append(jobs.drain(app, policy=FAST, batch=2, before_send=seen[n].append))

    threads = [threading.Thread(target=worker, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert sorted(seen[0] + seen[1]) == sorted(ids)  # every row sent once, by one drain
    assert not set(seen[0]) & set(seen[1])
    assert sum(r.claimed for r in results) == len(ids) == 20
    for row_id in ids:
        assert (book.row(row_id).status, book.row(row_id).attempts) == ("sent", 1)
    for item in items:
        for who in STUDENTS:
            assert delivered_once(book.result(item, who))


def test_concurrent_senders_deliver_everything_with_transient_faults(app, book):
    items = [book.line_item() for _ in range(3)]
    book.faults(fail_rate=0.2, score_429_retry_after=0)
    ids = [book.enqueue(item, who, 50) for item in items for who in STUDENTS]

    stats = jobs.drain(app, senders=4, policy=FAST, batch=2, wait_s=30)

    assert stats.sent == len(ids)
    assert stats.claimed == stats.sent + stats.retried
    for item in items:
        for who in STUDENTS:
            assert delivered_once(book.result(item, who))


# --- crashes --------------------------------------------------------------------------------

CRASHING_WORKER = textwrap.dedent(
    """
    import os, signal, sys
    from lti_tool import create_app, jobs

    url, point, lease = sys.argv[1], sys.argv[2], float(sys.argv[3])
    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=url)

    def die(row_id):
        os.kill(os.getpid(), signal.SIGKILL)

    jobs.drain(app, lease_s=lease, **{point: die})
    """
)


@pytest.mark.parametrize("point", ["before_send", "before_record"])
def test_worker_killed_mid_delivery_loses_nothing_and_adds_no_attempt(app, book, point):
    item = book.line_item()
    ids = [book.enqueue(item, who, 70 + n) for n, who in enumerate(STUDENTS[:3])]

    proc = subprocess.run(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            "-c",
            CRASHING_WORKER,
            app.config["SQLALCHEMY_DATABASE_URI"],
            point,
            "3",
        ],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    rows = [book.row(i) for i in ids]
    assert all(r.status == "sending" and r.lease_owner for r in rows)  # leased by the dead
    first = book.result(item, STUDENTS[0])
    if point == "before_send":
        assert first is None
    else:  # the platform took it; we never recorded it
        assert delivered_once(first)

    assert jobs.drain(app, policy=FAST).claimed == 0  # the lease still holds
    time.sleep(3.1)
    stats = jobs.drain(app, policy=FAST)

    assert (stats.swept, stats.sent) == (3, 3)
    for n, who in enumerate(STUDENTS[:3]):
        result = book.result(item, who)
        assert result is not None
        assert result["score_given"] == 70 + n
        assert delivered_once(result)
    assert all(book.row(i).status == "sent" for i in ids)


# --- runner thread and CLI ------------------------------------------------------------------


def test_runner_thread_starts_once_on_the_first_request_and_delivers(app, book, database_url):
    from lti_tool import create_app

    assert jobs.runner_mode(app) == "off"  # tests drive drain() themselves
    assert jobs.start_runner(app) is None
    threaded = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        JOB_RUNNER="thread",
        JOB_RUNNER_INTERVAL_S=30.0,  # long: delivery below must come from the commit's kick
    )
    jobs.init_app(threaded)
    assert "outbox_runner" not in threaded.extensions  # nothing starts in the factory
    client = threaded.test_client()
    client.get("/lti/jwks")
    runner = threaded.extensions["outbox_runner"]
    client.get("/lti/jwks")
    assert threaded.extensions["outbox_runner"] is runner
    assert [t.name for t in threading.enumerate()].count("outbox-runner") == 1
    try:
        # The first pass sweeps leases and runs the hourly and tick jobs over the whole test
        # database, holding SQLite's write lock meanwhile: on a busy machine the sandbox's
        # own write (the line item) waited past its busy timeout. After it, the delivery
        # below can only come from the commit's kick (the next pass is 30 s away).
        assert runner.wait_for_passes(1), "the runner's first pass did not finish"
        item = book.line_item()
        with threaded.app_context():
            ags.enqueue_score(
                tenant_id=book.tenant_id,
                registration_id=book.registration_id,
                lineitem=item,
                user_id=sub("amara-okafor"),
                score_given=66,
                score_maximum=100,
                timestamp=utcnow(),
            )
            db.session.commit()
        deadline = time.monotonic() + 15
        while book.result(item, "amara-okafor") is None and time.monotonic() < deadline:
            time.sleep(0.1)
        result = book.result(item, "amara-okafor")
        assert result is not None and result["score_given"] == 66
    finally:
        runner.stop()
    assert not runner.thread.is_alive()


def test_cli_sync_status_and_retry(app, book, runner):
    item = book.line_item()
    book.enqueue(item, "benjamin-tran", 81)
    bad = book.enqueue(item, "linda-okafor", 81)  # an observer

    out = runner.invoke(args=["jobs", "sync", "--senders", "2"])
    assert out.exit_code == 0, out.output
    assert "Claimed 2: 1 sent, 0 to retry, 0 superseded, 1 failed." in out.output
    status = runner.invoke(args=["jobs", "status", "--json"])
    assert '"sent": 1' in status.output and '"failed": 1' in status.output

    again = runner.invoke(args=["jobs", "retry", str(bad)])
    assert again.exit_code == 0 and f"Message {bad} is queued again." in again.output
    assert book.row(bad).status == "pending"
    twice = runner.invoke(args=["jobs", "retry", str(bad)])
    assert twice.exit_code != 0 and "Only a failed sync can be retried" in twice.output


def test_a_newer_score_replaces_an_older_one_the_platform_refused(app, book):
    """A refused score is superseded by a newer one for the same column and user, one at a
    time and in bulk: retrying it would send the older value over the newer one."""
    item = book.line_item()
    one, bulk = book.enqueue(item, "amara-okafor", 40), book.enqueue(item, "benjamin-tran", 45)
    kept = book.enqueue(item, "chloe-martin", 30)
    with app.app_context():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([one, bulk, kept]))
            .values(status=jobs.FAILED, last_error="User is not a student in this course")
        )
        db.session.commit()
    newer = book.enqueue(item, "amara-okafor", 90)
    with app.app_context():
        stamp = utcnow()
        superseded = ags.enqueue_scores(
            [
                ags.Score(
                    book.tenant_id, book.registration_id, item, sub("benjamin-tran"), 95, 100,
                    stamp, None, "award:bulk-benjamin",
                )
            ]
        )  # fmt: skip
        db.session.commit()
    assert superseded == 1
    assert (book.row(one).status, book.row(one).superseded_by_id) == ("superseded", newer)
    assert book.row(bulk).status == "superseded"
    assert book.row(kept).status == "failed"  # nobody replaced Chloé's
    with app.app_context(), pytest.raises(PolicyViolationError):
        jobs.retry(one)
