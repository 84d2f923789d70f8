"""SQLite, the embedded default, never answers 500 under concurrency: a request that may write
takes the write lock when its transaction begins (``BEGIN IMMEDIATE``, ``lti_tool.settings``),
so another writer committing between its first read and its first write — the in-process
outbox runner, another worker — waits its turn instead of making the request fail with
"database is locked". The interleaving is forced, step by step, with a second connection that
does not wait (``timeout=0``) standing in for the runner: no threads, no sleeps."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from lti_tool.actor import Actor
from lti_tool.models import AuditEntry
from lti_tool.services import audit


@pytest.fixture
def file_app(tmp_path):
    from flask_migrate import upgrade

    from lti_tool import create_app

    path = tmp_path / "writers.db"
    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        upgrade(revision="heads")
    return app, path


def _runner_connection(path) -> sqlite3.Connection:
    """Another process's connection (the runner's, another worker's) that never waits."""
    return sqlite3.connect(path, timeout=0, isolation_level=None)


def _runner_writes(conn: sqlite3.Connection, action: str) -> None:
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO audit_entry (actor, action, detail, created_at) VALUES ('runner', ?, '{}', "
        "CURRENT_TIMESTAMP)",
        (action,),
    )
    conn.execute("COMMIT")


def test_the_interleaving_fails_without_the_write_lock_first(tmp_path):
    """The control: with Python's own deferred transactions, a writer that read first and meets
    another writer's commit fails — the 500 a supervisor's "accept" once got."""
    path = tmp_path / "control.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    request = sqlite3.connect(path, timeout=0, isolation_level=None)
    request.execute("BEGIN")
    request.execute("SELECT count(*) FROM t").fetchone()  # the request's first read
    setup.execute("INSERT INTO t VALUES (1)")  # the runner commits in between
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        request.execute("INSERT INTO t VALUES (2)")  # the request's first write


def test_a_request_that_may_write_holds_the_lock_from_its_first_read(file_app):
    app, path = file_app
    runner = _runner_connection(path)
    with app.test_request_context("/work/applications/1/decision", method="POST"):
        from lti_tool.extensions import db

        before = db.session.scalar(select(func.count()).select_from(AuditEntry))
        # The runner tries to commit between the request's read and its write: it waits its
        # turn (here, not waiting at all, it is told the database is busy)...
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _runner_writes(runner, "runner.between")
        if runner.in_transaction:
            runner.execute("ROLLBACK")
        # ...and the request's write and commit go through.
        audit.record(Actor.cli(), "request.write")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    _runner_writes(runner, "runner.after")  # its turn now
    with app.app_context():
        from lti_tool.extensions import db

        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"request.write", "runner.after"} <= actions and "runner.between" not in actions


def test_a_page_view_does_not_hold_the_write_lock(file_app):
    """A GET never writes: its transaction only reads, and writers go on beside it."""
    app, path = file_app
    runner = _runner_connection(path)
    with app.test_request_context("/home/student", method="GET"):
        from lti_tool.extensions import db

        db.session.scalar(select(func.count()).select_from(AuditEntry))
        _runner_writes(runner, "runner.beside_a_page")  # not refused
        db.session.rollback()
    with app.app_context():
        from lti_tool.extensions import db

        assert "runner.beside_a_page" in set(db.session.scalars(select(AuditEntry.action)))
