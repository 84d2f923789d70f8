"""A listing's terms as the input of a new listing (an employer copying a past project)."""

from __future__ import annotations

import datetime as dt

from internships.models import Listing
from internships.services.listing_rules import ListingInput


def copy_input(source: Listing, title: str, deadline: dt.date | None) -> ListingInput:
    """``source``'s terms with a new title and application deadline; the work dates are left
    for the new project to set (the career center may add them when it approves)."""
    eligibility = source.eligibility or {}
    return ListingInput(
        employer_id=source.employer_id,
        title=title,
        estimated_hours=source.estimated_hours,
        compensation_type=source.compensation_type,
        location_type=source.location_type,
        pay_amount_cents=source.pay_amount_cents,
        currency=source.currency,
        summary=source.summary,
        description_md=source.description_md,
        deliverables=source.deliverables,
        skills=list(source.skills or []),
        tags=list(source.tags or []),
        competencies=list(source.competencies or []),
        application_deadline=deadline,
        location=source.location,
        openings=source.openings,
        programs=list(eligibility.get("programs") or []),
        class_years=list(eligibility.get("class_years") or []),
        work_authorization=str(eligibility.get("work_authorization") or ""),
    )
