"""The advisor's home: the counts that matter this term, each computed by one aggregate query
over an index, and the grade-sync list behind the last two."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from internships.models import Listing
from internships.work.models import Application, Engagement, HourLog
from lti_tool.extensions import db
from lti_tool.jobs.models import FAILED, PENDING, SENDING, OutboxMessage
from lti_tool.jobs.outbox import status_counts
from lti_tool.notify.mail import KIND as EMAIL_KIND
from lti_tool.quantities import quarter_hours

from .common import Table, Term
from .credit import credits_awarded


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
    the term (all time without one); grades waiting for the LMS or failed."""
    span = term.span if term else None
    applications = (
        select(func.count()).select_from(Application).where(Application.tenant_id == tenant_id)
    )
    hours = select(func.coalesce(func.sum(HourLog.minutes), 0)).where(
        HourLog.tenant_id == tenant_id, HourLog.status == "confirmed"
    )
    if span is not None and term is not None and term.start and term.end:
        applications = applications.where(
            Application.created_at >= span[0], Application.created_at < span[1]
        )
        hours = hours.where(HourLog.work_date >= term.start, HourLog.work_date <= term.end)
    outbox = status_counts(tenant_id, exclude_kinds=(EMAIL_KIND,))  # email is not a grade
    return HomeCounts(
        term=term,
        open_listings=int(
            db.session.scalar(
                select(func.count())
                .select_from(Listing)
                .where(Listing.tenant_id == tenant_id, Listing.status == "open")
            )
            or 0
        ),
        applications=int(db.session.scalar(applications) or 0),
        active_engagements=int(
            db.session.scalar(
                select(func.count())
                .select_from(Engagement)
                .where(Engagement.tenant_id == tenant_id, Engagement.status == "active")
            )
            or 0
        ),
        confirmed_hours=quarter_hours(int(db.session.scalar(hours) or 0)),
        credits_awarded=credits_awarded(tenant_id, span),
        grades_pending=outbox.get(PENDING, 0) + outbox.get(SENDING, 0),
        grades_failed=outbox.get(FAILED, 0),
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
