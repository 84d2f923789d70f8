"""The evidence blueprint (``/evidence``): the student's evidence and self-assessment, the
faculty rubric and its write-back's retry. The pages share the frameworks' layout
(``frameworks/layout.html``, "Learning outcomes"). ``flask evidence sync`` is in
``commands.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from accreditation.frameworks.views import layout_helpers
from accreditation.writeback import services as writeback
from lti_tool.auth import current_launch, requires
from lti_tool.errors import PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.unit_of_work import done, refuse
from lti_tool.web import launch_url

from . import ratings, services
from .forms import NOT_APPLICABLE, RatingForm, ratings_from
from .ratings import Rating

T = TypeVar("T")

bp = Blueprint("evidence", __name__, url_prefix="/evidence")
bp.context_processor(layout_helpers)


@bp.get("/")
@requires("student")
def my_evidence() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "evidence/evidence.html",
        rows=services.student_evidence(ctx.tenant_id, ctx.user_id),
        engagements=ratings.student_engagements(ctx),
        refresh_form=ButtonForm(),
    )


# Where "Refresh" sends a student back to: the pages that show their evidence.
REFRESH_PAGES = {"evidence": "evidence.my_evidence", "attainment": "attainment.student_report"}


@bp.post("/refresh")
@requires("student")
def refresh_evidence() -> ResponseReturnValue:
    """Record the student's supervisor ratings now (the background sync does it within a
    minute anyway); back to the page the button was on."""
    ctx = current_launch()
    endpoint = REFRESH_PAGES.get(request.form.get("back", ""), "evidence.my_evidence")
    if not ButtonForm().validate_on_submit():
        flash("The form expired: reload the page and try again.", "error")
        return redirect(launch_url(endpoint), 303)
    added = services.sync_supervisor_evidence(ctx.tenant_id, ctx.user_id)
    if not added:
        return done("Your evidence is up to date.", endpoint)
    return done(f"Recorded {added} new rating{'s' if added != 1 else ''}.", endpoint)


@bp.get("/ratings")
@requires("faculty")
def rating_index() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "evidence/ratings_index.html", engagements=ratings.course_engagements(ctx)
    )


def _sheet_page(
    template: str, sheet: ratings.Sheet, form: RatingForm, errors: list[str], **extra: object
) -> ResponseReturnValue:
    values = dict(request.form) if request.method == "POST" else {}
    return render_template(
        template,
        sheet=sheet,
        form=form,
        errors=errors,
        values=values,
        na=NOT_APPLICABLE,
        **extra,
    ), 422 if errors else 200


def _save_sheet(
    sheet: ratings.Sheet, form: RatingForm, save: Callable[[dict[int, Rating]], T]
) -> tuple[T | None, list[str]]:
    """Save the ratings posted on ``sheet`` with ``save``: what it returned (None when nothing
    was saved) and the errors to show (a refusal takes back what the request wrote)."""
    errors: list[str] = []
    if form.validate_on_submit():
        posted = ratings_from(request.form, [r.item.id for r in sheet.rows])
        try:
            return save(posted), errors
        except PolicyViolationError as exc:
            refuse()
            errors.append(exc.message)
    elif request.method == "POST":
        errors.append("The form expired: reload the page and rate again.")
    return None, errors


@bp.route("/ratings/<int:engagement_id>", methods=["GET", "POST"])
@requires("faculty", write=True)
def rate_engagement(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    sheet = ratings.faculty_sheet(ctx, engagement_id)
    form = RatingForm()
    saved, errors = _save_sheet(
        sheet, form, lambda posted: ratings.rate_engagement(ctx, engagement_id, posted)
    )
    if saved is not None:
        changed, notes = saved
        flash(f"Saved {len(changed)} changed ratings.", "success")
        for note in notes:
            flash(note, "error")
        target = launch_url("evidence.rate_engagement", engagement_id=engagement_id)
        return redirect(target, 303)
    messages = writeback.writeback_messages(
        ctx.tenant_id, sheet.engagement.course_id or 0, sheet.engagement.student_id
    )
    return _sheet_page("evidence/rate.html", sheet, form, errors, syncs=messages)


@bp.route("/self-assessment/<int:engagement_id>", methods=["GET", "POST"])
@requires("student", write=True)
def self_assessment(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    sheet = ratings.self_sheet(ctx, engagement_id)
    form = RatingForm()
    changed, errors = _save_sheet(
        sheet, form, lambda posted: ratings.assess_self(ctx, engagement_id, posted)
    )
    if changed is not None:
        flash(f"Saved your self-assessment ({len(changed)} changed ratings).", "success")
        return redirect(launch_url("evidence.my_evidence"), 303)
    return _sheet_page("evidence/self_assessment.html", sheet, form, errors)


@bp.post("/ratings/sync/<int:message_id>/retry")
@requires("faculty", write=True)
def retry_writeback(message_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = RatingForm()
    engagement_id = request.form.get("engagement_id", type=int) or 0
    if not form.validate_on_submit():
        flash("The form expired: reload the page and try again.", "error")
    else:
        try:
            writeback.retry_writeback(ctx, message_id)
        except PolicyViolationError as exc:
            refuse()
            flash(exc.message, "error")
        else:
            flash("Sending again.", "success")
    return redirect(launch_url("evidence.rate_engagement", engagement_id=engagement_id), 303)
