"""The internships blueprint (``/internships``): the course board and listing pages for everyone
in a launch, pins for faculty, closing a listing for career advisors. Its other pages are in
``listings`` (creating, editing, drafts and approval), ``invitations`` (employer invitations)
and ``imports`` (the listing import and background imports)."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import NotFoundError, PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, refused
from lti_tool.web import launch_url
from lti_tool.words import money

from ..forms import BoardFilterForm, CloseListingForm
from ..models import STATUS_LABELS
from ..rendering import render_markdown
from ..services import listings as svc
from ..services import pins as pin_svc
from ..services.board import BoardQuery, search_board
from ..vocabulary import UNPAID_FACTORS, skill_label
from ..workspace.home_counts import advisor_counts

bp = Blueprint("internships", __name__, url_prefix="/internships")


def faculty_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """The instructor's home panel: the course's pinned listings and workload caps."""
    if ctx.course_id is None:
        return None
    from ..work.services.caps import effective_caps

    return {
        "pinned": pin_svc.pinned_listings(ctx.tenant_id, ctx.course_id),
        "caps": effective_caps(ctx.tenant_id, ctx.course_id),
    }


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: the approval queue and the career center's tools (its counts
    read in the statement of the other internships panels' counts)."""
    counts = advisor_counts(ctx)
    return {name: counts[name] for name in ("waiting", "from_employers", "drafts")}


EVERYONE = ("student", "faculty", "advisor")
# a filled listing stays readable (saying so) where students found it; the others are advisors'
SHOWN_TO_EVERYONE = ("open", "filled")


# a global as well, so the listing macros (``internships/_macros.html``) are imported without
# the page's context: Jinja then builds their module once per process, not once per page
bp.add_app_template_global(money, "money")


@bp.context_processor
def context_helpers() -> dict[str, Any]:
    ctx = g.get("launch")  # None while an error page renders before the launch is known
    return {
        "skill_label": skill_label,
        "status_label": STATUS_LABELS.get,
        "money": money,
        "is_advisor": ctx is not None and ctx.role == "advisor",
    }


def _employer_choices(tenant_id: int) -> list[tuple[int, str]]:
    return [(e.id, e.name) for e in svc.list_employers(tenant_id)]


def expired(endpoint: str, **values: Any) -> ResponseReturnValue:
    """A button's form that no longer validates (its launch or token expired): say so, back."""
    flash("The form expired: try again.", "error")
    return redirect(launch_url(endpoint, **values), code=303)


@bp.get("/")
@requires(*EVERYONE)
def board() -> ResponseReturnValue:
    ctx = current_launch()
    form, query, filters = _board_form(_board_key(request.args))
    query = dataclasses.replace(query, course_id=ctx.course_id)
    page = search_board(ctx.tenant_id, query, today_in(ctx.time_zone))
    args = {k: request.args.getlist(k) for k in request.args if k not in ("page", "lid")}
    # what a listing's "Back to all listings" returns to: this page of this search
    back = urlencode([(k, v) for k, values in args.items() for v in values])
    if page.page > 1:
        back += f"{'&' if back else ''}page={page.page}"
    return render_template(
        "internships/board.html",
        form=form,
        filters=filters,
        page=page,
        args=args,
        back=back or None,
        pinned=page.pinned,
    )


# the board's query parameters: its filter form's fields (page among them), in name order
BOARD_ARGS = tuple(
    sorted(name for name, value in vars(BoardFilterForm).items() if isinstance(value, UnboundField))
)

_BoardKey = tuple[tuple[str, tuple[str, ...]], ...]


def _board_key(args: MultiDict[str, str]) -> _BoardKey:
    """The board's own parameters of a query string: what its form depends on."""
    return tuple((name, tuple(args.getlist(name))) for name in BOARD_ARGS if name in args)


def board_filters(args: MultiDict[str, str]) -> dict[str, Markup]:
    """The HTML of the board's filter form around its skills picker for this query string
    (``internships/_board_filters.html``): a function of the board's own parameters alone."""
    return _board_form(_board_key(args))[2]


@functools.lru_cache(maxsize=256)
def _board_form(key: _BoardKey) -> tuple[BoardFilterForm, BoardQuery, dict[str, Markup]]:
    """The board's filter form made and checked from the key (as from the query string: its
    values and messages are the same), its query, and the HTML of the form around the
    skills picker; kept per process for the latest 256 query strings (making and checking
    the form, and rendering its fields, were a quarter of the board's CPU). The form is only
    read after this (the page renders its skills picker and shows its words)."""
    form = BoardFilterForm(MultiDict([(name, v) for name, values in key for v in values]))
    query = form.to_query()  # checks the values: a bad one shows its message
    module = current_app.jinja_env.get_template("internships/_board_filters.html").module
    macros: Any = module  # the template's macros (Markup: the page escapes automatically)
    return form, query, {"head": macros.head(form), "tail": macros.tail(form)}


def board_args(back: str) -> dict[str, list[str]]:
    """The board's search and filters a listing was found with (``back``, the board's query
    string as the board passed it), for the link back: only the board's own parameters."""
    found: dict[str, list[str]] = {}
    for key, value in parse_qsl(back[:4000]):
        if key in BOARD_ARGS:
            found.setdefault(key, []).append(value)
    return found


@bp.route("/<int:listing_id>", methods=["GET", "POST"])
@requires(*EVERYONE)
def detail(listing_id: int) -> ResponseReturnValue:
    """A listing; career advisors take it off the board here (form ``close``)."""
    return dispatch(close=lambda: _close(listing_id)) or _detail_page(listing_id)


def _detail_page(
    listing_id: int, close_form: CloseListingForm | None = None
) -> ResponseReturnValue:
    ctx = current_launch()
    listing = svc.get_listing(ctx.tenant_id, listing_id)
    if ctx.role != "advisor" and listing.status not in SHOWN_TO_EVERYONE:
        raise NotFoundError("That listing does not exist or is no longer open.")
    if ctx.role == "advisor" and close_form is None:
        close_form = CloseListingForm(formdata=None)
    return render_template(
        "internships/detail.html",
        listing=listing,
        description=render_markdown(listing.description_md),
        factors=UNPAID_FACTORS,
        close_form=close_form,
        pinned=listing.id in pin_svc.pinned_ids(ctx.tenant_id, ctx.course_id),
        pin_form=ButtonForm() if ctx.role == "faculty" and ctx.course_id else None,
        back_args=board_args(request.args.get("back", "")),
    ), 422 if close_form is not None and close_form.errors else 200


@bp.post("/<int:listing_id>/pin")
@requires("faculty", write=True)
def pin(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return expired("internships.detail", listing_id=listing_id)
    try:
        listing = svc.get_listing(ctx.tenant_id, listing_id, open_only=True)
        pin_svc.pin_listing(ctx, listing_id)
    except PolicyViolationError as exc:
        return refused(exc, "internships.detail", listing_id=listing_id)
    message = f"“{listing.title}” is pinned to the top of {ctx.course_title}'s board."
    return done(message, "internships.detail", listing_id=listing_id)


@bp.post("/<int:listing_id>/unpin")
@requires("faculty", write=True)
def unpin(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return expired("internships.detail", listing_id=listing_id)
    removed = pin_svc.unpin_listing(ctx, listing_id)
    message = "Unpinned." if removed else "That listing was not pinned."
    return done(message, "internships.detail", listing_id=listing_id)


@requires("advisor", write=True)
def _close(listing_id: int) -> ResponseReturnValue:
    """Take a listing off the board (filled, or closed); only advisors."""
    ctx = current_launch()
    form = CloseListingForm()
    if not form.validate_on_submit():
        return _detail_page(listing_id, form)
    listing = svc.close_listing(ctx.actor, listing_id, form.status.data or "")
    message = f"“{listing.title}” is {STATUS_LABELS[listing.status].lower()}."
    return done(message, "internships.detail", listing_id=listing_id)
