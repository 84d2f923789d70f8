"""What an employer's own page shows (read only, a few grouped statements): their listings by
state, the applicants waiting for a decision, the engagements under way with hours to confirm
and evaluations due, payments due (the pay area's) and past projects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from internships.models import STATUS_LABELS, Employer, Listing
from internships.work.models import (
    LINK_OPEN_STATUSES,
    Application,
    Engagement,
    HourLog,
    SupervisorEvaluation,
)
from lti_tool.extensions import db
from lti_tool.models import User

from ..pay.services import PaymentDue, payments_due
from .models import EngagementOffer

# The page's listing groups, in order: (heading, the listing states it holds).
LISTING_GROUPS = (
    ("Drafts", ("draft",)),
    ("Waiting for approval", ("pending_approval",)),
    ("Open", ("open",)),
    ("Filled", ("filled",)),
    ("Closed", ("closed", "expired")),
)
TO_REVIEW = ("submitted", "shortlisted")


@dataclass(frozen=True)
class ListingLine:
    id: int
    title: str
    status: str
    openings: int
    to_review: int
    created_at: dt.datetime

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class EngagementLine:
    id: int
    title: str
    student: str
    status: str
    supervisor_name: str
    pending_hours: int  # entries waiting for confirmation
    evaluated: bool
    end_date: dt.date | None
    offer_status: str | None

    @property
    def open(self) -> bool:
        return self.status in LINK_OPEN_STATUSES

    @property
    def evaluation_due(self) -> bool:
        return self.status == "submitted" and not self.evaluated


ADAPTABLE = ("draft", "pending_approval", "open", "filled")


@dataclass
class EmployerPage:
    employer: Employer
    groups: list[tuple[str, list[ListingLine]]] = field(default_factory=list)
    to_review: list[ListingLine] = field(default_factory=list)
    active: list[EngagementLine] = field(default_factory=list)
    past: list[EngagementLine] = field(default_factory=list)
    payments: list[PaymentDue] = field(default_factory=list)  # the pay area's

    @property
    def adaptable(self) -> list[ListingLine]:
        """Listings whose onboarding checklist the employer may adapt: not yet closed."""
        return [x for _, lines in self.groups for x in lines if x.status in ADAPTABLE]

    @property
    def copyable(self) -> list[ListingLine]:
        """Listings worth copying into a new draft: every one but drafts."""
        return [x for _, lines in self.groups for x in lines if x.status != "draft"]


def _listings(tenant_id: int, employer_id: int) -> list[ListingLine]:
    waiting = (
        select(Application.listing_id, func.count().label("n"))
        .where(
            Application.tenant_id == tenant_id,
            Application.status.in_(TO_REVIEW),
            Application.consented_at.is_not(None),
        )
        .group_by(Application.listing_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Listing.id,
            Listing.title,
            Listing.status,
            Listing.openings,
            func.coalesce(waiting.c.n, 0),
            Listing.created_at,
        )
        .outerjoin(waiting, waiting.c.listing_id == Listing.id)
        .where(Listing.tenant_id == tenant_id, Listing.employer_id == employer_id)
        .order_by(Listing.created_at.desc(), Listing.id.desc())
    )
    return [ListingLine(*row) for row in rows]


def _engagements(tenant_id: int, employer_id: int) -> list[EngagementLine]:
    pending = (
        select(HourLog.engagement_id, func.count().label("n"))
        .where(HourLog.tenant_id == tenant_id, HourLog.status == "pending")
        .group_by(HourLog.engagement_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Engagement.id,
            Listing.title,
            User.name,
            Engagement.status,
            Engagement.supervisor_name,
            func.coalesce(pending.c.n, 0),
            SupervisorEvaluation.id.is_not(None),
            Engagement.end_date,
            EngagementOffer.status,
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(User, User.id == Engagement.student_id)
        .outerjoin(pending, pending.c.engagement_id == Engagement.id)
        .outerjoin(SupervisorEvaluation, SupervisorEvaluation.engagement_id == Engagement.id)
        .outerjoin(
            EngagementOffer,
            and_(
                EngagementOffer.engagement_id == Engagement.id,
                EngagementOffer.tenant_id == tenant_id,
            ),
        )
        .where(Engagement.tenant_id == tenant_id, Listing.employer_id == employer_id)
        .order_by(Engagement.created_at.desc(), Engagement.id.desc())
    )
    return [
        EngagementLine(eid, title, name or "Student", status, sup, int(n), bool(ev), end, offer)
        for eid, title, name, status, sup, n, ev, end, offer in rows
    ]


def employer_page(tenant_id: int, employer: Employer) -> EmployerPage:
    """Everything the employer's page shows: two grouped statements, and the pay area's."""
    listings = _listings(tenant_id, employer.id)
    engagements = _engagements(tenant_id, employer.id)
    page = EmployerPage(employer=employer)
    page.groups = [
        (heading, [x for x in listings if x.status in states]) for heading, states in LISTING_GROUPS
    ]
    page.to_review = [x for x in listings if x.to_review and x.status in ("open", "filled")]
    page.active = [e for e in engagements if e.open]
    page.past = [e for e in engagements if e.status == "completed"]
    page.payments = list(payments_due(tenant_id, employer.id))
    return page
