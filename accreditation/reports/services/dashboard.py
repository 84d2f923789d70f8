"""The advisor's home: the counts that matter this term, each computed by one aggregate query
over an index, and the grade-sync list behind the last two."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select

from credit.models import CreditAward
from internships.models import Listing
from internships.work.models import Application, Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.jobs.models import FAILED, PENDING, SENDING, OutboxMessage
from lti_tool.notify.mail import KIND as EMAIL_KIND
from lti_tool.quantities import quarter_hours

from .common import Table, Term
from .credit import credits_statement


@dataclass(frozen=True)
class HomeCounts:
    term: Term | None
    open_listings: int
    applications: int
    active_engagements: int
    confirmed_hours: float
    credits_awarded: int
    grades_pending: int
    grades_failed: int


def home_counts(tenant_id: int, term: Term | None) -> HomeCounts:
    """Open listings and active engagements now; applications, confirmed hours and credits in
    the term (all time without one); grades waiting for the LMS or failed. One statement."""
    in_term, params = counts_parameters(tenant_id, term)
    return counts_of(term, db.session.execute(_counts_statement(in_term), params).one())


def counts_parameters(tenant_id: int, term: Term | None) -> tuple[bool, dict[str, Any]]:
    """Whether the counts are of a term, and their statement's parameters."""
    span = term.span if term is not None else None
    params: dict[str, Any] = {"tenant_id": tenant_id}
    if span is not None and term is not None:
        params.update(start_at=span[0], end_at=span[1], start_day=term.start, end_day=term.end)
    return span is not None, params


def counts_columns(in_term: bool) -> list[Any]:
    """The counts statement's columns, for a statement that reads more beside them."""
    return list(_counts_statement(in_term).selected_columns)


def counts_of(term: Term | None, row: Sequence[Any]) -> HomeCounts:
    """The counts from the values of their columns (in ``counts_columns`` order)."""
    listings, applications, active, minutes, credits, pending, failed = row
    return HomeCounts(
        term=term,
        open_listings=int(listings or 0),
        applications=int(applications or 0),
        active_engagements=int(active or 0),
        confirmed_hours=quarter_hours(int(minutes or 0)),
        credits_awarded=int(credits or 0),
        grades_pending=int(pending or 0),
        grades_failed=int(failed or 0),
    )


@functools.cache
def _counts_statement(in_term: bool) -> Any:
    """``home_counts``'s statement, built once (building it was most of its cost): one scalar
    subquery a figure, each over its (tenant, ...) index; ``in_term`` bounds the applications
    and credits by ``start_at``/``end_at`` and the hours by ``start_day``/``end_day``.
    Grades are the outbox messages that are not email (``status_counts`` without email)."""
    tenant: Any = bindparam("tenant_id")
    applications = select(func.count()).where(Application.tenant_id == tenant)
    hours = select(func.coalesce(func.sum(HourLog.minutes), 0)).where(
        HourLog.tenant_id == tenant, HourLog.status == "confirmed"
    )
    credits = credits_statement(tenant)
    if in_term:
        start_at: Any = bindparam("start_at")
        end_at: Any = bindparam("end_at")
        applications = applications.where(
            Application.created_at >= start_at, Application.created_at < end_at
        )
        hours = hours.where(
            HourLog.work_date >= bindparam("start_day"), HourLog.work_date <= bindparam("end_day")
        )
        credits = credits.where(CreditAward.created_at >= start_at, CreditAward.created_at < end_at)

    def grades(*statuses: str) -> Any:
        return select(func.count()).where(
            OutboxMessage.tenant_id == tenant,
            OutboxMessage.status.in_(statuses),
            OutboxMessage.kind != EMAIL_KIND,  # email is not a grade
        )

    return select(
        select(func.count())
        .where(Listing.tenant_id == tenant, Listing.status == "open")
        .scalar_subquery(),
        applications.scalar_subquery(),
        select(func.count())
        .where(Engagement.tenant_id == tenant, Engagement.status == "active")
        .scalar_subquery(),
        hours.scalar_subquery(),
        credits.scalar_subquery(),
        grades(PENDING, SENDING).scalar_subquery(),
        grades(FAILED).scalar_subquery(),
    )


def counts_table(counts: HomeCounts) -> Table:
    """The home counts as a table (for the CSV export)."""
    period = counts.term.name if counts.term else "All time"
    return Table(
        "Counts",
        ("Measure", "Period", "Value"),
        [
            ("Open listings", "Now", counts.open_listings),
            ("Applications", period, counts.applications),
            ("Active engagements", "Now", counts.active_engagements),
            ("Hours confirmed", period, counts.confirmed_hours),
            ("Credits awarded", period, counts.credits_awarded),
            ("Grades waiting to reach the LMS", "Now", counts.grades_pending),
            ("Grades that failed to reach the LMS", "Now", counts.grades_failed),
        ],
    )


GRADE_STATES = {"pending": (PENDING, SENDING), "failed": (FAILED,)}


def grade_sync_table(tenant_id: int, state: str, limit: int = 200) -> Table:
    """The outbox messages (grades) of the tenant waiting or failed, newest first."""
    statuses = GRADE_STATES.get(state, GRADE_STATES["failed"])
    rows = db.session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.source,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.last_http_status,
            OutboxMessage.last_error,
            OutboxMessage.updated_at,
        )
        .where(
            OutboxMessage.tenant_id == tenant_id,
            OutboxMessage.status.in_(statuses),
            OutboxMessage.kind != EMAIL_KIND,
        )
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    return Table(
        "Grades failed" if state == "failed" else "Grades waiting",
        ("Message", "Kind", "About", "Status", "Attempts", "HTTP status", "Error", "Updated"),
        [
            (
                mid,
                kind,
                source,
                status,
                attempts,
                http or "",
                (error or "")[:300],
                _minute(updated),
            )
            for mid, kind, source, status, attempts, http, error, updated in rows
        ],
    )


def _minute(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""
