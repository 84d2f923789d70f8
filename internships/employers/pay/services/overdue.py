"""Overdue payments: a due date the payments do not cover, past the institution's grace days,
is noticed once (``notice_overdue``: an ``OverduePayment`` row, an email to the employer,
an in-app notice to the advisors) by the runner's tick; it stays open, and the employer cannot
publish new listings (``refuse_if_blocked``), until an advisor clears it with a note
(``clear_overdue``, audited). The advisor's list is paged (``open_overdue``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from internships.models import Employer, Listing
from internships.services.listing_rules import ListingInvalidError
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Tenant, User, utcnow
from lti_tool.notify.mail import send_email
from lti_tool.paging import Page
from lti_tool.services import audit
from lti_tool.tenants import get_tenant
from lti_tool.words import money

from ..models import OverduePayment
from .advisors import notify_advisors
from .figures import Standing, standings
from .terms import grace_days

log = logging.getLogger("career_credit.pay")

MIN_NOTE = 10
PER_PAGE = 50


def _late(s: Standing, today: dt.date, grace: dt.timedelta) -> bool:
    return s.due_on is not None and s.due_on + grace < today


def notice_overdue(tenant_id: int, today: dt.date | None = None) -> list[OverduePayment]:
    """Notice each newly overdue due date of the tenant's engagements once: a row, the
    employer's email, the advisors' notices. Flushes; the caller commits."""
    tenant = get_tenant(tenant_id)
    today = today or today_in(tenant.time_zone)
    grace = dt.timedelta(days=grace_days(tenant))
    known = {
        (eid, due_on)
        for eid, due_on in db.session.execute(
            select(OverduePayment.engagement_id, OverduePayment.due_on).where(
                OverduePayment.tenant_id == tenant_id
            )
        )
    }
    noticed = []
    for s in standings(tenant_id, today=today):
        due_on = s.due_on
        if due_on is None or not _late(s, today, grace) or (s.engagement.id, due_on) in known:
            continue
        row = _insert(s, due_on)
        if row is not None:
            _tell(tenant, s, row)
            noticed.append(row)
    return noticed


def _insert(s: Standing, due_on: dt.date) -> OverduePayment | None:
    """The notice's row, or None when another runner just wrote it (the unique key)."""
    engagement = s.engagement
    row = OverduePayment(
        tenant_id=engagement.tenant_id,
        engagement_id=engagement.id,
        student_id=engagement.student_id,
        employer_id=engagement.listing.employer_id,
        due_on=due_on,
        amount_cents=s.amount_due_cents,
        currency=s.terms.currency,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def _tell(tenant: Tenant, s: Standing, row: OverduePayment) -> None:
    engagement = s.engagement
    employer = engagement.listing.employer
    amount = money(row.amount_cents, row.currency)
    title = engagement.listing.title
    body = (
        f"Hello,\n\nA payment of {amount} to your intern on “{title}” was due on "
        f"{row.due_on.isoformat()} and is not marked as paid. Please pay it and mark it paid "
        "on the project workspace page the career center sent you (its address is in that "
        "email), or tell the career center that you paid.\n\nUntil the career center clears "
        f"this, {employer.name} cannot publish "
        "new listings.\n"
    )
    subject = f"Payment overdue: {title[:150]}"
    sent_to = set()
    for to in (engagement.supervisor_email, employer.contact_email):
        if to and to.strip().lower() not in sent_to:
            sent_to.add(to.strip().lower())
            send_email(tenant.id, to, subject, body, about_user_id=engagement.student_id)
    notify_advisors(
        tenant.id,
        "pay_overdue",
        f"{employer.name} is late paying {amount} due on {row.due_on.isoformat()} for “{title}”.",
        engagement_id=engagement.id,
    )


def sweep(app: Flask, *, force: bool = False) -> int:
    """The tick hook: notice overdue payments in every tenant with paid engagements (at most
    every PAY_OVERDUE_EVERY_S seconds per process unless ``force``); commits per tenant."""
    state = app.extensions.setdefault("pay_overdue_sweep", {"at": None})
    now = utcnow()
    every = dt.timedelta(seconds=float(app.config["PAY_OVERDUE_EVERY_S"]))
    if not force and state["at"] is not None and now - state["at"] < every:
        return 0
    state["at"] = now
    total = 0
    with app.app_context():
        tenants = db.session.scalars(
            select(Listing.tenant_id).where(Listing.compensation_type != "unpaid").distinct()
        ).all()
        for tenant_id in tenants:
            try:
                total += len(notice_overdue(tenant_id))
                db.session.commit()
            except Exception:
                db.session.rollback()
                log.exception("overdue payments of tenant %s not noticed", tenant_id)
        db.session.remove()
    return total


def open_count(tenant_id: int, employer_id: int | None = None) -> int:
    """How many overdue payments wait for an advisor (of one employer, if given)."""
    stmt = select(func.count(OverduePayment.id)).where(
        OverduePayment.tenant_id == tenant_id, OverduePayment.cleared_at.is_(None)
    )
    if employer_id is not None:
        stmt = stmt.where(OverduePayment.employer_id == employer_id)
    return int(db.session.scalar(stmt) or 0)


class EmployerBlockedError(ListingInvalidError):
    """An employer with unresolved overdue payments may not publish new listings."""

    def __init__(self, count: int) -> None:
        super().__init__(
            "employer",
            f"This employer has {count} overdue payment{'s' if count > 1 else ''} to students "
            "that the career center has not cleared, so it cannot publish new listings.",
        )
        self.reason = "pay_overdue"
        self.hint = (
            "An advisor clears overdue payments under Overdue payments (on the advisor's home), "
            "once the employer has paid or the matter is settled."
        )


def refuse_if_blocked(tenant_id: int, employer_id: int) -> None:
    """Refuse to publish a listing of an employer with unresolved overdue payments."""
    count = open_count(tenant_id, employer_id)
    if count:
        raise EmployerBlockedError(count)


@dataclass(frozen=True)
class OverdueLine:
    """A line of the advisor's list."""

    id: int
    engagement_id: int
    employer_id: int
    employer: str
    student: str
    title: str
    due_on: dt.date
    amount_cents: int
    currency: str
    noticed_at: dt.datetime


def open_overdue(tenant_id: int, page: int, per_page: int = PER_PAGE) -> Page[OverdueLine]:
    """One page of the overdue payments waiting for an advisor, oldest due date first."""
    stmt = (
        select(
            OverduePayment.id,
            OverduePayment.engagement_id,
            OverduePayment.employer_id,
            Employer.name,
            User.name,
            Listing.title,
            OverduePayment.due_on,
            OverduePayment.amount_cents,
            OverduePayment.currency,
            OverduePayment.noticed_at,
        )
        .join(Employer, Employer.id == OverduePayment.employer_id)
        .join(User, User.id == OverduePayment.student_id)
        .join(Engagement, Engagement.id == OverduePayment.engagement_id)
        .join(Listing, Listing.id == Engagement.listing_id)
        .where(OverduePayment.tenant_id == tenant_id, OverduePayment.cleared_at.is_(None))
        .order_by(OverduePayment.due_on, OverduePayment.id)
    )
    total = open_count(tenant_id)
    page = min(page, max(1, -(-total // per_page)))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    lines = [
        OverdueLine(oid, eid, emp_id, emp, student, title, due_on, amount, currency, noticed)
        for oid, eid, emp_id, emp, student, title, due_on, amount, currency, noticed in rows
    ]
    return Page(lines, page, per_page, total)


def clear_overdue(actor: Actor, overdue_id: int, note: str) -> OverduePayment:
    """An advisor clears an overdue payment (paid late, or settled) with a note: it no longer
    blocks the employer's listings."""
    note = note.strip()
    if len(note) < MIN_NOTE:
        raise PolicyViolationError(
            f"Write why in at least {MIN_NOTE} characters: the audit trail keeps it.",
            field="note",
        )
    row = db.session.scalar(
        select(OverduePayment)
        .where(OverduePayment.id == overdue_id, OverduePayment.tenant_id == actor.tenant)
        .with_for_update()
    )
    if row is None:
        raise NotFoundError("No such overdue payment.")
    if row.cleared_at is not None:
        raise PolicyViolationError("This overdue payment was already cleared.", reason="cleared")
    row.cleared_at, row.cleared_by, row.clear_note = utcnow(), actor.name, note[:5000]
    db.session.flush()
    audit.record(
        actor,
        "pay.overdue_clear",
        overdue_id=row.id,
        engagement_id=row.engagement_id,
        employer_id=row.employer_id,
        note=row.clear_note[:500],
    )
    return row
