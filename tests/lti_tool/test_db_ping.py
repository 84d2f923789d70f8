"""A pooled connection to the database server is pinged before use only after it sat idle
(``DATABASE_PING_AFTER_IDLE_S``, ``lti_tool.db_ping``; issue 16): one a worker used a moment ago
is used as it is, one idle longer is pinged and, when the server closed it meanwhile (a
restart, a failover, a proxy's timeout), replaced before the request's first statement. SQLite's
connections are never pinged. On SQLite the PostgreSQL cases check only that."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from lti_tool import create_app
from lti_tool.db_ping import ping_when_idle
from lti_tool.extensions import db


class Clock:
    """A monotonic clock the test moves (no sleeping)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _server(database_url: str) -> bool:
    return not database_url.startswith("sqlite")


@dataclass
class Pool:
    engine: Any
    pings: list[int]
    clock: Clock


@pytest.fixture
def pool(database_url: str) -> Iterator[Pool | None]:
    """The test database's pool, pinged after 1 s idle by a clock the test moves, its pings
    counted; None on SQLite (nothing pings there)."""
    if not _server(database_url):
        yield None
        return
    engine = create_engine(make_url(database_url).set(drivername="postgresql+psycopg"))
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> Any:
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    clock = Clock()
    ping_when_idle(engine, 1.0, clock)
    try:
        yield Pool(engine, pings, clock)
    finally:
        engine.dispose()


def _pid(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _close_from_the_server(database_url: str, pid: int) -> None:
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(plain, autocommit=True) as admin:
        # with a timeout, PostgreSQL answers once the backend has exited (not at the signal)
        ended = admin.execute("SELECT pg_terminate_backend(%s, 30000)", (pid,)).fetchone()
        assert ended == (True,)


def test_a_connection_used_a_moment_ago_is_not_pinged_and_one_idle_is(pool):
    if pool is None:
        return
    first = _pid(pool.engine)  # a new connection: not pinged
    pool.clock.now += 0.5
    assert _pid(pool.engine) == first and pool.pings == []  # in use half a second ago
    pool.clock.now += 1.0
    assert _pid(pool.engine) == first and pool.pings == [1]  # idle a second: pinged, alive


def test_an_idle_connection_the_server_closed_is_replaced_before_use(pool, database_url):
    if pool is None:
        return
    first = _pid(pool.engine)
    _close_from_the_server(database_url, first)
    pool.clock.now += 5
    second = _pid(pool.engine)  # no error: the ping found it closed, the pool opened another
    assert second != first and pool.pings == [1]


def test_a_connection_closed_while_in_recent_use_fails_once_then_the_pool_recovers(
    pool, database_url
):
    """What the idle threshold gives up: a connection the server closed within a second of its
    last use is not pinged; its statement fails (as one in use at that moment would with
    ``pool_pre_ping`` too), and the pool drops it for the next."""
    if pool is None:
        return
    first = _pid(pool.engine)
    _close_from_the_server(database_url, first)
    with pytest.raises(OperationalError):
        _pid(pool.engine)
    assert _pid(pool.engine) != first and pool.pings == []


def test_the_app_replaces_a_closed_connection_before_a_request_uses_it(database_url):
    """Wired in the app factory: with 0 (every checkout pinged) a request whose pooled
    connection the server closed is answered all the same."""
    app = create_app(
        "config.testing", SQLALCHEMY_DATABASE_URI=database_url, DATABASE_PING_AFTER_IDLE_S=0
    )
    with app.app_context():
        engine = db.engine
        if not _server(database_url):
            assert not engine.pool.dispatch.checkout  # SQLite: nothing listens, nothing pings
            return
        with engine.connect() as conn:
            pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    try:
        _close_from_the_server(database_url, pid)
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200, ready.get_data(as_text=True)
    finally:
        engine.dispose()


def test_a_negative_idle_time_is_refused_at_start(database_url):
    with pytest.raises(ValueError, match="DATABASE_PING_AFTER_IDLE_S must be 0 or more"):
        create_app(
            "config.testing", SQLALCHEMY_DATABASE_URI=database_url, DATABASE_PING_AFTER_IDLE_S=-1
        )
