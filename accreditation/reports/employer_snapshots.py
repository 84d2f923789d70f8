"""The advisor's employer figures, kept (issue 21): working them out reads every listing,
engagement, rating, offer and payment of the institution (seconds at a state system's size),
so the page shows them as last worked out, with their age, as the course roster is shown.

- ``kept_figures``: the figures of a term ("" all time) for a page. A page writes nothing: with
  none kept, they are worked out for this view and keeping them is handed to the process's work
  pool; kept ones older than ``EMPLOYER_FIGURES_MAX_AGE_S`` are shown while the pool works them
  out again (``refreshing``);
- ``refresh_soon``: "Refresh now" (a POST): handed to the pool, or worked out at once when the
  process has none (``JOB_RUNNER = "off"``);
- ``refresh``: work them out now and keep them (the pool's job; benchmarks and tests)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.models import utcnow

from . import employer_figures as figures
from .keeping import Keeper, keep
from .models import EmployerFiguresSnapshot
from .services.common import Table, Term, terms


@dataclass(frozen=True)
class Kept:
    """Figures as kept: the table rows (``figures.HEADERS``), the offers by employer and program,
    the counts at a glance, and when they were worked out."""

    rows: list[list[Any]]
    programs: list[list[Any]]
    glance: dict[str, int]
    computed_at: dt.datetime
    refreshing: bool

    @property
    def table(self) -> Table:
        return Table("Employer figures", figures.HEADERS, self.rows)

    @property
    def program_table(self) -> Table:
        return Table(
            "Offers by employer and program",
            ("Employer", "Program", "Offers made", "Offers accepted"),
            self.programs,
        )


def _data(tenant_id: int, term: Term | None) -> dict[str, Any]:
    found = figures.employer_figures(tenant_id, term)
    return {
        "rows": [list(row) for row in figures.figures_table(found).rows],
        "programs": [list(row) for row in found.offers_by_program],
        "glance": {
            "hosting": found.hosting_employers,
            "repeat": found.repeat_employers,
            "offers": sum(e.offers for e in found.employers),
            "accepted": sum(e.accepted for e in found.employers),
        },
    }


def _row(tenant_id: int, key: str) -> EmployerFiguresSnapshot | None:
    return db.session.scalar(
        select(EmployerFiguresSnapshot).where(
            EmployerFiguresSnapshot.tenant_id == tenant_id,
            EmployerFiguresSnapshot.term_key == key,
        )
    )


def refresh(tenant_id: int, term: Term | None) -> EmployerFiguresSnapshot:
    """Work the figures of ``term`` out now and keep them (flushes)."""
    key = term.name if term else ""
    return keep(
        EmployerFiguresSnapshot, tenant_id, key, data=_data(tenant_id, term), computed_at=utcnow()
    )


def _kept(data: dict[str, Any], computed_at: dt.datetime, refreshing: bool) -> Kept:
    return Kept(
        rows=list(data.get("rows", [])),
        programs=list(data.get("programs", [])),
        glance=dict(data.get("glance", {})),
        computed_at=computed_at,
        refreshing=refreshing,
    )


def kept_figures(tenant_id: int, term: Term | None) -> Kept:
    """The figures a page shows (see the module's docstring); writes nothing."""
    row = _row(tenant_id, term.name if term else "")
    if row is None:
        kept = _kept(_data(tenant_id, term), utcnow(), refreshing=False)
        _refresh_later(tenant_id, term)
        return kept
    max_age = dt.timedelta(seconds=float(current_app.config["EMPLOYER_FIGURES_MAX_AGE_S"]))
    stale = utcnow() - row.computed_at > max_age
    refreshing = stale and _refresh_later(tenant_id, term)
    return _kept(row.data or {}, row.computed_at, refreshing)


def refresh_soon(tenant_id: int, term: Term | None) -> bool:
    """ "Refresh now": handed to the work pool (True), or worked out and kept at once when
    the process has none (False)."""
    if _refresh_later(tenant_id, term):
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
