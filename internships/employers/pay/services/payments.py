"""Payments on one engagement: the employer (its supervisor's workspace link) marks a payment
made, the student confirms receipt or disputes it with a note (which opens a case the
advisors are told of), an advisor resolves the case with notes, and sets when payment is
due. Each change is audited and flushed; the caller commits."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload

from internships.services.listing_rules import CURRENCIES
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.notify.notifications import notify
from lti_tool.services import audit
from lti_tool.tenants import get_tenant
from lti_tool.words import money

from ..models import DUE_RULES, RESOLUTIONS, EngagementPay, Payment
from .advisors import notify_advisors
from .terms import pay_row, terms_for

MAX_AMOUNT_CENTS = 10_000_000  # $100,000: more is a typo, not a micro-internship's pay
MIN_NOTE = 10
MAX_SCHEDULE_DAYS = 92


@dataclass(frozen=True)
class PaymentInput:
    amount_cents: int
    currency: str
    paid_on: dt.date
    reference: str = ""


def ensure_terms(actor: Actor, engagement: Engagement) -> EngagementPay:
    """The engagement's saved pay terms, copied from its listing the first time (refused for
    an unpaid engagement)."""
    row = pay_row(engagement)
    if row is not None:
        return row
    terms = terms_for(engagement)
    if terms is None:
        raise PolicyViolationError("This engagement is unpaid: it has no payments to record.")
    row = EngagementPay(
        tenant_id=actor.tenant,
        engagement_id=engagement.id,
        student_id=engagement.student_id,
        employer_id=engagement.listing.employer_id,
        compensation_type=terms.compensation_type,
        amount_cents=terms.amount_cents,
        currency=terms.currency,
        updated_by=actor.name,
    )
    db.session.add(row)
    db.session.flush()
    return row


def set_due_rule(
    actor: Actor, engagement: Engagement, due_rule: str, schedule_days: int
) -> EngagementPay:
    """An advisor sets when payment is due: on completion, or every ``schedule_days``."""
    if due_rule not in DUE_RULES:
        raise PolicyViolationError("Choose when payment is due.", field="due_rule")
    if due_rule == "schedule" and not 1 <= schedule_days <= MAX_SCHEDULE_DAYS:
        raise PolicyViolationError(
            f"A schedule pays every 1 to {MAX_SCHEDULE_DAYS} days.", field="schedule_days"
        )
    row = ensure_terms(actor, engagement)
    row.due_rule = due_rule
    row.schedule_days = schedule_days if due_rule == "schedule" else 0
    row.updated_by = actor.name
    db.session.flush()
    audit.record(
        actor,
        "pay.terms",
        engagement_id=engagement.id,
        due_rule=due_rule,
        schedule_days=row.schedule_days,
    )
    return row


def _check_payment(engagement: Engagement, row: EngagementPay, data: PaymentInput) -> None:
    errors = {}
    if data.amount_cents <= 0:
        errors["amount"] = "Enter the amount paid, more than zero."
    elif data.amount_cents > MAX_AMOUNT_CENTS:
        errors["amount"] = f"Enter at most {money(MAX_AMOUNT_CENTS, row.currency)}."
    if data.currency not in CURRENCIES:
        errors["currency"] = "Choose one of the currencies offered."
    elif data.currency != row.currency:
        errors["currency"] = f"This engagement pays in {row.currency}: record the payment in it."
    today = today_in(get_tenant(engagement.tenant_id).time_zone)
    if data.paid_on > today:
        errors["paid_on"] = "The date cannot be in the future: mark a payment once it is made."
    elif data.paid_on < engagement.created_at.date() - dt.timedelta(days=31):
        errors["paid_on"] = "The date is long before this engagement began."
    if len(data.reference) > 200:
        errors["reference"] = "Keep the reference to 200 characters."
    if errors:
        raise PolicyViolationError(next(iter(errors.values())), errors=errors)


def mark_payment(actor: Actor, engagement: Engagement, data: PaymentInput) -> Payment:
    """The employer says it paid the student (amount, date, optional reference)."""
    if engagement.tenant_id != actor.tenant:
        raise NotFoundError("No such engagement.")
    row = ensure_terms(actor, engagement)
    _check_payment(engagement, row, data)
    payment = Payment(
        tenant_id=actor.tenant,
        engagement_id=engagement.id,
        student_id=engagement.student_id,
        employer_id=row.employer_id,
        amount_cents=data.amount_cents,
        currency=data.currency,
        paid_on=data.paid_on,
        reference=data.reference.strip(),
        marked_by=actor.name,
    )
    db.session.add(payment)
    db.session.flush()
    audit.record(
        actor,
        "pay.mark",
        engagement_id=engagement.id,
        payment_id=payment.id,
        amount_cents=payment.amount_cents,
    )
    notify(
        actor.tenant,
        engagement.student_id,
        "pay_marked",
        f"{engagement.listing.employer.name} marked a payment of "
        f"{money(payment.amount_cents, payment.currency)} as paid on "
        f"{payment.paid_on.isoformat()}: confirm you received it, or say what is wrong, on "
        "the engagement's page.",
        engagement_id=engagement.id,
    )
    return payment


@functools.cache
def _payments_statement() -> Any:
    """An engagement's payments, newest first, built once (every engagement page of a paid
    engagement reads them): a request binds ``tenant_id`` and ``engagement_id``."""
    return (
        select(Payment)
        .where(
            Payment.tenant_id == bindparam("tenant_id"),
            Payment.engagement_id == bindparam("engagement_id"),
        )
        .order_by(Payment.paid_on.desc(), Payment.id.desc())
    )


def payments_of(engagement: Engagement) -> list[Payment]:
    """The engagement's payments, newest first."""
    params = {"tenant_id": engagement.tenant_id, "engagement_id": engagement.id}
    return list(db.session.scalars(_payments_statement(), params))


def _payment(engagement: Engagement, payment_id: int, *states: str) -> Payment:
    payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.id == payment_id,
            Payment.tenant_id == engagement.tenant_id,
            Payment.engagement_id == engagement.id,
        )
        .with_for_update()
    )
    if payment is None:
        raise NotFoundError("No such payment on this engagement.")
    if payment.state not in states:
        raise PolicyViolationError(
            "This payment was already answered.", reason="answered", field="payment_id"
        )
    return payment


def _own(actor: Actor, engagement: Engagement) -> None:
    if actor.user_id is None or actor.user_id != engagement.student_id:
        raise PolicyViolationError("Only the student paid can answer for this payment.")


def confirm_payment(actor: Actor, engagement: Engagement, payment_id: int) -> Payment:
    """The student says the payment reached them."""
    _own(actor, engagement)
    payment = _payment(engagement, payment_id, "marked")
    payment.state, payment.confirmed_at = "confirmed", utcnow()
    db.session.flush()
    audit.record(actor, "pay.confirm", engagement_id=engagement.id, payment_id=payment.id)
    return payment


def dispute_payment(actor: Actor, engagement: Engagement, payment_id: int, note: str) -> Payment:
    """The student says the payment did not reach them as marked: a case for the advisors."""
    _own(actor, engagement)
    note = note.strip()
    if len(note) < MIN_NOTE:
        raise PolicyViolationError(
            f"Say what is wrong in at least {MIN_NOTE} characters: an advisor reads it.",
            field="note",
        )
    payment = _payment(engagement, payment_id, "marked")
    payment.state, payment.dispute_note, payment.disputed_at = "disputed", note[:5000], utcnow()
    db.session.flush()
    audit.record(actor, "pay.dispute", engagement_id=engagement.id, payment_id=payment.id)
    notify_advisors(
        actor.tenant,
        "pay_disputed",
        f"A student disputes a payment of {money(payment.amount_cents, payment.currency)} "
        f"on “{engagement.listing.title}”.",
        engagement_id=engagement.id,
    )
    return payment


def resolve_dispute(
    actor: Actor, engagement: Engagement, payment_id: int, resolution: str, note: str
) -> Payment:
    """An advisor closes a dispute: the payment was received (it counts as confirmed) or not
    (it counts for nothing), with notes the student and the record keep."""
    if resolution not in RESOLUTIONS:
        raise PolicyViolationError("Choose what you found.", field="resolution")
    note = note.strip()
    if len(note) < MIN_NOTE:
        raise PolicyViolationError(
            f"Write your notes in at least {MIN_NOTE} characters.", field="note"
        )
    payment = _payment(engagement, payment_id, "disputed")
    payment.state = "confirmed" if resolution == "received" else "voided"
    payment.resolution, payment.resolution_note = resolution, note[:5000]
    payment.resolved_by, payment.resolved_at = actor.name, utcnow()
    db.session.flush()
    audit.record(
        actor,
        "pay.resolve",
        engagement_id=engagement.id,
        payment_id=payment.id,
        resolution=resolution,
    )
    notify(
        actor.tenant,
        engagement.student_id,
        "pay_resolved",
        f"The career center resolved your dispute of a payment on “{engagement.listing.title}”: "
        f"{note[:300]}",
        engagement_id=engagement.id,
    )
    return payment


def open_disputes(tenant_id: int, limit: int = 100) -> list[Payment]:
    """Disputed payments waiting for an advisor, oldest first."""
    return list(
        db.session.scalars(
            select(Payment)
            .options(joinedload(Payment.employer))
            .where(Payment.tenant_id == tenant_id, Payment.state == "disputed")
            .order_by(Payment.id)
            .limit(limit)
        )
    )


def dispute_count(tenant_id: int) -> int:
    return int(
        db.session.scalar(
            select(func.count(Payment.id)).where(
                Payment.tenant_id == tenant_id, Payment.state == "disputed"
            )
        )
        or 0
    )
