"""The Celery path: a real worker (a subprocess, solo pool) on the Redis broker against the
live test database drains the outbox when the task arrives through the broker. Skipped when
Redis does not answer (under CI=true a skip fails the run)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import delete, select

from lti_tool.extensions import db
from lti_tool.jobs import OutboxMessage
from lti_tool.lti import ags
from lti_tool.models import Registration, utcnow
from lti_tool.sandbox.seed import stable_id


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_beat_sweeps_the_outbox_every_30_seconds():
    from lti_tool.celery_app import celery

    entry = celery.conf.beat_schedule["outbox-sweep"]
    assert (entry["task"], entry["schedule"]) == ("career_credit.sweep_outbox", 30.0)
    assert {"career_credit.drain_outbox", "career_credit.sweep_outbox"} <= set(celery.tasks)


def test_a_committed_enqueue_queues_a_drain_in_celery_mode(sandbox, database_url, monkeypatch):
    from lti_tool import create_app, jobs
    from lti_tool.celery_app import drain_outbox

    queued: list[dict] = []
    monkeypatch.setattr(drain_outbox, "apply_async", lambda **kw: queued.append(kw))
    celery_mode = create_app("config.testing", SQLALCHEMY_DATABASE_URI=database_url,
                             JOB_RUNNER="celery")  # fmt: skip
    with celery_mode.app_context():
        tenant_id, reg_id = db.session.execute(
            select(Registration.tenant_id, Registration.id).where(
                Registration.issuer == sandbox.issuer
            )
        ).one()
        jobs.enqueue(tenant_id=tenant_id, registration_id=reg_id, kind="test.noop", payload={})
        db.session.rollback()
        assert queued == []  # a rolled-back enqueue queues nothing
        row = jobs.enqueue(
            tenant_id=tenant_id, registration_id=reg_id, kind="test.noop", payload={}
        )
        db.session.commit()
        assert queued == [{"retry": False}]
        db.session.delete(row)
        db.session.commit()
        assert len(queued) == 1  # only commits that enqueued


def test_worker_delivers_a_score_queued_through_redis(app, sandbox):
    from lti_tool.celery_app import celery, drain_outbox

    broker = str(celery.conf.broker_url)
    if not _redis_answers(broker):
        pytest.skip(f"Redis does not answer at {broker}")
    with app.app_context():
        db.session.execute(delete(OutboxMessage))
        db.session.commit()  # never hold a write lock across a call to the sandbox (SQLite)
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.issuer, Registration.client_id == sandbox.client_id
            )
        )
        assert reg is not None
        item = ags.find_or_create_line_item(
            reg.id,
            sandbox.api_url("cs-195", "line_items"),
            label="Micro-internship credit",
            score_maximum=3,
            resource_id=f"celery-{secrets.token_hex(4)}",
            tag=ags.OWN_TAG,
        )
        row = ags.enqueue_score(
            tenant_id=reg.tenant_id,
            registration_id=reg.id,
            lineitem=item.id,
            user_id=stable_id("person:grace-kim"),
            score_given=3,
            score_maximum=3,
            timestamp=utcnow(),
            source="award:celery",
        )
        db.session.commit()
        row_id = row.id

    queue = f"cc-test-{secrets.token_hex(4)}"  # only our worker consumes it
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "CAREER_CREDIT_JOB_RUNNER": "celery",
        "CAREER_CREDIT_ENV": "development",  # unset, the worker would start as production
        "CELERY_BROKER_URL": broker,
        # the worker decrypts the tool's signing key with the test suite's key
        "CAREER_CREDIT_ENCRYPTION_KEYS": app.config["ENCRYPTION_KEYS"],
    }
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "celery", "-A", "lti_tool.celery_app", "worker", "--pool=solo",
         "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-l", "warning"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        drain_outbox.apply_async(queue=queue)
        status = "pending"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.poll() is None:
            with app.app_context():
                status = db.session.get(OutboxMessage, row_id).status
                db.session.rollback()
            if status == "sent":
                break
            time.sleep(0.2)
        assert status == "sent", worker.stdout.read() if worker.poll() is not None else status
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(5)
    import requests

    results = requests.get(sandbox.api_url("cs-195", "attempts.json"), timeout=10).json()
    mine = [
        r
        for r in results["results"]
        if r["line_item"] == item.id and r["user_id"] == stable_id("person:grace-kim")
    ]
    assert len(mine) == 1
    assert (mine[0]["score_given"], mine[0]["score_posts"]) == (3, 1)
