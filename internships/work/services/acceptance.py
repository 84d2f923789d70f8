"""Accepting an application: the listing's openings, the CPT requirement and the workload caps
(an advisor may override a breach with a reason, which is audited), then the engagement."""

from __future__ import annotations

from sqlalchemy import func, select

from internships.models import Listing
from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import User
from lti_tool.services import audit
from lti_tool.words import plural

from ..models import Application, Engagement
from .common import get_tenant
from .cpt import require_cpt
from .workload import planned_weekly_hours, workload_problem

MIN_OVERRIDE_REASON = 10


def _create_engagement(application: Application, actor: Actor, override: str) -> Engagement:
    listing = application.listing
    employer = listing.employer
    engagement = Engagement(
        tenant_id=application.tenant_id,
        application_id=application.id,
        listing_id=listing.id,
        student_id=application.student_id,
        course_id=application.course_id,
        status="active",
        competencies=list(listing.competencies or []),
        planned_hours=listing.estimated_hours,
        weekly_hours=planned_weekly_hours(listing),
        supervisor_name=employer.contact_name,
        supervisor_email=employer.contact_email,
        start_date=listing.work_start,
        end_date=listing.work_end,
        cap_override_reason=override,
        created_by=actor.name,
    )
    db.session.add(engagement)
    db.session.flush()
    return engagement


def accept(actor: Actor, application: Application, by_advisor: bool, override: str) -> Engagement:
    listing = application.listing
    # Serialise acceptances per listing (openings) and per student (workload caps) on
    # PostgreSQL; SQLite serialises writers already.
    db.session.execute(select(Listing.id).where(Listing.id == listing.id).with_for_update())
    db.session.execute(select(User.id).where(User.id == application.student_id).with_for_update())
    taken = db.session.scalar(
        select(func.count(Engagement.id)).where(
            Engagement.listing_id == listing.id, Engagement.status != "cancelled"
        )
    )
    if (taken or 0) >= listing.openings:
        raise PolicyViolationError(
            f"All {plural(listing.openings, 'opening')} of this listing are filled."
            if listing.openings != 1
            else "The one opening of this listing is filled.",
            reason="no_openings",
        )
    tenant = get_tenant(application.tenant_id)
    require_cpt(
        application.tenant_id,
        application.student_id,
        listing,
        application.course_id,
        today_in(tenant.time_zone),
        by_advisor=by_advisor,
    )
    problem = workload_problem(
        application.tenant_id,
        application.student_id,
        planned_weekly_hours(listing),
        application.course_id,
    )
    override = override.strip()
    if problem and not (by_advisor and len(override) >= MIN_OVERRIDE_REASON):
        hint = (
            "To go ahead anyway, give a reason for the override (at least "
            f"{MIN_OVERRIDE_REASON} characters); it is recorded."
            if by_advisor
            else "Ask the career center: an advisor may approve an exception."
        )
        raise PolicyViolationError(problem, hint=hint, reason="workload_cap")
    engagement = _create_engagement(application, actor, override if problem else "")
    if (taken or 0) + 1 >= listing.openings and listing.status == "open":
        # the last opening taken: off the board, no new applications ("Filled")
        listing.status = "filled"
        audit.record(actor, "listing.filled", application.tenant_id, listing_id=listing.id)
    if problem:
        audit.record(
            actor,
            "engagement.cap_override",
            application.tenant_id,
            engagement_id=engagement.id,
            student_id=application.student_id,
            breach=problem,
            reason=override,
        )
    return engagement
