"""The demo employers and listings, created through the listing services as an advisor would."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.extensions import db

from ..models import Employer, Listing
from ..services.listings import (
    CLOSING_STATUSES,
    ListingInput,
    approve_listing,
    close_listing,
    create_listing,
    ensure_employer,
    expire_listings,
)
from ..vocabulary import UNPAID_FACTORS
from .content import EMPLOYERS, LISTINGS, DemoListing

ACTOR = "Career Credit demo data"

JUSTIFICATION = {
    key: "Agreed in the learning agreement; the course instructor supervises the learning."
    for key, _ in UNPAID_FACTORS
}


def _description(title: str, summary: str, skills_text: str) -> str:
    return (
        f"{summary}\n\n## What you will do\n\n- Meet the supervisor to agree on the goals of "
        f"*{title.lower()}*\n- Work independently, with a short check-in each week\n- Hand in "
        f"the deliverables and a short reflection\n\n## What you will practice\n\n{skills_text}"
        "\n\nQuestions? Ask your career center."
    )


def _listing_input(row: DemoListing, employer_id: int, today: dt.date) -> ListingInput:
    days = row.deadline_in_days
    return ListingInput(
        employer_id=employer_id,
        title=row.title,
        summary=row.summary,
        description_md=_description(
            row.title, row.summary, ", ".join(row.skills).replace("-", " ")
        ),
        deliverables="A short report of what you did.\nThe files you produced.",
        estimated_hours=row.estimated_hours,
        compensation_type=row.compensation_type,
        pay_amount_cents=row.pay_amount_cents,
        location_type=row.location_type,
        location=row.location,
        skills=list(row.skills),
        competencies=list(row.competencies),
        tags=list(row.tags),
        application_deadline=today + dt.timedelta(days=days),
        work_start=today + dt.timedelta(days=max(days, 0) + 7),
        work_end=today + dt.timedelta(days=max(days, 0) + 35),
    )


def _create(actor: Actor, row: DemoListing, employer_id: int, today: dt.date) -> None:
    """Create one listing and take it to the status the demo wants."""
    listing = create_listing(
        actor,
        _listing_input(row, employer_id, today),
        submit=row.status != "draft",
        source="import",
        external_id=f"demo-{row.key}",
    )
    if row.status == "open_unpaid":
        approve_listing(
            actor, listing.id, note="Demo approval", justification=JUSTIFICATION, today=today
        )
    elif row.status in CLOSING_STATUSES:
        close_listing(actor, listing.id, row.status)


def _employers(actor: Actor) -> dict[str, Employer]:
    return {
        employer.name: ensure_employer(
            actor,
            employer.name,
            website=employer.website,
            contact_name=employer.contact_name,
            verified=employer.verified,
        )
        for employer in EMPLOYERS
    }


def seed_listings(tenant_id: int, today: dt.date | None = None) -> int:
    """Create the demo employers and listings in a tenant; returns how many listings were new.
    Flushes; the caller commits."""
    today = today or dt.date.today()
    existing = set(
        db.session.scalars(
            select(Listing.external_id).where(
                Listing.tenant_id == tenant_id, Listing.source == "import"
            )
        )
    )
    actor = Actor(tenant_id, ACTOR)
    employers = _employers(actor)
    created = 0
    for row in LISTINGS:
        if f"demo-{row.key}" in existing:
            continue
        _create(actor, row, employers[row.employer].id, today)
        created += 1
    expire_listings(actor, today)
    return created
