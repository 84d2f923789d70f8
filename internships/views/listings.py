"""The internships blueprint's listing management pages for career advisors: creating and
editing listings, the manage list, drafts to complete and approving a listing."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import PolicyViolationError
from lti_tool.unit_of_work import done, field_errors, form_page

from ..forms import (
    ApproveForm,
    CompleteDraftForm,
    ListingForm,
    listing_form_data,
)
from ..models import Listing
from ..services import listings as svc
from . import STATUS_LABELS, _employer_choices, bp


def _save_listing(ctx: LaunchContext, form: ListingForm, listing_id: int | None) -> Listing | None:
    """Run the service for a valid form; a refusal goes next to its field (None returned)."""
    try:
        employer_id = (
            form.employer.data or svc.ensure_employer(ctx.actor, form.new_employer.data or "").id
        )
        data = form.to_input(employer_id)
        if listing_id is None:
            return svc.create_listing(ctx.actor, data, submit=form.publish.data)
        return svc.update_listing(ctx.actor, listing_id, data, submit=form.publish.data)
    except svc.ListingInvalidError as exc:
        field_errors(form, exc, aliases={"pay_amount_cents": "pay_amount"}, fallback="title")
        return None


def _listing_page(listing: Listing | None) -> ResponseReturnValue:
    """The listing form: a new listing (``listing`` None) or an existing one's edit."""
    ctx = current_launch()
    data = listing_form_data(listing) if listing is not None else None
    form = ListingForm(data=data, employers=_employer_choices(ctx.tenant_id))
    if form.validate_on_submit():
        saved = _save_listing(ctx, form, listing.id if listing is not None else None)
        if saved is not None:
            message = f"“{saved.title}” is saved: {STATUS_LABELS[saved.status].lower()}."
            return done(message, "internships.detail", listing_id=saved.id)
    return form_page("internships/edit.html", form, listing=listing)


@bp.route("/new", methods=["GET", "POST"])
@requires("advisor", write=True)
def create() -> ResponseReturnValue:
    return _listing_page(None)


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@requires("advisor", write=True)
def edit(listing_id: int) -> ResponseReturnValue:
    return _listing_page(svc.get_listing(current_launch().tenant_id, listing_id))


@bp.get("/manage")
@requires("advisor")
def manage() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "internships/manage.html",
        listings=svc.list_listings(ctx.tenant_id),
        queue=svc.approval_queue(ctx.tenant_id),
        drafts=len(svc.drafts_to_complete(ctx.tenant_id)),
    )


@bp.get("/drafts")
@requires("advisor")
def drafts() -> ResponseReturnValue:
    """Imported postings that wait for an advisor to add what a micro-internship needs."""
    ctx = current_launch()
    return render_template("internships/drafts.html", drafts=svc.drafts_to_complete(ctx.tenant_id))


@bp.route("/<int:listing_id>/complete", methods=["GET", "POST"])
@requires("advisor", write=True)
def complete(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    listing = svc.get_listing(ctx.tenant_id, listing_id)
    form = CompleteDraftForm(data={"estimated_hours": listing.estimated_hours or None})
    if listing.status == "draft" and form.validate_on_submit():
        try:
            svc.complete_draft(ctx.actor, listing_id, form.estimated_hours.data or 0)
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="estimated_hours")
        else:
            where = (
                "it waits for approval"
                if listing.status == "pending_approval"
                else "it is open to students"
            )
            return done(f"“{listing.title}” is complete: {where}.", "internships.drafts")
    return form_page("internships/complete.html", form, listing=listing)


@bp.route("/<int:listing_id>/approve", methods=["GET", "POST"])
@requires("advisor", write=True)
def approve(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    listing = svc.get_listing(ctx.tenant_id, listing_id)
    form = ApproveForm()
    form.require_factors = listing.compensation_type == "unpaid"
    if form.validate_on_submit():
        try:
            svc.approve_listing(
                ctx.actor,
                listing_id,
                note=form.note.data or "",
                justification=form.justification(),
            )
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="note")
        else:
            return done(
                f"“{listing.title}” is approved and open to students.", "internships.manage"
            )
    reason = svc.approval_reason(listing, svc.get_tenant(ctx.tenant_id))
    return form_page("internships/approve.html", form, listing=listing, reason=reason)
