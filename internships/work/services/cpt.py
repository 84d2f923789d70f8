"""Recorded CPT approvals. An F-1 student may do credit-bearing off-campus work only under
Curricular Practical Training that the school's Designated School Official (DSO) authorised;
an advisor records that authorisation here, and acceptance checks for it.

Rules (where the issue is silent, these are the choices):
- An F-1 student is one whose profile says F-1 (the student's own, or the advisor's import).
- Every engagement that belongs to a course is credit-bearing; every employer in the
  marketplace is off campus (remote work for an outside employer is off-campus too).
- An approval covers a listing when it names that listing, or names its employer and no
  listing; and its dates cover the listing's work window (or today, without a window)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from internships.models import Listing
from internships.profile.models import StudentProfile
from internships.services.listings import get_employer, get_listing
from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Enrolment, User, utcnow
from lti_tool.services import audit

from ..models import CptApproval, Engagement
from .engagements import EngagementInvalidError

F1_PREFIX = "F-1"


@dataclass
class CptInput:
    student_id: int
    start_date: dt.date | None
    end_date: dt.date | None
    dso_name: str
    note: str = ""
    employer_id: int | None = None
    listing_id: int | None = None
    engagement_id: int | None = None


def is_f1(tenant_id: int, student_id: int) -> bool:
    """Whether the student's profile says they hold an F-1 visa."""
    value = db.session.scalar(
        select(StudentProfile.work_authorization).where(
            StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == student_id
        )
    )
    return bool(value and value.startswith(F1_PREFIX))


def covering_approval(
    tenant_id: int, student_id: int, listing: Listing, today: dt.date
) -> CptApproval | None:
    """A recorded, unrevoked CPT approval that covers the student's work on ``listing``."""
    start = listing.work_start or today
    end = listing.work_end or start
    return db.session.scalar(
        select(CptApproval)
        .where(
            CptApproval.tenant_id == tenant_id,
            CptApproval.student_id == student_id,
            CptApproval.revoked_at.is_(None),
            CptApproval.employer_id == listing.employer_id,
            or_(CptApproval.listing_id.is_(None), CptApproval.listing_id == listing.id),
            CptApproval.start_date <= start,
            CptApproval.end_date >= end,
        )
        .limit(1)
    )


def cpt_problem(
    tenant_id: int, student_id: int, listing: Listing, course_id: int | None, today: dt.date
) -> str | None:
    """Why accepting the student on ``listing`` needs a CPT approval first, or None."""
    if course_id is None or not is_f1(tenant_id, student_id):
        return None
    if covering_approval(tenant_id, student_id, listing, today) is not None:
        return None
    return (
        "This student holds an F-1 visa: credit-bearing off-campus work for "
        f"{listing.employer.name} needs a CPT approval recorded by the career center that "
        "covers the dates of the work."
    )


def _student(tenant_id: int, student_id: int) -> User:
    user = db.session.scalar(select(User).where(User.id == student_id, User.tenant_id == tenant_id))
    if user is None:
        raise NotFoundError("That student is not known at your institution.")
    return user


def record_cpt_approval(actor: Actor, data: CptInput) -> CptApproval:
    """Record the DSO's CPT authorisation for a student; flushes; audited."""
    tenant_id = actor.tenant
    student = _student(tenant_id, data.student_id)
    engagement = None
    if data.engagement_id:
        engagement = db.session.scalar(
            select(Engagement).where(
                Engagement.id == data.engagement_id,
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student.id,
            )
        )
        if engagement is None:
            raise EngagementInvalidError("engagement", "That engagement is not this student's.")
        data.listing_id = engagement.listing_id
    listing = get_listing(tenant_id, data.listing_id) if data.listing_id else None
    employer_id = listing.employer_id if listing else data.employer_id
    if not employer_id:
        raise EngagementInvalidError("employer", "Choose the employer or the listing it covers.")
    employer = get_employer(tenant_id, employer_id)
    if data.start_date is None or data.end_date is None:
        raise EngagementInvalidError("start_date", "Give the first and last day of the CPT.")
    if data.end_date < data.start_date:
        raise EngagementInvalidError("end_date", "The CPT cannot end before it starts.")
    if not 2 <= len(data.dso_name.strip()) <= 200:
        raise EngagementInvalidError("dso_name", "Give the name of the DSO who authorized it.")
    approval = CptApproval(
        tenant_id=tenant_id,
        student_id=student.id,
        employer_id=employer.id,
        listing_id=listing.id if listing else None,
        engagement_id=engagement.id if engagement else None,
        start_date=data.start_date,
        end_date=data.end_date,
        dso_name=data.dso_name.strip(),
        note=data.note.strip()[:2000],
        recorded_by=actor.name,
    )
    db.session.add(approval)
    db.session.flush()
    audit.record(
        actor,
        "cpt_approval.record",
        cpt_approval_id=approval.id,
        student_id=student.id,
        employer_id=employer.id,
        listing_id=approval.listing_id,
        start=data.start_date.isoformat(),
        end=data.end_date.isoformat(),
    )
    return approval


def revoke_cpt_approval(actor: Actor, approval_id: int) -> CptApproval:
    """Mark a recorded approval revoked (kept for the record); audited."""
    approval = db.session.scalar(
        select(CptApproval).where(
            CptApproval.id == approval_id, CptApproval.tenant_id == actor.tenant
        )
    )
    if approval is None:
        raise NotFoundError("That CPT approval does not exist at your institution.")
    if approval.revoked_at is None:
        approval.revoked_at, approval.revoked_by = utcnow(), actor.name
        db.session.flush()
        audit.record(actor, "cpt_approval.revoke", cpt_approval_id=approval.id)
    return approval


def list_cpt_approvals(tenant_id: int) -> list[CptApproval]:
    """The tenant's recorded approvals, newest first."""
    return list(
        db.session.scalars(
            select(CptApproval)
            .options(
                joinedload(CptApproval.student),
                joinedload(CptApproval.employer),
                joinedload(CptApproval.listing),
            )
            .where(CptApproval.tenant_id == tenant_id)
            .order_by(CptApproval.created_at.desc(), CptApproval.id.desc())
        )
    )


def f1_students(tenant_id: int) -> list[User]:
    """Students of the tenant whose profile says F-1, by name (the form's choices)."""
    return list(
        db.session.scalars(
            select(User)
            .join(StudentProfile, StudentProfile.user_id == User.id)
            .where(
                User.tenant_id == tenant_id,
                StudentProfile.tenant_id == tenant_id,
                StudentProfile.work_authorization.startswith(F1_PREFIX),
            )
            .order_by(User.name, User.id)
        )
    )


def known_students(tenant_id: int) -> list[User]:
    """Everyone enrolled as a student in a course of the tenant, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.tenant_id == tenant_id,
                User.id.in_(
                    select(Enrolment.user_id).where(
                        Enrolment.tenant_id == tenant_id, Enrolment.role == "student"
                    )
                ),
            )
            .order_by(User.name, User.id)
        )
    )


def require_cpt(
    tenant_id: int,
    student_id: int,
    listing: Listing,
    course_id: int | None,
    today: dt.date,
    *,
    by_advisor: bool = True,
) -> None:
    """Refuse (PolicyViolationError ``cpt_required``) when a CPT approval is missing. An
    employer (``by_advisor`` false) is not told the student's visa status, only whom to ask."""
    problem = cpt_problem(tenant_id, student_id, listing, course_id, today)
    if not problem:
        return
    if not by_advisor:
        raise PolicyViolationError(
            "This student cannot be accepted yet: the career center must first complete a "
            "work-authorization record for this project.",
            hint="Choose “Decide later” for this student and ask the career center.",
            reason="cpt_required",
        )
    raise PolicyViolationError(
        problem,
        hint="An advisor records the DSO's CPT approval (Work → CPT approvals), then "
        "accepts again. No override is possible: this is an immigration rule.",
        reason="cpt_required",
    )
