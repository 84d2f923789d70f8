"""The internships blueprint: the course board and listing pages for everyone in a launch;
creating, editing and approving listings for career advisors."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue

from lti_tool import tasks, workpool
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.forms import ButtonForm
from lti_tool.home import ROLE_LABELS
from lti_tool.unit_of_work import commit_now
from lti_tool.web import launch_url

from .board_forms import BoardFilterForm, ImportForm
from .forms import CloseListingForm
from .rendering import render_markdown
from .services import jobs as job_svc
from .services import listings as svc
from .services import pins as pin_svc
from .services.board import search_board
from .services.imports import (
    MAX_IMPORT_BYTES,
    ImportFormatError,
    decode_file,
    import_listings,
    read_records,
)
from .vocabulary import UNPAID_FACTORS, skill_label

bp = Blueprint("internships", __name__, url_prefix="/internships")


def _faculty_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """The instructor's home panel: the course's pinned listings and workload caps."""
    if ctx.course_id is None:
        return None
    from .work.services.caps import effective_caps

    return {
        "pinned": pin_svc.pinned_listings(ctx.tenant_id, ctx.course_id),
        "caps": effective_caps(ctx.tenant_id, ctx.course_id),
    }


def _advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: the approval queue and the career center's tools."""
    queue = svc.approval_queue(ctx.tenant_id)
    return {
        "waiting": len(queue),
        "from_employers": sum(1 for listing in queue if listing.source == "employer_form"),
        "drafts": len(svc.drafts_to_complete(ctx.tenant_id)),
    }


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


@bp.get("/")
@requires(*EVERYONE)
def board() -> ResponseReturnValue:
    ctx = current_launch()
    form = BoardFilterForm(request.args)
    query = dataclasses.replace(form.to_query(), course_id=ctx.course_id)
    page = search_board(ctx.tenant_id, query, today_in(ctx.time_zone))
    args = {k: request.args.getlist(k) for k in request.args if k not in ("page", "lid")}
    return render_template(
        "internships/board.html",
        form=form,
        page=page,
        args=args,
        pinned=pin_svc.pinned_ids(ctx.tenant_id, ctx.course_id),
    )


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
        pinned=listing.id in pin_svc.pinned_ids(ctx.tenant_id, ctx.course_id),
        pin_form=ButtonForm() if ctx.role == "faculty" and ctx.course_id else None,
    )


@bp.post("/<int:listing_id>/pin")
@requires("faculty", write=True)
def pin(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        flash("The form expired: try again.", "error")
    else:
        try:
            listing = svc.get_listing(ctx.tenant_id, listing_id, open_only=True)
            pin_svc.pin_listing(ctx, listing_id)
        except PolicyViolationError as exc:
            db.session.rollback()
            flash(f"{exc.message} {exc.hint}", "error")
        else:
            flash(
                f"“{listing.title}” is pinned to the top of {ctx.course_title}'s board.", "success"
            )
    return redirect(launch_url("internships.detail", listing_id=listing_id), code=303)


@bp.post("/<int:listing_id>/unpin")
@requires("faculty", write=True)
def unpin(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        flash("The form expired: try again.", "error")
    else:
        removed = pin_svc.unpin_listing(ctx, listing_id)
        flash("Unpinned." if removed else "That listing was not pinned.", "success")
    return redirect(launch_url("internships.detail", listing_id=listing_id), code=303)


@bp.post("/<int:listing_id>/close")
@requires("advisor", write=True)
def close(listing_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = CloseListingForm()
    if not form.validate_on_submit():
        flash("Choose whether the listing is filled or closed.", "error")
        return redirect(launch_url("internships.detail", listing_id=listing_id), code=303)
    listing = svc.close_listing(ctx.actor, listing_id, form.status.data or "")
    flash(f"“{listing.title}” is {STATUS_LABELS[listing.status].lower()}.", "success")
    return redirect(launch_url("internships.detail", listing_id=listing_id), code=303)


def read_upload(storage: Any) -> tuple[str, str]:
    """(text, filename) of an uploaded import file; ImportFormatError when too big (read no
    further than the limit), not UTF-8 or not text."""
    return decode_file(storage.read(MAX_IMPORT_BYTES + 1)), storage.filename or ""


def inline_rows() -> int:
    """Imports of at most this many rows run during the request; longer ones in the
    background with a progress page (IMPORT_INLINE_MAX_ROWS)."""
    return int(current_app.config["IMPORT_INLINE_MAX_ROWS"])


def queue_import(ctx: LaunchContext, kind: str, text: str, filename: str) -> ResponseReturnValue:
    """Queue a long import (within the person's cap on jobs in progress), start its runner
    after the commit, and show its progress page."""
    workpool.ensure_job_capacity(ctx.actor)
    job = job_svc.create_job(ctx.actor, kind, filename, text)
    commit_now()  # the job runner reads the job from its own session
    tasks.start(current_app._get_current_object(), job_svc.TASK_KIND, job.id)  # type: ignore[attr-defined]
    return redirect(launch_url("internships.import_job", job_id=job.id), code=303)


@bp.route("/import", methods=["GET", "POST"])
@requires("advisor", write=True)
def import_file() -> ResponseReturnValue:
    ctx = current_launch()
    form, report = ImportForm(), None
    if form.validate_on_submit():
        try:
            text, filename = read_upload(form.file.data)
            records = read_records(text, filename)
        except ImportFormatError as exc:
            form.file.errors = [*form.file.errors, exc.message]
        else:
            if len(records) > inline_rows():
                return queue_import(ctx, "listings", text, filename)
            report = import_listings(ctx.actor, records)
    status = 422 if form.errors else 200
    return render_template(
        "internships/import.html",
        form=form,
        report=report,
        jobs=job_svc.recent_jobs(ctx.tenant_id, "listings"),
    ), status


def _job_for_page(job_id: int) -> Any:
    ctx = current_launch()
    return tasks.resume_if_stale(job_svc.TASK_KIND, job_svc.get_job(ctx.tenant_id, job_id))


@bp.get("/import/jobs/<int:job_id>")
@requires("advisor")
def import_job(job_id: int) -> ResponseReturnValue:
    job = _job_for_page(job_id)
    back = "profile.import_profiles" if job.kind == "profiles" else "internships.import_file"
    return render_template(
        "internships/import_job.html",
        job=job,
        back=back,
        labels=job_svc.STATUS_LABELS,
        status_line=job_svc.status_line(job),
    )


@bp.get("/import/jobs/<int:job_id>/progress")
@requires("advisor")
def import_job_progress(job_id: int) -> ResponseReturnValue:
    """The counters the progress page polls (JSON)."""
    job = _job_for_page(job_id)
    return tasks.progress_response(
        job,
        job_svc.status_line(job),
        created=job.created,
        updated=job.updated,
        unchanged=job.unchanged,
        rejected=job.rejected,
    )
