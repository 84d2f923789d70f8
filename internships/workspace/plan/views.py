"""The plan's pages, routes on the workspace blueprint (``/workspace/plan/...``): the advisor's
onboarding checklist templates (the tenant's default; each listing's own, from a list of the
listings), the student's calendar address, and the calendar feed itself (public: the address
is the secret)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from internships.models import Listing
from lti_tool.auth import current_launch, public, requires
from lti_tool.context import LaunchContext
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, form_page

from ..views import bp
from . import forms
from .services import calendar, checklists

# --- the advisor's checklist templates -----------------------------------------------------------


def _template_form(items: list[dict[str, object]]) -> forms.ChecklistTemplateForm:
    return forms.ChecklistTemplateForm(
        formdata=None,
        data={
            "items": "\n".join(str(item["label"]) for item in items),
            "kickoff_first": bool(items and items[0].get("kickoff")),
        },
    )


def _save_template(form: forms.ChecklistTemplateForm, listing_id: int | None) -> bool:
    """Save the posted template (the default, or the listing's); False with the form's errors."""
    ctx = current_launch()
    if not form.validate_on_submit():
        return False
    lines = (form.items.data or "").splitlines()
    try:
        if listing_id is None:
            checklists.set_default_checklist(ctx.actor, lines, bool(form.kickoff_first.data))
        else:
            checklists.set_listing_checklist(
                ctx.actor, listing_id, lines, bool(form.kickoff_first.data)
            )
    except checklists.ChecklistInvalidError as exc:
        field_errors(form, exc)
        return False
    return True


@bp.route("/plan/checklist", methods=["GET", "POST"])
@requires("advisor", write=True)
def checklist_default() -> ResponseReturnValue:
    """The career center's default onboarding checklist, which every listing without its own
    uses."""
    ctx = current_launch()

    def save() -> ResponseReturnValue:
        form = forms.ChecklistTemplateForm()
        if _save_template(form, None):
            return done("The default onboarding checklist is saved.", "workspace.checklist_default")
        return form_page("workspace/plan/checklist_default.html", form)

    form = _template_form(checklists.default_template_items(ctx.tenant_id))
    return dispatch(save=save) or render_template(
        "workspace/plan/checklist_default.html", form=form
    )


@bp.get("/plan/listings")
@requires("advisor")
def checklist_listings() -> ResponseReturnValue:
    """The tenant's listings and which have an onboarding checklist of their own."""
    ctx = current_launch()
    listings = db.session.scalars(
        select(Listing)
        .where(Listing.tenant_id == ctx.tenant_id, Listing.status != "draft")
        .order_by(Listing.title, Listing.id)
    )
    return render_template(
        "workspace/plan/listings.html",
        listings=list(listings),
        own=checklists.listings_with_templates(ctx.tenant_id),
    )


def _listing(ctx: LaunchContext, listing_id: int) -> Listing:
    listing = db.session.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.tenant_id == ctx.tenant_id)
    )
    if listing is None:
        raise NotFoundError("No such listing here.", reason="no_listing")
    return listing


@bp.route("/plan/listings/<int:listing_id>/checklist", methods=["GET", "POST"])
@requires("advisor", write=True)
def checklist_listing(listing_id: int) -> ResponseReturnValue:
    """One listing's onboarding checklist: its own, or the default until an advisor (or the
    employer, from their page) adapts it."""
    ctx = current_launch()
    listing = _listing(ctx, listing_id)
    own = checklists.listing_template(ctx.tenant_id, listing.id)

    def page(form: forms.ChecklistTemplateForm, status: int = 200) -> ResponseReturnValue:
        return render_template(
            "workspace/plan/checklist_listing.html",
            form=form,
            listing=listing,
            own=own,
            clear_form=ButtonForm(formdata=None),
        ), status

    def save() -> ResponseReturnValue:
        form = forms.ChecklistTemplateForm()
        if _save_template(form, listing.id):
            return done(
                f"“{listing.title}” has its own onboarding checklist.",
                "workspace.checklist_listing",
                listing_id=listing.id,
            )
        return page(form, 422)

    def clear() -> ResponseReturnValue:
        if not ButtonForm().validate_on_submit():
            abort(400)
        checklists.clear_listing_checklist(ctx.actor, listing.id)
        return done(
            f"“{listing.title}” uses the default onboarding checklist.",
            "workspace.checklist_listing",
            listing_id=listing.id,
        )

    items = checklists.template_items(ctx.tenant_id, listing.id)
    return dispatch(save=save, clear=clear) or page(_template_form(items))


# --- the student's calendar ----------------------------------------------------------------------


@bp.route("/plan/calendar", methods=["GET", "POST"])
@requires("student")
def calendar_page() -> ResponseReturnValue:
    """The student's private calendar address: made (shown once), made anew or turned off."""
    ctx = current_launch()

    def page(address: str = "") -> ResponseReturnValue:
        return render_template(
            "workspace/plan/calendar.html",
            feed=calendar.active_feed(ctx.tenant_id, ctx.user_id),
            address=address,
            form=ButtonForm(formdata=None),
            dates=calendar.feed_dates(ctx.tenant_id, ctx.user_id),
        )

    def create() -> ResponseReturnValue:
        if not ButtonForm().validate_on_submit():
            abort(400)
        token = calendar.new_feed(ctx.actor, ctx.user_id)
        # shown on this answer only: the token is never stored, flashed or logged
        return page(calendar_url(token))

    def revoke() -> ResponseReturnValue:
        if not ButtonForm().validate_on_submit():
            abort(400)
        calendar.revoke_feed(ctx.actor, ctx.user_id)
        return done(
            "Your calendar address is turned off: calendars that used it get no more updates.",
            "workspace.calendar_page",
        )

    return dispatch(create=create, revoke=revoke) or page()


def calendar_url(token: str) -> str:
    return url_for("workspace.calendar_feed", token=token, _external=True)


@bp.get("/plan/calendar/<token>.ics")
@public
def calendar_feed(token: str) -> ResponseReturnValue:
    """A student's calendar (iCalendar), for their own calendar application to subscribe to."""
    feed = calendar.feed_by_token(token)
    if feed is None:
        raise NotFoundError(
            "This calendar address does not work: it was turned off or replaced.",
            hint="Make a new address on the calendar page of Career Credit.",
            reason="no_calendar",
        )
    body = calendar.calendar_of(feed, request.host.split(":")[0] or "career-credit")
    response = current_app.response_class(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = 'inline; filename="career-credit.ics"'
    return response
