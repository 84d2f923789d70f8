"""INSERT .. ON CONFLICT on the session's database (PostgreSQL, or SQLite in development and
tests): one way to write a row unless it exists, or to write it over what exists.

Statements are Core statements built once per dialect, table and shape and executed on the
session's connection: no ORM bulk machinery per call, and one compiled statement for many rows.
Like every service, these only execute (flush), never commit. And ``plan_for_values``: a
transaction's statements planned for their own values on PostgreSQL (a search over many rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db

_STATEMENTS: dict[tuple[Any, ...], Any] = {}


def _table(model: Any) -> Table:
    return model if isinstance(model, Table) else model.__table__


def dialect_insert(model: Any) -> Any:
    """``INSERT`` into a model or table in the session's dialect (the one with ON CONFLICT)."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_table(model))


def insert_ignoring_conflicts(model: Any, index_elements: Sequence[str] | None = None) -> Any:
    """``INSERT .. ON CONFLICT DO NOTHING`` (on ``index_elements``, or any unique constraint),
    built once per dialect: a row that exists, or that a concurrent request just wrote, is left."""
    table = _table(model)
    dialect = db.session.get_bind().dialect.name
    key = ("ignore", dialect, table.name, tuple(index_elements or ()))
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = dialect_insert(table).on_conflict_do_nothing(
            index_elements=list(index_elements) if index_elements else None
        )
    return stmt


def insert_rows(model: Any, rows: list[dict[str, Any]], *, ignore_conflicts: bool = False) -> None:
    """One executemany INSERT of many rows (the driver batches them; the statement compiles
    once); with ``ignore_conflicts``, ON CONFLICT DO NOTHING on any unique constraint."""
    if not rows:
        return
    stmt = insert_ignoring_conflicts(model) if ignore_conflicts else dialect_insert(model)
    db.session.execute(stmt, rows)


def upsert(model: Any, keys: Sequence[str], values: dict[str, Any], update: Sequence[str]) -> int:
    """``INSERT .. ON CONFLICT (keys) DO UPDATE SET update .. RETURNING id``: the row's id,
    whether it was written or updated. Built once per dialect, table and shape."""
    conn = db.session.connection()
    table = _table(model)
    key = ("upsert", conn.dialect.name, table.name, tuple(keys), tuple(values), tuple(update))
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        module = postgresql if conn.dialect.name == "postgresql" else sqlite
        ins = module.insert(table).values({k: bindparam(k, type_=table.c[k].type) for k in values})
        stmt = _STATEMENTS[key] = ins.on_conflict_do_update(
            index_elements=list(keys), set_={k: ins.excluded[k] for k in update}
        ).returning(table.c.id)
    return int(conn.execute(stmt, values).scalar_one())


_PLAN_FOR_VALUES = text("SELECT set_config('plan_cache_mode', 'auto', true)")
_PLAN_KEY = "plan_for_values"  # session.info: the transaction it was set in


def plan_for_values() -> None:
    """PostgreSQL: from here to the end of the transaction, statements are planned for their
    own values, as the server does by default. The connection's generic plans
    (``POSTGRESQL_PLAN_CACHE_MODE``) are for the pages' lookups by id; a search over many rows
    whose best plan depends on the values (the student's "For you" picks) asks for this
    first. One statement, once a transaction."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.in_transaction() and session.info.get(_PLAN_KEY) is session.get_transaction():
        return
    session.execute(_PLAN_FOR_VALUES)
    session.info[_PLAN_KEY] = session.get_transaction()
