"""A pooled database connection is checked before use only after it sat idle.

SQLAlchemy's ``pool_pre_ping`` pings the server on every checkout: a round trip before each
request's first statement (and again after a transaction ended before a network wait), about
2 % of the tool's CPU under the soak benchmark, and as much of the server's. A connection a
worker used a moment ago is as alive as the ping would find it, so the ping is kept for the
connections that could have died unseen: those idle ``DATABASE_PING_AFTER_IDLE_S`` seconds or
more (a server restart or failover takes longer than that, so every connection is pinged after
one; so is one that a proxy or ``idle_session_timeout`` closed while it sat in the pool). A
ping that finds the connection gone raises ``DisconnectionError``: the pool drops it and hands
out a fresh one, as ``pool_pre_ping`` does (SQLAlchemy's "pessimistic disconnect handling").
A connection that dies while in use is, as always, invalidated with the rest of the pool by
the statement that finds it dead.

SQLite needs none of it: its connections are a file, never dropped by a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

IDLE_SINCE = "career_credit_idle_since"


def init_app(app: Flask) -> None:
    """Listen on each engine of a server database (not SQLite); 0 pings on every checkout."""
    from .extensions import db

    idle_s = float(app.config["DATABASE_PING_AFTER_IDLE_S"])
    if idle_s < 0:
        raise ValueError("DATABASE_PING_AFTER_IDLE_S must be 0 or more seconds.")
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name != "sqlite":
                ping_when_idle(engine, idle_s)


def ping_when_idle(
    engine: Engine, idle_s: float, clock: Callable[[], float] = time.monotonic
) -> None:
    """Ping a connection at checkout when it was checked in ``idle_s`` seconds ago or more
    (by ``clock``)."""
    dialect = engine.dialect

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:  # None: a connection detached from the pool
            record.info[IDLE_SINCE] = clock()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or clock() - since < idle_s:
            return  # just opened, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError("The database connection was closed.") from error
            raise

    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checkout)
