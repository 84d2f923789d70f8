"""The advisor's pay report: per employer and term, how many engagements were paid and how many
unpaid (unpaid ones keep their seven-factor justification on the listing), the paid share,
and how many paid ones fell below the pay floor; the institution's grace days."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, select

from internships.models import Employer, Listing
from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course
from lti_tool.services import audit
from lti_tool.tenants import get_tenant

from .figures import Standing, standings
from .terms import GRACE_SETTING, MAX_GRACE_DAYS, grace_days

NO_TERM = "No term"


@dataclass(frozen=True)
class ShareLine:
    """One employer in one term."""

    employer_id: int
    employer: str
    term: str
    paid: int
    unpaid: int
    below_floor: int

    @property
    def total(self) -> int:
        return self.paid + self.unpaid

    @property
    def paid_share(self) -> float:
        """The paid engagements' share, 0 to 100."""
        return 100 * self.paid / self.total if self.total else 0.0


def _term() -> ColumnElement[str]:
    return func.coalesce(func.nullif(Course.term_name, ""), NO_TERM)


def pay_share(tenant_id: int) -> list[ShareLine]:
    """Paid and unpaid engagements (not cancelled) per employer and term, by employer name."""
    term = _term()
    paid = Listing.compensation_type != "unpaid"
    rows = db.session.execute(
        select(
            Employer.id,
            Employer.name,
            term,
            func.sum(case((paid, 1), else_=0)),
            func.sum(case((paid, 0), else_=1)),
        )
        .select_from(Engagement)
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(Employer, Employer.id == Listing.employer_id)
        .outerjoin(Course, Course.id == Engagement.course_id)
        .where(Engagement.tenant_id == tenant_id, Engagement.status != "cancelled")
        .group_by(Employer.id, Employer.name, term)
        .order_by(Employer.name, Employer.id, term)
    ).all()
    below = _below_floor(tenant_id)
    return [
        ShareLine(eid, name, str(t), int(p or 0), int(u or 0), below.get((eid, str(t)), 0))
        for eid, name, t, p, u in rows
    ]


def _below_floor(tenant_id: int) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = {}
    for s in standings(tenant_id, Engagement.status != "cancelled"):
        if s.below_floor:
            course = s.engagement.course
            term = (course.term_name if course else "") or NO_TERM
            key = (s.engagement.listing.employer_id, term)
            counts[key] = counts.get(key, 0) + 1
    return counts


def below_floor_engagements(tenant_id: int) -> list[Standing]:
    """The paid engagements whose pay per confirmed hour fell below the pay floor."""
    return [s for s in standings(tenant_id, Engagement.status != "cancelled") if s.below_floor]


def set_grace_days(actor: Actor, days: int) -> int:
    """An advisor sets the grace days past a due date before a payment is overdue."""
    if not 0 <= days <= MAX_GRACE_DAYS:
        raise PolicyViolationError(f"Give between 0 and {MAX_GRACE_DAYS} days.", field="grace_days")
    tenant = get_tenant(actor.tenant)
    before = grace_days(tenant)
    tenant.settings = {**(tenant.settings or {}), GRACE_SETTING: days}
    db.session.flush()
    audit.record(actor, "pay.grace_days", before=before, after=days)
    return days
