"""The internships blueprint's listing management pages for career advisors: creating and
editing listings, the manage list, drafts to complete and approving a listing."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import PolicyViolationError
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, form_page

from ..approval_forms import ApproveForm, ReturnListingForm
from ..forms import (
    CompleteDraftForm,
    ListingForm,
    listing_form_data,
)
from ..models import Listing
from ..services import listing_review as review_svc
from ..services import listings as svc
from ..services import manage as manage_svc
from . import STATUS_LABELS, _employer_choices, bp


def _save_listing(ctx: LaunchContext, form: ListingForm, listing_id: int | None) -> Listing | None:
    """Run the service for a valid form; a refusal goes next to its field (None returned)."""
    try:
        employer_id = (
            form.employer.data or svc.ensure_employer(ctx.actor, form.new_employer.data or "").id
        )
        data = form.to_input(employer_id)
        deadline = data.application_deadline
        if form.publish.data and deadline is not None and deadline < today_in(ctx.time_zone):
            raise svc.ListingInvalidError(
                "application_deadline",
                "The deadline has passed, so the listing cannot be published: give a deadline "
                "from today on, or save it as a draft.",
            )
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
    """The approval queue, imported drafts and every listing (searched, filtered, sorted, paged)."""
    ctx = current_launch()
    query = manage_svc.ManageQuery.from_args(request.args)
    return render_template(
        "internships/manage.html",
        query=query,
        page=manage_svc.manage_listings(ctx.tenant_id, query),
        statuses=[(status, STATUS_LABELS[status]) for status in manage_svc.STATUSES],
        sorts=manage_svc.SORTS,
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
    """The approval page: approve the listing (form ``approve``), or send it back or reject it
    (form ``return_listing``); both post here."""
    ctx = current_launch()
    listing = svc.get_listing(ctx.tenant_id, listing_id)
    posted = dispatch(
        approve=lambda: _approve(ctx, listing), return_listing=lambda: _return(ctx, listing)
    )
    return posted or _approval_page(listing, _approve_form(listing, formdata=None))


def _approve_form(listing: Listing, **kwargs: Any) -> ApproveForm:
    form = ApproveForm(**kwargs)
    form.require_factors = listing.compensation_type == "unpaid"
    return form


def _approve(ctx: LaunchContext, listing: Listing) -> ResponseReturnValue:
    form = _approve_form(listing)
    if form.validate_on_submit():
        try:
            svc.approve_listing(
                ctx.actor, listing.id, note=form.note.data or "", justification=form.justification()
            )
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="note")
        else:
            return done(
                f"“{listing.title}” is approved and open to students.", "internships.manage"
            )
    return _approval_page(listing, form)


def _return(ctx: LaunchContext, listing: Listing) -> ResponseReturnValue:
    """Send back or reject a listing that waits for approval; its maker is told why."""
    return_form = ReturnListingForm()
    if return_form.validate_on_submit():
        try:
            review_svc.return_listing(
                ctx.actor, listing.id, return_form.outcome.data or "", return_form.reason.data or ""
            )
        except PolicyViolationError as exc:
            field_errors(return_form, exc, fallback="reason")
        else:
            sent_back = return_form.outcome.data == "send_back"
            words = "sent back for changes" if sent_back else "rejected"
            return done(
                f"“{listing.title}” is {words}; whoever made it is told why.", "internships.manage"
            )
    return _approval_page(listing, _approve_form(listing, formdata=None), return_form)


def _approval_page(
    listing: Listing, form: ApproveForm, return_form: ReturnListingForm | None = None
) -> ResponseReturnValue:
    return_form = return_form or ReturnListingForm(formdata=None)
    reason = svc.approval_reason(listing, svc.get_tenant(listing.tenant_id))
    status = 422 if form.errors or return_form.errors else 200
    return render_template(
        "internships/approve.html",
        form=form,
        return_form=return_form,
        listing=listing,
        reason=reason,
    ), status
