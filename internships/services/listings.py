"""Listings and employers: create, edit, approval, drafts to complete, closing and expiry.

The fair-work rule and a listing's checks are in ``listing_rules``; approving an unpaid
listing records a justification for each of the seven DOL Fact Sheet #71 factors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from lti_tool.actor import Actor
from lti_tool.context import today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Tenant, utcnow
from lti_tool.services import audit
from lti_tool.tenants import get_tenant as get_tenant  # one lookup, in the core

from ..models import Employer, Listing, ListingFacet
from ..rendering import markdown_text
from ..vocabulary import COMPETENCIES, UNPAID_FACTORS, skill_label, skills
from . import search
from .listing_rules import (
    MIN_JUSTIFICATION,
    ListingInput,
    ListingInvalidError,
    _clean_list,
    _clean_tags,
    _validate,
    approval_reason,
    effective_rate_cents,
)


def get_employer(tenant_id: int, employer_id: int) -> Employer:
    employer = db.session.scalar(
        select(Employer).where(Employer.id == employer_id, Employer.tenant_id == tenant_id)
    )
    if employer is None:
        raise NotFoundError("That employer does not exist at your institution.")
    return employer


def list_employers(tenant_id: int) -> list[Employer]:
    """The tenant's employers by name."""
    return list(
        db.session.scalars(
            select(Employer).where(Employer.tenant_id == tenant_id).order_by(Employer.name)
        )
    )


def ensure_employer(actor: Actor, name: str, **details: Any) -> Employer:
    """The actor's tenant's employer of this name, created (with ``details``) when new."""
    tenant_id = actor.tenant
    name = " ".join(name.split())
    if not 2 <= len(name) <= 200:
        raise ListingInvalidError("new_employer", "Give the employer's name (2 to 200 characters).")
    employer = db.session.scalar(
        select(Employer).where(Employer.tenant_id == tenant_id, Employer.name == name)
    )
    if employer is None:
        employer = Employer(tenant_id=tenant_id, name=name, **details)
        db.session.add(employer)
        db.session.flush()
        audit.record(actor, "employer.create", employer_id=employer.id, name=name)
    return employer


def get_listing(tenant_id: int, listing_id: int, *, open_only: bool = False) -> Listing:
    """One listing of the tenant (only an open one when ``open_only``), else NotFoundError."""
    stmt = (
        select(Listing)
        .options(joinedload(Listing.employer))
        .where(Listing.id == listing_id, Listing.tenant_id == tenant_id)
    )
    if open_only:
        stmt = stmt.where(Listing.status == "open")
    listing = db.session.scalar(stmt)
    if listing is None:
        raise NotFoundError("That listing does not exist or is no longer open.")
    return listing


def _apply(
    listing: Listing, data: ListingInput, employer: Employer, *, hours_pending: bool = False
) -> None:
    _validate(data, hours_pending=hours_pending)
    listing.employer_id, listing.employer = employer.id, employer
    listing.title = " ".join(data.title.split())
    listing.summary = data.summary.strip()
    listing.description_md = data.description_md
    listing.deliverables = data.deliverables.strip()
    listing.skills = _clean_list(data.skills, skills(), "skills", "skill")
    listing.competencies = _clean_list(
        data.competencies, COMPETENCIES, "competencies", "competency"
    )
    listing.tags = _clean_tags(data.tags)
    listing.estimated_hours = data.estimated_hours
    listing.application_deadline = data.application_deadline
    listing.work_start, listing.work_end = data.work_start, data.work_end
    listing.compensation_type = data.compensation_type
    listing.pay_amount_cents = None if data.compensation_type == "unpaid" else data.pay_amount_cents
    listing.currency = data.currency
    listing.effective_rate_cents = effective_rate_cents(
        data.compensation_type, listing.pay_amount_cents, data.estimated_hours
    )
    listing.location_type = data.location_type
    listing.location = data.location.strip()
    listing.openings = data.openings
    listing.eligibility = {
        "programs": [p.strip() for p in data.programs if p.strip()],
        "class_years": [c.strip() for c in data.class_years if c.strip()],
        "work_authorization": data.work_authorization.strip(),
    }
    refresh_search(listing)


def refresh_search(listing: Listing) -> None:
    """Recompute the listing's search words and facet rows (call after any change)."""
    listing.search_title = search.words(listing.title)
    listing.search_body = search.words(
        listing.summary,
        markdown_text(listing.description_md),
        listing.deliverables,
        listing.employer.name,
        " ".join(listing.tags),
        " ".join(skill_label(s) for s in listing.skills),
        " ".join(listing.competencies),
        listing.location,
    )
    db.session.flush()
    db.session.execute(delete(ListingFacet).where(ListingFacet.listing_id == listing.id))
    db.session.add_all(
        [
            ListingFacet(listing_id=listing.id, tenant_id=listing.tenant_id, kind="skill", value=s)
            for s in listing.skills
        ]
        + [
            ListingFacet(
                listing_id=listing.id, tenant_id=listing.tenant_id, kind="competency", value=c
            )
            for c in listing.competencies
        ]
    )
    db.session.flush()


def _submit(listing: Listing, tenant: Tenant) -> None:
    from ..employers.pay.services.overdue import refuse_if_blocked  # issue 21: overdue pay blocks

    refuse_if_blocked(tenant.id, listing.employer_id)
    listing.status = "pending_approval" if approval_reason(listing, tenant) else "open"
    if listing.status == "open":
        listing.approved_by, listing.approved_at = None, None


def create_listing(
    actor: Actor,
    data: ListingInput,
    *,
    submit: bool,
    source: str = "manual",
    external_id: str | None = None,
    hours_pending: bool = False,
) -> Listing:
    """A new listing: a draft, or (``submit``) open — or pending approval when the fair-work
    rule says so. ``hours_pending``: a draft whose estimated hours (0) an advisor completes
    later (an import that states none)."""
    if hours_pending and submit:
        raise ValueError("a listing without estimated hours stays a draft")
    tenant_id = actor.tenant
    tenant = get_tenant(tenant_id)
    employer = get_employer(tenant_id, data.employer_id)
    listing = Listing(
        tenant_id=tenant_id,
        status="draft",
        source=source,
        external_id=external_id,
        created_by=actor.name,
    )
    db.session.add(listing)
    _apply(listing, data, employer, hours_pending=hours_pending)
    if submit:
        _submit(listing, tenant)
    audit.record(actor, "listing.create", listing_id=listing.id, status=listing.status)
    return listing


_TERMS = ("compensation_type", "pay_amount_cents", "currency", "estimated_hours")


def update_listing(
    actor: Actor,
    listing_id: int,
    data: ListingInput,
    *,
    submit: bool = False,
    hours_pending: bool = False,
) -> Listing:
    """Edit a listing. Changing the pay terms of an approved listing so that it needs approval
    sends it back to the approval queue; ``submit`` publishes a draft; ``hours_pending`` keeps
    a draft without estimated hours (see ``create_listing``)."""
    tenant_id = actor.tenant
    listing = get_listing(tenant_id, listing_id)
    if hours_pending and (submit or listing.status != "draft"):
        raise ValueError("only a draft may be without estimated hours")
    tenant = get_tenant(tenant_id)
    before = {name: getattr(listing, name) for name in _TERMS}
    _apply(listing, data, get_employer(tenant_id, data.employer_id), hours_pending=hours_pending)
    terms_changed = any(getattr(listing, name) != value for name, value in before.items())
    if listing.status == "draft" and submit:
        _submit(listing, tenant)
    elif (
        listing.status in ("open", "pending_approval")
        and terms_changed
        and approval_reason(listing, tenant)
    ):
        listing.status = "pending_approval"
        listing.approved_by, listing.approved_at, listing.approval_note = None, None, ""
        listing.unpaid_justification = None
    audit.record(
        actor,
        "listing.update",
        listing_id=listing.id,
        status=listing.status,
        terms_changed=terms_changed,
    )
    return listing


def approve_listing(
    actor: Actor,
    listing_id: int,
    *,
    note: str = "",
    justification: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> Listing:
    """Open a listing that waits for approval; an unpaid one needs every Fact Sheet #71
    factor justified (at least ``MIN_JUSTIFICATION`` characters each)."""
    listing = get_listing(actor.tenant, listing_id)
    if listing.status != "pending_approval":
        raise PolicyViolationError(
            "Only a listing that waits for approval can be approved.", reason="not_pending"
        )
    require_future_deadline(listing, today or today_in(get_tenant(actor.tenant).time_zone))
    recorded: dict[str, str] | None = None
    if listing.compensation_type == "unpaid":
        given = {k: (v or "").strip() for k, v in (justification or {}).items()}
        missing = [key for key, _ in UNPAID_FACTORS if len(given.get(key, "")) < MIN_JUSTIFICATION]
        if missing:
            raise PolicyViolationError(
                "An unpaid listing needs a justification for each of the seven factors of the "
                "Department of Labor's Fact Sheet #71.",
                hint=f"Write at least {MIN_JUSTIFICATION} characters for each factor.",
                reason="unpaid_justification",
            )
        recorded = {key: given[key] for key, _ in UNPAID_FACTORS}
    from ..employers.pay.services.overdue import refuse_if_blocked  # issue 21: overdue pay blocks

    refuse_if_blocked(listing.tenant_id, listing.employer_id)
    listing.status = "open"
    listing.approved_by, listing.approved_at = actor.name, utcnow()
    listing.approval_note, listing.unpaid_justification = note.strip(), recorded
    db.session.flush()
    audit.record(actor, "listing.approve", listing_id=listing.id, unpaid=recorded is not None)
    return listing


def require_future_deadline(listing: Listing, today: dt.date) -> None:
    """A listing cannot open to students with its application deadline behind it."""
    deadline = listing.application_deadline
    if deadline is not None and deadline < today:
        raise PolicyViolationError(
            f"Its application deadline, {deadline.strftime('%-d %B %Y')}, has passed, so it "
            "cannot open to students.",
            hint="Edit the listing to give a deadline from today on, then approve it; or send "
            "it back with a reason.",
            reason="deadline_passed",
        )


def drafts_to_complete(tenant_id: int) -> list[Listing]:
    """The tenant's imported drafts (a feed's posting that lacked what only a micro-internship
    needs: the estimated hours), oldest first, for an advisor to complete and submit."""
    return list(
        db.session.scalars(
            select(Listing)
            .options(joinedload(Listing.employer))
            .where(
                Listing.tenant_id == tenant_id,
                Listing.status == "draft",
                Listing.source == "import",
            )
            .order_by(Listing.created_at, Listing.id)
        )
    )


def complete_draft(actor: Actor, listing_id: int, estimated_hours: int) -> Listing:
    """Give a draft its estimated hours and submit it: open, or waiting for approval when the
    fair-work rule says so (the effective rate of a fixed fee depends on the hours)."""
    listing = get_listing(actor.tenant, listing_id)
    if listing.status != "draft":
        raise PolicyViolationError(
            "Only a draft can be completed: this listing was submitted already.",
            reason="not_draft",
        )
    if not 1 <= estimated_hours <= 400:
        raise ListingInvalidError("estimated_hours", "Estimate between 1 and 400 hours.")
    listing.estimated_hours = estimated_hours
    listing.effective_rate_cents = effective_rate_cents(
        listing.compensation_type, listing.pay_amount_cents, estimated_hours
    )
    _submit(listing, get_tenant(actor.tenant))
    db.session.flush()
    audit.record(
        actor,
        "listing.complete",
        listing_id=listing.id,
        estimated_hours=estimated_hours,
        status=listing.status,
    )
    return listing


def approval_queue(tenant_id: int) -> list[Listing]:
    """The tenant's listings waiting for approval, oldest first."""
    return list(
        db.session.scalars(
            select(Listing)
            .options(joinedload(Listing.employer))
            .where(Listing.tenant_id == tenant_id, Listing.status == "pending_approval")
            .order_by(Listing.created_at, Listing.id)
        )
    )


def list_listings(tenant_id: int) -> list[Listing]:
    """Every listing of the tenant, newest first (the advisor's overview)."""
    return list(
        db.session.scalars(
            select(Listing)
            .options(joinedload(Listing.employer))
            .where(Listing.tenant_id == tenant_id)
            .order_by(Listing.created_at.desc(), Listing.id.desc())
        )
    )


CLOSING_STATUSES = ("filled", "closed")


def close_listing(actor: Actor, listing_id: int, status: str) -> Listing:
    """Take a listing off the board: ``filled`` (every opening taken) or ``closed``."""
    if status not in CLOSING_STATUSES:
        raise PolicyViolationError("A listing can be marked filled or closed.", reason="status")
    listing = get_listing(actor.tenant, listing_id)
    if listing.status not in ("open", "pending_approval"):
        raise PolicyViolationError(
            "Only an open listing, or one waiting for approval, can be filled or closed.",
            reason="not_open",
        )
    listing.status = status
    db.session.flush()
    audit.record(actor, f"listing.{status}", listing_id=listing.id)
    return listing


def expire_listings(actor: Actor, today: dt.date) -> int:
    """Mark the actor's tenant's open listings whose deadline passed before ``today`` (the
    tenant's local date) expired; returns how many."""
    expired = list(
        db.session.scalars(
            select(Listing).where(
                Listing.tenant_id == actor.tenant,
                Listing.status == "open",
                Listing.application_deadline < today,
            )
        )
    )
    for listing in expired:
        listing.status = "expired"
    db.session.flush()
    if expired:
        audit.record(actor, "listing.expire", listing_ids=[x.id for x in expired])
    return len(expired)
