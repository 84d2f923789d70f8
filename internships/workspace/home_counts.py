"""The counts the advisor's home panels show beside each other (this week's check-ins and the
blocked ones, the reminders of the last seven days, the overdue payments and disputes waiting
for an advisor, the employers with contacts, the listings waiting for approval and the imported
drafts), read in one statement the first panel asks for and kept for the rest of the
request."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import g
from sqlalchemy import bindparam, func, select

from lti_tool.context import LaunchContext, today_in
from lti_tool.extensions import db
from lti_tool.models import utcnow

NAMES = (
    "checkins",
    "blocked",
    "reminders",
    "overdue",
    "disputes",
    "with_contacts",
    # listing_review.WAITING_COUNTS, in its order
    "waiting",
    "from_employers",
    "drafts",
)


@functools.cache
def _statement() -> Any:
    """Every count in one statement (a scalar subquery each, the listings' from one row),
    built once: a request binds ``tenant_id``, ``week`` (this week's Monday) and ``since``
    (seven days ago)."""
    from internships.employers.pay.models import OverduePayment, Payment
    from internships.employers.portal.models import EmployerContact
    from internships.services.listing_review import WAITING_COUNTS

    from .rhythm.models import CheckIn, Reminder

    tenant_id: Any = bindparam("tenant_id")
    this_week = (CheckIn.tenant_id == tenant_id, CheckIn.week_start == bindparam("week"))
    counts = (
        select(func.count(CheckIn.id)).where(*this_week),
        select(func.count(CheckIn.id)).where(*this_week, CheckIn.blocked),
        select(func.count(Reminder.id)).where(
            Reminder.tenant_id == tenant_id, Reminder.sent_at >= bindparam("since")
        ),
        select(func.count(OverduePayment.id)).where(
            OverduePayment.tenant_id == tenant_id, OverduePayment.cleared_at.is_(None)
        ),
        select(func.count(Payment.id)).where(
            Payment.tenant_id == tenant_id, Payment.state == "disputed"
        ),
        select(func.count(func.distinct(EmployerContact.employer_id))).where(
            EmployerContact.tenant_id == tenant_id, EmployerContact.removed_at.is_(None)
        ),
    )
    # the listings' counts are one row of FILTERed counts: read from it, not one subquery each
    waiting = WAITING_COUNTS.subquery()
    return select(
        *(
            count.scalar_subquery().label(name)
            for count, name in zip(counts, NAMES[: len(counts)], strict=True)
        ),
        *(column.label(name) for column, name in zip(waiting.c, NAMES[len(counts) :], strict=True)),
    ).select_from(waiting)


def advisor_counts(ctx: LaunchContext) -> dict[str, int]:
    """The tenant's counts by name (``NAMES``), read once per request."""
    kept = g.get("workspace_advisor_counts")
    if kept is None or kept[0] != ctx.tenant_id:
        from .rhythm.checkins import week_of

        params = {
            "tenant_id": ctx.tenant_id,
            "week": week_of(today_in(ctx.time_zone)),
            "since": utcnow() - dt.timedelta(days=7),
        }
        row = db.session.execute(_statement(), params).one()
        kept = (
            ctx.tenant_id,
            {name: int(value or 0) for name, value in zip(NAMES, row, strict=True)},
        )
        g.workspace_advisor_counts = kept
    return dict(kept[1])
