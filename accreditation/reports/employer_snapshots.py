"""The advisor's employer figures, kept (issue 21): working them out reads every listing,
engagement, rating, offer and payment of the institution (seconds at a state system's size),
so the page shows them as last worked out, with their age, as the course roster is shown.

They are kept as rows (issue 16): a snapshot per tenant and term (its ``data``: how many
employers, the counts at a glance) and a row per employer at its position by name, holding its
figures and its offers by program, so a page reads the rows of its own employers only.

- ``kept_figures``: the figures of a term ("" all time) for a page. A page writes nothing: with
  none kept (or a snapshot kept before the rows were), they are worked out for this view and
  keeping them is handed to the process's work pool; kept ones older than
  ``EMPLOYER_FIGURES_MAX_AGE_S`` are shown while the pool works them out again (``refreshing``);
- ``refresh_soon``: "Refresh now" (a POST): handed to the pool, or worked out at once when the
  process has none (``JOB_RUNNER = "off"``);
- ``refresh``: work them out now and keep them (the pool's job; benchmarks and tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, select

from lti_tool.extensions import db
from lti_tool.models import utcnow

from . import employer_figures as figures
from .keeping import Keeper, keep, pool_runs
from .models import EmployerFiguresRow, EmployerFiguresSnapshot
from .services.common import Table, Term, terms

PROGRAM_HEADERS = ("Employer", "Program", "Offers made", "Offers accepted")


@dataclass(frozen=True)
class Worked:
    """Figures worked out: each employer's row (``figures.HEADERS``) by name with its offers
    by program, the offers of employers that have no row (``unplaced``: their listings are not
    published) and the snapshot's ``data``."""

    rows: list[list[Any]]
    programs: list[list[list[Any]]]  # per row: (employer, program, made, accepted)
    unplaced: list[list[Any]]
    glance: dict[str, int]

    @property
    def data(self) -> dict[str, Any]:
        return {
            "employers": len(self.rows),
            "programs": sum(len(p) for p in self.programs) + len(self.unplaced),
            "unplaced": self.unplaced,
            "glance": self.glance,
        }


@dataclass(frozen=True)
class Kept:
    """Figures as kept (or worked out for this view, ``worked``): how many employers and offer
    rows, the counts at a glance, when they were worked out; the rows are read by position."""

    tenant_id: int
    total: int  # employers
    program_total: int  # (employer, program) rows
    unplaced: list[list[Any]]
    glance: dict[str, int]
    computed_at: dt.datetime
    refreshing: bool
    snapshot_id: int | None = None  # None: worked out for this view
    worked: Worked | None = field(default=None, repr=False)

    def page(self, start: int, stop: int) -> tuple[list[list[Any]], list[list[Any]]]:
        """The rows of positions ``start`` to ``stop`` (excluded) and their offers by program."""
        if self.worked is not None:
            programs = self.worked.programs[start:stop]
            return self.worked.rows[start:stop], [p for rows in programs for p in rows]
        found = db.session.execute(
            self._stored(EmployerFiguresRow.row, EmployerFiguresRow.programs).where(
                EmployerFiguresRow.position >= start, EmployerFiguresRow.position < stop
            )
        ).all()
        return [row for row, _ in found], [p for _, programs in found for p in programs]

    def every_row(self) -> list[list[Any]]:
        """Every employer's row, by name (the CSV)."""
        if self.worked is not None:
            return self.worked.rows
        return list(db.session.scalars(self._stored(EmployerFiguresRow.row)))

    def every_program(self) -> list[list[Any]]:
        """Every (employer, program) row: the employers' by name, then those of employers
        without a row (the program CSV)."""
        if self.worked is not None:
            per_row = self.worked.programs
        else:
            per_row = list(db.session.scalars(self._stored(EmployerFiguresRow.programs)))
        return [p for rows in per_row for p in rows] + self.unplaced

    def _stored(self, *columns: Any) -> Any:
        return (
            select(*columns)
            .where(
                EmployerFiguresRow.tenant_id == self.tenant_id,
                EmployerFiguresRow.snapshot_id == self.snapshot_id,
            )
            .order_by(EmployerFiguresRow.position)
        )


def table(rows: list[list[Any]]) -> Table:
    return Table("Employer figures", figures.HEADERS, rows)


def program_table(rows: list[list[Any]]) -> Table:
    return Table("Offers by employer and program", PROGRAM_HEADERS, rows)


def _work_out(tenant_id: int, term: Term | None) -> Worked:
    found = figures.employer_figures(tenant_id, term)
    rows = [list(row) for row in figures.figures_table(found).rows]
    at: dict[str, int] = {}
    for position, row in enumerate(rows):
        at.setdefault(row[0], position)  # offers are counted by employer name
    programs: list[list[list[Any]]] = [[] for _ in rows]
    unplaced: list[list[Any]] = []
    for offer in found.offers_by_program:
        found_at = at.get(offer[0])
        (unplaced if found_at is None else programs[found_at]).append(list(offer))
    glance = {
        "hosting": found.hosting_employers,
        "repeat": found.repeat_employers,
        "offers": sum(e.offers for e in found.employers),
        "accepted": sum(e.accepted for e in found.employers),
    }
    return Worked(rows, programs, unplaced, glance)


def _row(tenant_id: int, key: str) -> EmployerFiguresSnapshot | None:
    return db.session.scalar(
        select(EmployerFiguresSnapshot).where(
            EmployerFiguresSnapshot.tenant_id == tenant_id,
            EmployerFiguresSnapshot.term_key == key,
        )
    )


def refresh(tenant_id: int, term: Term | None) -> EmployerFiguresSnapshot:
    """Work the figures of ``term`` out now and keep them: the snapshot, then its rows replaced
    (flushes; one transaction, the caller's)."""
    key = term.name if term else ""
    worked = _work_out(tenant_id, term)
    # keep() updates the snapshot's row first: a second process keeping the same figures
    # waits on that row until this transaction ends, then replaces the rows this one wrote.
    snapshot = keep(EmployerFiguresSnapshot, tenant_id, key, data=worked.data, computed_at=utcnow())
    db.session.execute(
        delete(EmployerFiguresRow)
        .where(
            EmployerFiguresRow.tenant_id == tenant_id,
            EmployerFiguresRow.snapshot_id == snapshot.id,
        )
        .execution_options(synchronize_session=False)
    )
    if worked.rows:
        db.session.execute(
            insert(EmployerFiguresRow),
            [
                {
                    "snapshot_id": snapshot.id,
                    "position": position,
                    "tenant_id": tenant_id,
                    "row": row,
                    "programs": programs,
                }
                for position, (row, programs) in enumerate(
                    zip(worked.rows, worked.programs, strict=True)
                )
            ],
        )
    db.session.flush()
    return snapshot


def _kept(tenant_id: int, data: dict[str, Any], computed_at: dt.datetime, **more: Any) -> Kept:
    return Kept(
        tenant_id=tenant_id,
        total=int(data.get("employers", 0)),
        program_total=int(data.get("programs", 0)),
        unplaced=list(data.get("unplaced", [])),
        glance=dict(data.get("glance", {})),
        computed_at=computed_at,
        **more,
    )


def kept_figures(tenant_id: int, term: Term | None) -> Kept:
    """The figures a page shows (see the module's docstring); writes nothing."""
    row = _row(tenant_id, term.name if term else "")
    if row is None or "employers" not in (row.data or {}):  # none, or kept before the rows
        worked = _work_out(tenant_id, term)
        _refresh_later(tenant_id, term)
        return _kept(tenant_id, worked.data, utcnow(), refreshing=False, worked=worked)
    max_age = dt.timedelta(seconds=float(current_app.config["EMPLOYER_FIGURES_MAX_AGE_S"]))
    stale = utcnow() - row.computed_at > max_age
    refreshing = stale and _refresh_later(tenant_id, term)
    return _kept(tenant_id, row.data, row.computed_at, refreshing=refreshing, snapshot_id=row.id)


def refresh_soon(tenant_id: int, term: Term | None) -> bool:
    """ "Refresh now": handed to the work pool (True; a job already waiting is that one), or
    worked out and kept at once when the process has none (False)."""
    if pool_runs():
        _refresh_later(tenant_id, term)
        return True
    refresh(tenant_id, term)
    return False


_keeper = Keeper("employer figures")


def _refresh_later(tenant_id: int, term: Term | None) -> bool:
    """Hand working out the figures to the work pool, once per tenant and term while one
    waits; False when none was handed over (no pool, or one already waits)."""
    key = term.name if term else ""
    return _keeper.later(tenant_id, key, _refresh_in_background, tenant_id, key)


def _refresh_in_background(tenant_id: int, term_key: str) -> None:
    """The work pool's job (``Keeper.job`` commits it)."""
    term = next((t for t in terms(tenant_id) if t.name == term_key), None)
    if term_key and term is None:
        return  # the term is gone
    refresh(tenant_id, term)
