"""The internships blueprint: the course board and listing pages for everyone in a launch;
creating, editing and approving listings for career advisors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.homes import ROLE_LABELS
from lti_tool.web import launch_url

from .commands import demo_command, expire_command, import_command
from .forms import (
    ApproveForm,
    BoardFilterForm,
    CloseListingForm,
    ImportForm,
    ListingForm,
    listing_form_data,
)
from .rendering import render_markdown
from .services import listings as svc
from .services.board import search_board
from .services.imports import ImportFormatError, import_listings, read_records
from .vocabulary import UNPAID_FACTORS, skill_label

bp = Blueprint("internships", __name__, url_prefix="/internships", cli_group="listings")
bp.cli.add_command(import_command)
bp.cli.add_command(expire_command)
bp.cli.add_command(demo_command)

EVERYONE = ("student", "faculty", "advisor")
STATUS_LABELS = {
    "draft": "Draft",
    "pending_approval": "Waiting for approval",
    "open": "Open",
    "filled": "Filled",
    "closed": "Closed",
    "expired": "Expired",
}
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£", "AUD": "A$"}


def money(cents: int | None, currency: str = "USD") -> str:
    """``$1,234.50``-style amounts for the currencies listings may use."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
    return f"{symbol}{(cents or 0) / 100:,.2f}"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    ctx = g.get("launch")  # None while an error page renders before the launch is known
    return {
        "role_label": ROLE_LABELS.get(ctx.role, ctx.role) if ctx else "",
        "skill_label": skill_label,
        "status_label": STATUS_LABELS.get,
        "money": money,
        "is_advisor": ctx is not None and ctx.role == "advisor",
    }


def _employer_choices(tenant_id: int) -> list[tuple[int, str]]:
    return [(e.id, e.name) for e in svc.list_employers(tenant_id)]


def _save_listing(ctx: LaunchContext, form: ListingForm, listing_id: int | None) -> Any:
    """Run the service for a valid form; a refusal goes next to its field (None returned)."""
    try:
        employer_id = (
            form.employer.data
            or svc.ensure_employer(ctx.tenant_id, form.new_employer.data or "", ctx.actor).id
        )
        data = form.to_input(employer_id)
        if listing_id is None:
            return svc.create_listing(ctx.tenant_id, data, ctx.actor, submit=form.publish.data)
        return svc.update_listing(
            ctx.tenant_id, listing_id, data, ctx.actor, submit=form.publish.data
        )
    except svc.ListingInvalidError as exc:
        db.session.rollback()
        target = {"pay_amount_cents": "pay_amount"}.get(exc.field, exc.field)
        form._fields.get(target, form.title).errors.append(exc.message)
        return None


def _saved(listing: Any) -> ResponseReturnValue:
    db.session.commit()
    flash(f"“{listing.title}” is saved: {STATUS_LABELS[listing.status].lower()}.", "success")
    return redirect(launch_url("internships.detail", listing_id=listing.id), code=303)


@bp.get("/")
@requires(*EVERYONE)
def board() -> ResponseReturnValue:
    ctx = current_launch()
    form = BoardFilterForm(request.args)
    page = search_board(ctx.tenant_id, form.to_query(), today_in(ctx.time_zone))
    args = {k: request.args.getlist(k) for k in request.args if k not in ("page", "lid")}
    return render_template("internships/board.html", form=form, page=page, args=args)


@bp.get("/<int:listing_id>")
@requires(*EVERYONE)
def detail(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    listing = svc.get_listing(ctx.tenant_id, listing_id, open_only=ctx.role != "advisor")
    return render_template(
        "internships/detail.html",
        listing=listing,
        description=render_markdown(listing.description_md),
        factors=UNPAID_FACTORS,
        close_form=CloseListingForm() if ctx.role == "advisor" else None,
    )


@bp.post("/<int:listing_id>/close")
@requires("advisor", write=True)
def close(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = CloseListingForm()
    if not form.validate_on_submit():
        flash("Choose whether the listing is filled or closed.", "error")
        return redirect(launch_url("internships.detail", listing_id=listing_id), code=303)
    listing = svc.close_listing(ctx.tenant_id, listing_id, form.status.data or "", ctx.actor)
    db.session.commit()
    flash(f"“{listing.title}” is {STATUS_LABELS[listing.status].lower()}.", "success")
    return redirect(launch_url("internships.detail", listing_id=listing_id), code=303)


@bp.route("/new", methods=["GET", "POST"])
@requires("advisor", write=True)
def create() -> ResponseReturnValue:
    ctx = current_launch()
    form = ListingForm(employers=_employer_choices(ctx.tenant_id))
    if form.validate_on_submit():
        listing = _save_listing(ctx, form, None)
        if listing is not None:
            return _saved(listing)
    status = 422 if form.errors else 200
    return render_template("internships/edit.html", form=form, listing=None), status


@bp.route("/<int:listing_id>/edit", methods=["GET", "POST"])
@requires("advisor", write=True)
def edit(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    listing = svc.get_listing(ctx.tenant_id, listing_id)
    form = ListingForm(data=listing_form_data(listing), employers=_employer_choices(ctx.tenant_id))
    if form.validate_on_submit():
        saved = _save_listing(ctx, form, listing_id)
        if saved is not None:
            return _saved(saved)
    status = 422 if form.errors else 200
    return render_template("internships/edit.html", form=form, listing=listing), status


@bp.get("/manage")
@requires("advisor")
def manage() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "internships/manage.html",
        listings=svc.list_listings(ctx.tenant_id),
        queue=svc.approval_queue(ctx.tenant_id),
    )


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
                ctx.tenant_id,
                listing_id,
                ctx.actor,
                note=form.note.data or "",
                justification=form.justification(),
            )
        except PolicyViolationError as exc:
            db.session.rollback()
            form.note.errors = [*form.note.errors, exc.message]
        else:
            db.session.commit()
            flash(f"“{listing.title}” is approved and open to students.", "success")
            return redirect(launch_url("internships.manage"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "internships/approve.html",
        form=form,
        listing=listing,
        reason=svc.approval_reason(listing, svc.get_tenant(ctx.tenant_id)),
    ), status


MAX_IMPORT_BYTES = 5 * 1024 * 1024


@bp.route("/import", methods=["GET", "POST"])
@requires("advisor", write=True)
def import_file() -> ResponseReturnValue:
    ctx = current_launch()
    form, report = ImportForm(), None
    if form.validate_on_submit():
        data = form.file.data.read(MAX_IMPORT_BYTES + 1)
        try:
            if len(data) > MAX_IMPORT_BYTES:
                raise ImportFormatError("The file is larger than 5 MB: split it.")
            records = read_records(data, form.file.data.filename or "")
        except (ImportFormatError, UnicodeDecodeError) as exc:
            message = getattr(exc, "message", "The file is not UTF-8 text.")
            form.file.errors = [*form.file.errors, message]
        else:
            report = import_listings(ctx.tenant_id, records, ctx.actor)
            db.session.commit()
    status = 422 if form.errors else 200
    return render_template("internships/import.html", form=form, report=report), status
