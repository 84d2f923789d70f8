"""psycopg's cursor with the description built when read (``lti_tool.pg_cursor``, issue 16).

SQLAlchemy reads ``cursor.description`` after every statement, and for a statement it compiled
before it needs only to know that there is one: psycopg's ``Column`` objects (one per result
column, about 200 on the engagement page) were built and thrown away. The tool's PostgreSQL
connections now build them only when something reads them, and what is read is psycopg's own.
SQLite's connections take no such option: on SQLite the cases check only that."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.pg_cursor import Cursor, Description


def _server(database_url: str) -> bool:
    return not database_url.startswith("sqlite")


def _plain(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


@pytest.fixture
def cursors(database_url: str) -> Iterator[tuple[Any, Any] | None]:
    """Two cursors on the test database, the tool's and psycopg's own; None on SQLite."""
    if not _server(database_url):
        yield None
        return
    with (
        psycopg.connect(_plain(database_url), cursor_factory=Cursor) as ours,
        psycopg.connect(_plain(database_url)) as theirs,
    ):
        yield ours.cursor(), theirs.cursor()


STATEMENT = "SELECT 1 AS one, 'x'::varchar(7) AS name, now() AS at, ARRAY[1.5] AS list"


def test_the_description_is_psycopgs_own_when_read(cursors):
    if cursors is None:
        return
    ours, theirs = cursors
    ours.execute(STATEMENT)
    theirs.execute(STATEMENT)
    lazy, plain = ours.description, theirs.description
    assert isinstance(lazy, Description) and lazy._columns is None
    assert len(lazy) == 4 and lazy._columns is None  # counting builds nothing
    assert [tuple(c) for c in lazy] == [tuple(c) for c in plain]
    assert [c.type_display for c in lazy] == [c.type_display for c in plain]
    assert lazy[1].type_display == "varchar(7)" and lazy[3].type_display == "numeric[]"
    assert lazy[1].name == "name" and [c.name for c in lazy[2:]] == ["at", "list"]
    assert ours.fetchone()[:2] == (1, "x")


def test_a_description_keeps_its_own_result_after_the_next_statement(cursors):
    if cursors is None:
        return
    ours, _ = cursors
    ours.execute("SELECT 1 AS first")
    kept = ours.description
    ours.execute("SELECT 2 AS second, 3 AS third")
    assert [c.name for c in kept] == ["first"]
    assert [c.name for c in ours.description] == ["second", "third"]


def test_statements_without_rows_have_none_and_an_empty_select_has_an_empty_one(cursors):
    if cursors is None:
        return
    ours, theirs = cursors
    for cur in (ours, theirs):
        cur.execute("CREATE TEMPORARY TABLE t_cursor (x int)")
        assert cur.description is None
        cur.execute("INSERT INTO t_cursor VALUES (1)")
        assert cur.description is None
        cur.execute("SELECT ;")  # tuples, and no column
        assert cur.description is not None and list(cur.description) == []


def test_the_apps_statements_build_no_column_once_compiled(app, database_url, monkeypatch):
    """Through the app factory (``app``: the migrated test database): the tool's engine uses
    the cursor; the second run of an ORM statement builds no ``Column`` (SQLAlchemy keeps its
    result's columns), a textual one still reads its columns, and the rows are right."""
    tool = create_app("config.testing", SQLALCHEMY_DATABASE_URI=database_url)
    with tool.app_context():
        options = tool.config["SQLALCHEMY_ENGINE_OPTIONS"]
        if not _server(database_url):
            assert "cursor_factory" not in options.get("connect_args", {})
            return
        built: list[int] = []
        original = psycopg.Column.__init__

        def counted(self: Any, cursor: Any, index: int) -> None:
            built.append(index)
            original(self, cursor, index)

        try:
            assert db.session.connection().connection.dbapi_connection.cursor_factory is Cursor
            statement = select(Tenant.id, Tenant.name).where(Tenant.id == -1)
            assert db.session.execute(statement).all() == []  # compiled, its columns kept
            monkeypatch.setattr(psycopg.Column, "__init__", counted)
            assert db.session.execute(statement).all() == []
            assert built == []
            row = db.session.execute(text("SELECT 7 AS seven, 'b' AS bee")).one()
            assert (row.seven, row.bee) == (7, "b") and built == [0, 1]
        finally:
            db.session.rollback()
            db.engine.dispose()


def test_an_operators_connection_arguments_are_kept(database_url):
    tool = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"application_name": "career-credit-web"}},
    )
    connect = tool.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert connect["application_name"] == "career-credit-web"
    if _server(database_url):
        assert connect["cursor_factory"] is Cursor
        with tool.app_context():
            name = db.session.scalar(text("SELECT current_setting('application_name')"))
            db.session.rollback()
            db.engine.dispose()
        assert name == "career-credit-web"


def test_a_long_statement_is_parsed_once(database_url):
    """psycopg parses a statement's placeholders once and keeps the result, but by default
    only for statements of 4,096 bytes or less; the app lets it keep the tool's longest reads
    (16 KiB, 500 parameters). A psycopg release that drops the settings fails here, so
    the change is seen."""
    from psycopg import _queries

    tool = create_app("config.testing", SQLALCHEMY_DATABASE_URI=database_url)
    if not _server(database_url):
        assert "cursor_factory" not in tool.config["SQLALCHEMY_ENGINE_OPTIONS"].get(
            "connect_args", {}
        )
        return
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= 16_384
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= 500
    columns = ", ".join(f"%(p{i})s::int AS column_{i:03d}_with_a_long_name" for i in range(120))
    statement = f"SELECT {columns}"
    assert len(statement) > 4096
    params = {f"p{i}": i for i in range(120)}
    with psycopg.connect(_plain(database_url), cursor_factory=Cursor) as conn:
        conn.execute(statement, params)
        before = _queries._query2pg.cache_info()
        row = conn.execute(statement, params).fetchone()
        after = _queries._query2pg.cache_info()
    assert row == tuple(range(120))
    assert after.hits == before.hits + 1 and after.misses == before.misses
