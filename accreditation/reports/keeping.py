"""Figures kept per tenant and term and worked out again on the process's work pool: the
employer figures (``employer_snapshots``) and the advisor home's figures (``home_snapshots``).

- ``Keeper.later``: hand a job to the pool, once per (tenant, term) while one waits; False when
  none was handed over (the process has no pool, ``JOB_RUNNER = "off"``, or one already waits);
- ``keep``: the snapshot row of a tenant and term, made or updated (flushes; two processes
  keeping the same figures at once both succeed, the later one's figures stay);
- ``Keeper.job``: the pool's side: run the work in its own transaction, commit it, and log (never
  raise) a failure."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lti_tool import workpool
from lti_tool.extensions import db

log = logging.getLogger("career_credit.reports")

Row = TypeVar("Row")


def pool_runs() -> bool:
    """Whether this process has a work pool (``JOB_RUNNER`` not "off")."""
    return str(current_app.config["JOB_RUNNER"]) != "off"


class Keeper:
    """One kind of kept figures: the jobs of it waiting on the pool."""

    def __init__(self, what: str) -> None:
        self.what = what  # for the log: "employer figures"
        self._pending: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def later(self, tenant_id: int, term_key: str, fn: Callable[..., object], *args: Any) -> bool:
        """Run ``fn(*args)`` on the work pool (see ``job``) unless one for this tenant and term
        already waits; whether it was handed over."""
        key = (tenant_id, term_key)
        with self._lock:
            if key in self._pending:
                return False
            self._pending.add(key)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            future = workpool.submit(app, self.job, tenant_id, fn, *args)
        except RuntimeError:  # the pool is shut down (the process is stopping): not handed over
            future = None
        if future is None:
            self._forget(key)
            return False
        future.add_done_callback(lambda _done: self._forget(key))
        return True

    def _forget(self, key: tuple[int, str]) -> None:
        with self._lock:
            self._pending.discard(key)

    def job(self, tenant_id: int, fn: Callable[..., object], *args: Any) -> None:
        """The pool's job: ``fn(*args)`` then commit; a failure is rolled back and logged."""
        try:
            fn(*args)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("%s of tenant %s not kept", self.what, tenant_id)


def keep(model: type[Row], tenant_id: int, term_key: str, **values: Any) -> Row:
    """``model``'s row for the tenant and term with ``values`` (flushes). When another process
    makes the row first (the unique (tenant, term) pair), that row is updated instead."""
    table: Any = model  # a snapshot model: tenant_id, term_key
    where = (table.tenant_id == tenant_id, table.term_key == term_key)
    row = db.session.scalar(select(model).where(*where))
    if row is None:
        try:
            with db.session.begin_nested():
                row = table(tenant_id=tenant_id, term_key=term_key, **values)
                db.session.add(row)
            return row
        except IntegrityError:
            row = db.session.scalar(select(model).where(*where))  # the row that won the race
            if row is None:
                raise
    for name, value in values.items():
        setattr(row, name, value)
    db.session.flush()
    return row
