"""Evidence pages (outcomes blueprint): the student's evidence and self-assessment, the
faculty rubric, and ``flask frameworks evidence-sync``."""

from __future__ import annotations

import click
from flask import flash, redirect, render_template, request
from flask.cli import with_appcontext
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from accreditation.frameworks.views import bp
from accreditation.writeback import services as writeback
from lti_tool.auth import current_launch, requires
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.forms import ButtonForm
from lti_tool.models import Tenant
from lti_tool.unit_of_work import done, refuse
from lti_tool.web import launch_url

from . import ratings, services
from .forms import NOT_APPLICABLE, RatingForm, ratings_from


@bp.get("/evidence")
@requires("student")
def my_evidence() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "outcomes/evidence.html",
        rows=services.student_evidence(ctx.tenant_id, ctx.user_id),
        engagements=ratings.student_engagements(ctx),
        refresh_form=ButtonForm(),
    )


# Where "Refresh" sends a student back to: the pages that show their evidence.
REFRESH_PAGES = {"evidence": "outcomes.my_evidence", "attainment": "attainment.student_report"}


@bp.post("/evidence/refresh")
@requires("student")
def refresh_evidence() -> ResponseReturnValue:
    """Record the student's supervisor ratings now (the background sync does it within a
    minute anyway); back to the page the button was on."""
    ctx = current_launch()
    endpoint = REFRESH_PAGES.get(request.form.get("back", ""), "outcomes.my_evidence")
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
        "outcomes/ratings_index.html", engagements=ratings.course_engagements(ctx)
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


@bp.route("/ratings/<int:engagement_id>", methods=["GET", "POST"])
@requires("faculty", write=True)
def rate_engagement(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    sheet = ratings.faculty_sheet(ctx, engagement_id)
    form = RatingForm()
    errors: list[str] = []
    if form.validate_on_submit():
        posted = ratings_from(request.form, [r.item.id for r in sheet.rows])
        try:
            changed, notes = ratings.rate_engagement(ctx, engagement_id, posted)
        except PolicyViolationError as exc:
            refuse()
            errors.append(exc.message)
        else:
            flash(f"Saved {len(changed)} changed ratings.", "success")
            for note in notes:
                flash(note, "error")
            target = launch_url("outcomes.rate_engagement", engagement_id=engagement_id)
            return redirect(target, 303)
    elif request.method == "POST":
        errors.append("The form expired: reload the page and rate again.")
    messages = writeback.writeback_messages(
        ctx.tenant_id, sheet.engagement.course_id or 0, sheet.engagement.student_id
    )
    return _sheet_page("outcomes/rate.html", sheet, form, errors, syncs=messages)


@bp.route("/self-assessment/<int:engagement_id>", methods=["GET", "POST"])
@requires("student", write=True)
def self_assessment(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    sheet = ratings.self_sheet(ctx, engagement_id)
    form = RatingForm()
    errors: list[str] = []
    if form.validate_on_submit():
        posted = ratings_from(request.form, [r.item.id for r in sheet.rows])
        try:
            changed = ratings.assess_self(ctx, engagement_id, posted)
        except PolicyViolationError as exc:
            refuse()
            errors.append(exc.message)
        else:
            flash(f"Saved your self-assessment ({len(changed)} changed ratings).", "success")
            return redirect(launch_url("outcomes.my_evidence"), 303)
    elif request.method == "POST":
        errors.append("The form expired: reload the page and rate again.")
    return _sheet_page("outcomes/self_assessment.html", sheet, form, errors)


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
    return redirect(launch_url("outcomes.rate_engagement", engagement_id=engagement_id), 303)


@click.command("evidence-sync")
@with_appcontext
@click.option("--tenant", "tenant_name", required=True, help="The tenant's name.")
def evidence_sync(tenant_name: str) -> None:
    """Record evidence for supervisor ratings not yet recorded (safe to run at any time)."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.name == tenant_name))
    if tenant is None:
        raise click.ClickException(f"No tenant is named {tenant_name!r}.")
    added = services.sync_supervisor_evidence(tenant.id)
    db.session.commit()
    click.echo(f"Recorded {added} new evidence rows for {tenant_name!r}.")
