"""The advisor home's figures (issue 16): this term's counts, engagements per state and the
students at risk, shown by the reports home (``/reports/``) and the advisor's home panel.

At most institutions they take a few milliseconds and are worked out for every view, so they
are always current. At a state system's size (millions of engagements and hour logs) their
exact aggregates take more than half a second, so past ``ADVISOR_HOME_KEEP_FROM`` engagements
they are kept per tenant and term and shown with their age, as the employer figures are:

- ``home_figures``: what a view shows; writes nothing. Kept figures no older than
  ``ADVISOR_HOME_MAX_AGE_S`` are shown as they are; older ones are shown while the work pool
  works them out again (``refreshing``), or, in a process without a pool, worked out for the
  view. Figures worked out for a view at a large institution are handed to the pool to keep.
  Kept figures worked out under other at-risk thresholds are never shown.
- ``refresh_soon``: "Refresh now" (a POST): handed to the pool, or kept at once without one.
- ``forget_people``: the erasure hook: the kept at-risk lists name students, so a person's
  erasure drops the tenant's kept figures (worked out again on the next view).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, true

from lti_tool.extensions import db
from lti_tool.models import utcnow

from .keeping import Keeper, keep, pool_runs
from .models import AdvisorHomeSnapshot
from .services import dashboard, glance
from .services.common import Term
from .services.risk import Thresholds, tenant_thresholds


@dataclass(frozen=True)
class HomeFigures:
    counts: dashboard.HomeCounts
    states: list[tuple[str, int]]  # engagements per state, every state in order
    at_risk: glance.AtRisk  # the newest glance.TOP at risk
    computed_at: dt.datetime | None = None  # kept figures: when; None: worked out for this view
    refreshing: bool = False  # being worked out again now

    def at_risk_top(self, top: int) -> glance.AtRisk:
        """The students at risk among the newest ``top`` engagements (the home panel's 3)."""
        return glance.newest(self.at_risk, top)


def work_out(
    tenant_id: int, term: Term | None, limits: Thresholds, today: dt.date, now: dt.datetime
) -> HomeFigures:
    """The figures now, from the database, in one statement: the counts, the states and the
    students at risk."""
    in_term, params = dashboard.counts_parameters(tenant_id, term)
    statement = _figures_statement(in_term, glance.at_risk_statement(limits, today, now))
    rows = db.session.execute(statement, params).all()
    counts = len(dashboard.counts_columns(in_term))
    states = counts + len(glance.STATE_COLUMNS)
    # the counts' one row, repeated beside each engagement at risk (NULLs beside none)
    at_risk = [row[states:] for row in rows if row[states + glance.AT_RISK_ID] is not None]
    return HomeFigures(
        counts=dashboard.counts_of(term, rows[0][:counts]),
        states=glance.states_of(rows[0][counts:states]),
        at_risk=glance.at_risk_of(at_risk, limits),
    )


@functools.lru_cache(maxsize=16)
def _figures_statement(in_term: bool, at_risk: Any) -> Any:
    """The home's counts and engagements per state (one row) outer-joined to the students at
    risk (``glance.at_risk_statement``, kept per thresholds, day and minute): one statement
    instead of two, built once for each."""
    counts = select(*dashboard.counts_columns(in_term), *glance.STATE_COLUMNS).subquery()
    newest = at_risk.subquery()
    return (
        select(counts, newest)
        .select_from(counts)
        .outerjoin(newest, true())
        .order_by(newest.c.id.desc())
    )


def home_figures(
    tenant_id: int, term: Term | None, limits: Thresholds, today: dt.date, now: dt.datetime
) -> HomeFigures:
    """The figures a view shows (see the module's docstring); writes nothing."""
    key = term.name if term else ""
    keep_from = int(current_app.config["ADVISOR_HOME_KEEP_FROM"])
    # An institution this process last found small is worked out without looking for kept
    # figures (a statement saved on every view of a usual institution). Worked-out figures
    # are always right: at worst one view of a newly large institution is slow.
    small = _engagements_seen.get(tenant_id, keep_from) < keep_from
    row = None if small else db.session.scalar(_row_statement(tenant_id, key))
    kept = _loaded(row, term, limits) if row is not None else None
    if kept is not None:
        max_age = dt.timedelta(seconds=float(current_app.config["ADVISOR_HOME_MAX_AGE_S"]))
        if kept.computed_at is not None and utcnow() - kept.computed_at <= max_age:
            return kept
        if pool_runs():
            _keeper.later(tenant_id, key, _refresh_in_background, tenant_id, term, today)
            return dataclasses.replace(kept, refreshing=True)
    figures = work_out(tenant_id, term, limits, today, now)
    engagements = sum(n for _, n in figures.states)
    _engagements_seen[tenant_id] = engagements
    if engagements >= keep_from:
        data = _data(figures, limits)
        _keeper.later(tenant_id, key, _keep, tenant_id, key, engagements, data, utcnow())
    return figures


def refresh(tenant_id: int, term: Term | None, today: dt.date) -> HomeFigures:
    """Work the figures out now and keep them (flushes); the tenant's thresholds."""
    limits = tenant_thresholds(tenant_id)
    figures = work_out(tenant_id, term, limits, today, utcnow())
    engagements = sum(n for _, n in figures.states)
    now = utcnow()
    _keep(tenant_id, term.name if term else "", engagements, _data(figures, limits), now)
    return dataclasses.replace(figures, computed_at=now)


def refresh_soon(tenant_id: int, term: Term | None, today: dt.date) -> bool:
    """ "Refresh now": handed to the work pool (True), or kept at once when the process has
    none (False)."""
    key = term.name if term else ""
    if pool_runs():
        _keeper.later(tenant_id, key, _refresh_in_background, tenant_id, term, today)
        return True
    refresh(tenant_id, term, today)
    return False


def forget_people(tenant_id: int, user_id: int) -> dict[str, int]:
    """The erasure hook: drop the tenant's kept home figures (their at-risk lists name
    students); counts only."""
    del user_id  # any kept list may name them: the tenant's are dropped
    result = db.session.execute(
        delete(AdvisorHomeSnapshot).where(AdvisorHomeSnapshot.tenant_id == tenant_id)
    )
    return {"advisor_home_figures": int(getattr(result, "rowcount", 0) or 0)}


# --- kept figures as JSON --------------------------------------------------------------------

_keeper = Keeper("advisor home figures")
# tenant id -> its engagements when this process last worked its figures out
_engagements_seen: dict[int, int] = {}


def _row_statement(tenant_id: int, key: str) -> Any:
    return select(AdvisorHomeSnapshot).where(
        AdvisorHomeSnapshot.tenant_id == tenant_id, AdvisorHomeSnapshot.term_key == key
    )


def _plain_limits(limits: Thresholds) -> dict[str, Any]:
    return dataclasses.asdict(limits)


def _data(figures: HomeFigures, limits: Thresholds) -> dict[str, Any]:
    counts = dataclasses.asdict(figures.counts)
    del counts["term"]
    return {
        "limits": _plain_limits(limits),
        "counts": counts,
        "states": [list(pair) for pair in figures.states],
        "at_risk": glance.at_risk_data(figures.at_risk),
    }


def _loaded(row: AdvisorHomeSnapshot, term: Term | None, limits: Thresholds) -> HomeFigures | None:
    """The kept figures a view may show, or None: those of a large institution worked out
    under today's thresholds (and kept by this version: other shapes are worked out again)."""
    data = row.data or {}
    large = row.engagements >= int(current_app.config["ADVISOR_HOME_KEEP_FROM"])
    if not large or data.get("limits") != _plain_limits(limits):
        return None
    try:
        return HomeFigures(
            counts=dashboard.HomeCounts(term=term, **data["counts"]),
            states=[(str(state), int(n)) for state, n in data["states"]],
            at_risk=glance.at_risk_from_data(data["at_risk"]),
            computed_at=row.computed_at,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _keep(
    tenant_id: int, key: str, engagements: int, data: dict[str, Any], computed_at: dt.datetime
) -> AdvisorHomeSnapshot:
    """Keep figures worked out elsewhere (flushes; the pool's ``Keeper.job`` commits)."""
    return keep(
        AdvisorHomeSnapshot,
        tenant_id,
        key,
        engagements=engagements,
        data=data,
        computed_at=computed_at,
    )


def _refresh_in_background(tenant_id: int, term: Term | None, today: dt.date) -> None:
    refresh(tenant_id, term, today)
