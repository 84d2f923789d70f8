"""Issuing many at once (a bulk award): the tick hands more than a few to a background task
of kind "credentials" that issues them in chunks with its progress written as it goes; the
tick is throttled, and what makes a credential due (an evaluation, an award) lifts the
throttle when it is committed."""

from __future__ import annotations

from sqlalchemy import func, select, update

from accreditation.credentials.issuance import batch, sync
from accreditation.credentials.models import Credential, CredentialBatch
from internships.work.models import Engagement
from lti_tool import tasks
from lti_tool.extensions import db
from tests.credit.conftest import give_work


def test_a_bulk_of_credentials_is_issued_by_a_task_with_progress(app, school, runner, monkeypatch):
    student = school.person("student")
    count = batch.INLINE_LIMIT + batch.CHUNK - 19  # more than the tick issues itself, 2 chunks
    with app.app_context():
        for _ in range(count):
            give_work(student.ctx(), hours=8)
        db.session.commit()
        assert batch.issue_due(app).issued == 0  # queued, not issued on the tick
        [queued] = db.session.scalars(
            select(CredentialBatch).where(CredentialBatch.tenant_id == school.tenant_id)
        ).all()
        assert queued.status == tasks.QUEUED
        assert batch.issue_due(app).issued == 0
        assert (
            db.session.scalar(
                select(func.count(CredentialBatch.id)).where(
                    CredentialBatch.tenant_id == school.tenant_id
                )
            )
            == 1
        )  # one batch per tenant at a time

    beats: list[dict] = []
    real_beat = tasks.beat

    def recording(model, task_id, **values):
        beats.append(values)
        real_beat(model, task_id, **values)

    monkeypatch.setattr(tasks, "beat", recording)
    result = runner.invoke(args=["tasks", "run", "credentials"])
    assert result.exit_code == 0, result.output
    assert f"{count} issued, 0 revoked, {count} of {count}" in result.output
    assert [b["processed"] for b in beats if "processed" in b] == [batch.CHUNK, count]
    assert beats[0] == {"total": count}
    with app.app_context():
        done = db.session.get(CredentialBatch, queued.id)
        assert (done.status, done.percent, done.issued) == (tasks.DONE, 100, count)
        assert batch.status_line(done) == f"Issued: {count} of {count} credentials (100%)."
        issued = db.session.scalar(
            select(func.count(Credential.id)).where(Credential.tenant_id == school.tenant_id)
        )
        assert issued == count
    listed = runner.invoke(args=["tasks", "list"])
    assert "credentials:" in listed.output


def test_the_tick_is_throttled_until_something_becomes_due(app, school):
    student = school.person("student")
    batch._last_tick.clear()
    with app.app_context():
        give_work(student.ctx(), hours=8)
        db.session.commit()  # an evaluation committed: due at the next tick
        assert batch.run_scheduled(app) == 1
        waiting = give_work(student.ctx(), hours=8, status="submitted")
        db.session.commit()
        assert batch.run_scheduled(app) == 0  # ran (the evaluation lifted the throttle): not done
        # completed behind the ORM's back: nothing lifts the throttle, so it waits
        db.session.execute(
            update(Engagement).where(Engagement.id == waiting.id).values(status="completed")
        )
        db.session.commit()
        assert sync.pending_count(school.tenant_id) == 1
        assert batch.run_scheduled(app) == 0
        assert sync.pending_count(school.tenant_id) == 1
        give_work(student.ctx(), hours=8)  # another evaluation committed
        db.session.commit()
        assert batch.run_scheduled(app) == 2


def test_two_runners_issuing_at_once_issue_each_credential_once(app, school):
    """Threads started on a barrier, each with its own connection and real commits (the
    partial unique index on a subject's valid credential decides; PostgreSQL in CI, SQLite's
    single writer here too)."""
    import threading

    from lti_tool.actor import Actor

    student = school.person("student")
    with app.app_context():
        for _ in range(3):
            give_work(student.ctx(), hours=8)
        db.session.commit()
    barrier = threading.Barrier(2)
    issued: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            try:
                issued.append(sync.sync_tenant(Actor(school.tenant_id, "tests")).issued)
                db.session.commit()
            except BaseException as exc:  # a lost race must not escape as an error either
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sum(issued) == 3
    with app.app_context():
        subjects = db.session.scalars(
            select(Credential.subject_key).where(Credential.tenant_id == school.tenant_id)
        ).all()
        assert len(subjects) == len(set(subjects)) == 3
