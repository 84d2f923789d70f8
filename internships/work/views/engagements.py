"""The work blueprint's engagement pages: the engagement, hours, deliverables, reflection,
learning agreement, status and supervisor links, for the student, the course's faculty and
advisors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors, form_page, refuse, refused

from ...workspace import panels as workspace
from .. import forms
from ..services import engagements as eng
from ..services import evaluations as eval_svc
from ..services import hour_reviews, reopenings
from ..services import hours as hour_svc
from . import ENGAGEMENT_LABELS, _read, attachment, bp
from .engagement_page import show_engagement

# --- engagements ---------------------------------------------------------------------------------


@bp.route("/engagements/<int:engagement_id>", methods=["GET", "POST"])
@requires("student", "faculty", "advisor")
def engagement(engagement_id: int) -> ResponseReturnValue:
    """The engagement's page; the student's forms (hours, a deliverable, the next step) and
    the next step of faculty and advisors post to it (``lti_tool.page_forms``)."""
    ctx = current_launch()
    if request.method == "POST" and ctx.read_only:
        raise ForbiddenError(
            "Your access to this course is read-only (teaching assistant).", reason="read_only"
        )
    student_only = ctx.role == "student"
    posted = dispatch(
        hours=(lambda: _log_hours(engagement_id)) if student_only else _not_yours,
        deliverable=(lambda: _add_deliverable(engagement_id)) if student_only else _not_yours,
        status=lambda: _change_status(engagement_id),
        review_hours=lambda: _review_hours(engagement_id),
        supervisor_link=lambda: _supervisor_link(engagement_id),
        **workspace.handlers(
            workspace.Viewer.of_launch(ctx),
            lambda: eng.get_engagement(ctx, engagement_id),
            lambda replaced: show_engagement(engagement_id, 422, replaced),
        ),
    )
    return posted or show_engagement(engagement_id)


def _not_yours() -> ResponseReturnValue:
    raise ForbiddenError("Only the student does this.", reason="role")


@bp.post("/engagements/<int:engagement_id>/acknowledge")
@requires("student", write=True)
def acknowledge(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        eng.acknowledge_agreement(ctx, engagement_id)
    except PolicyViolationError as exc:
        return refused(exc, "work.engagement", engagement_id=engagement_id)
    return done(
        "You acknowledged the learning agreement.", "work.engagement", engagement_id=engagement_id
    )


def _log_hours(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.HoursForm()
    if form.validate_on_submit() and form.work_date.data:
        try:
            hour_svc.log_hours(
                ctx,
                engagement_id,
                form.work_date.data,
                form.hours.data or "",
                form.description.data or "",
            )
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        except PolicyViolationError as exc:
            return refused(exc, "work.engagement", engagement_id=engagement_id)
        else:
            return done("Hours logged.", "work.engagement", engagement_id=engagement_id)
    return show_engagement(engagement_id, 422, hours_form=form)


def _hour_entry(form: forms.HourEditForm, work_date: dt.date) -> hour_svc.HourEntry:
    return hour_svc.HourEntry(
        work_date,
        form.hours.data or "",
        form.description.data or "",
        form.answer.data or "",
    )


@bp.route("/engagements/<int:engagement_id>/hours/<int:log_id>", methods=["GET", "POST"])
@requires("student", write=True)
def edit_hours(engagement_id: int, log_id: int) -> ResponseReturnValue:
    """The student changes a pending or queried entry (a queried one with their answer), or
    deletes it; both forms post to this page (``lti_tool.page_forms``)."""
    return dispatch(
        change=lambda: _change_hours(engagement_id, log_id),
        delete=lambda: _delete_hours(engagement_id, log_id),
    ) or _hour_edit_page(engagement_id, log_id)


def _hour_edit_page(
    engagement_id: int, log_id: int, form: Any = None, delete_form: Any = None
) -> ResponseReturnValue:
    ctx = current_launch()
    engagement, log = hour_svc.own_open_log(ctx, engagement_id, log_id)
    delete_form = delete_form or forms.DeleteHoursForm(formdata=None)
    return render_template(
        "work/hour_edit.html",
        form=form or forms.HourEditForm(formdata=None, data=_entry_data(log)),
        engagement=engagement,
        log=log,
        delete_form=delete_form,
    ), 422 if (form is not None and form.errors) or delete_form.errors else 200


def _change_hours(engagement_id: int, log_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement, log = hour_svc.own_open_log(ctx, engagement_id, log_id)
    form = forms.HourEditForm()
    if form.validate_on_submit() and form.work_date.data:
        try:
            hour_svc.edit_hours(ctx, engagement.id, log.id, _hour_entry(form, form.work_date.data))
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        else:
            message = "Entry changed and sent back for review." if log.answer else "Entry changed."
            return done(message, "work.engagement", engagement_id=engagement.id)
    return _hour_edit_page(engagement_id, log_id, form=form)


def _delete_hours(engagement_id: int, log_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement, log = hour_svc.own_open_log(ctx, engagement_id, log_id)
    delete_form = forms.DeleteHoursForm()
    if delete_form.validate_on_submit():
        hour_svc.delete_hours(ctx, engagement.id, log.id)
        return done("Entry deleted.", "work.engagement", engagement_id=engagement.id)
    return _hour_edit_page(engagement_id, log_id, delete_form=delete_form)


def _entry_data(log: Any) -> dict[str, Any]:
    return {"work_date": log.work_date, "hours": f"{log.hours:g}", "description": log.description}


def _review_hours(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if ctx.role not in ("faculty", "advisor"):
        raise ForbiddenError("Only instructors and advisors review hours here.", reason="role")
    engagement = eng.get_engagement(ctx, engagement_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    log_ids = [log.id for log in hour_svc.hour_logs(engagement)]
    try:
        hour_reviews.review_hours(
            ctx.actor,
            engagement.id,
            forms.hour_decisions(request.form, log_ids),
            reviewer=ctx.role,
        )
    except eng.EngagementInvalidError as exc:
        return refused(exc, "work.engagement", engagement_id=engagement_id)
    return done("Hours reviewed.", "work.engagement", engagement_id=engagement_id)


def _add_deliverable(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.DeliverableForm()
    if form.validate_on_submit():
        data, filename = _read(form.file, "DELIVERABLE_MAX_BYTES")
        try:
            eng.add_deliverable(
                ctx,
                engagement_id,
                form.title.data or "",
                url=form.url.data or "",
                data=data,
                filename=filename,
                revises=form.revised_id(),
            )
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        except PolicyViolationError as exc:
            return refused(exc, "work.engagement", engagement_id=engagement_id)
        else:
            return done("Deliverable added.", "work.engagement", engagement_id=engagement_id)
    return show_engagement(engagement_id, 422, deliverable_form=form)


@bp.get("/deliverables/<int:deliverable_id>")
@requires("student", "faculty", "advisor")
def deliverable_file(deliverable_id: int) -> ResponseReturnValue:
    deliverable = eng.get_deliverable(current_launch(), deliverable_id)
    return attachment(deliverable.file_path, deliverable.filename, deliverable.content_type)


@bp.route("/engagements/<int:engagement_id>/reflection", methods=["GET", "POST"])
@requires("student", write=True)
def reflection(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    saved = eng.reflection_of(engagement)
    form = forms.ReflectionForm(data=saved.answers if saved and request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            eng.save_reflection(ctx, engagement.id, form.answers(), submit=bool(form.submit.data))
        except (eng.EngagementInvalidError, PolicyViolationError) as exc:
            field_errors(form, exc)
        else:
            message = "Reflection submitted." if form.submit.data else "Draft saved."
            return done(message, "work.engagement", engagement_id=engagement.id)
    return form_page(
        "work/reflection.html",
        form,
        engagement=engagement,
        reflection=saved,
        reopened=reopenings.is_open(engagement, "reflection"),
    )


@bp.route("/engagements/<int:engagement_id>/agreement", methods=["GET", "POST"])
@requires("faculty", "advisor", write=True)
def agreement(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    form = forms.AgreementForm(obj=engagement if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            eng.update_agreement(ctx, engagement.id, form.terms())
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        else:
            return done(
                "Learning agreement saved; the student is asked to acknowledge it.",
                "work.engagement",
                engagement_id=engagement.id,
            )
    return form_page("work/agreement.html", form, engagement=engagement)


def _change_status(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.StatusForm()
    if form.validate_on_submit():
        try:
            engagement = eng.change_status(ctx, engagement_id, form.action.data or "")
            if (
                engagement.status == "submitted"
                and engagement.supervisor_email
                and eval_svc.evaluation_of(engagement) is None
            ):
                eval_svc.send_supervisor_link(
                    ctx.actor, engagement.id, "evaluate", _supervisor_url("evaluate")
                )
        except PolicyViolationError as exc:
            # e.g. "Submit: my work is done" before the learning agreement is acknowledged:
            # the reason and what to do, on the page, next to the choice
            refuse()
            message = exc.message
            if exc.reason == "not_acknowledged":
                message += (
                    " Use “I have read and accept this learning agreement” under Learning "
                    "agreement at the top of this page, then submit again."
                )
            form.action.errors = [*form.action.errors, message]
        else:
            return done(
                f"The engagement is now {ENGAGEMENT_LABELS[engagement.status].lower()}.",
                "work.engagement",
                engagement_id=engagement.id,
            )
    return show_engagement(engagement_id, 422, status_form=form)


def _supervisor_url(purpose: str) -> Any:
    endpoint = {
        "confirm_hours": "supervisor.hours",
        "evaluate": "supervisor.evaluate",
        "workspace": "workspace.supervisor",
    }[purpose]
    return lambda token: url_for(endpoint, token=token, _external=True)


def _supervisor_link(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    form = forms.SupervisorLinkForm()
    if not form.validate_on_submit():
        abort(400)
    purpose = form.purpose.data or ""
    if ctx.role == "student" and purpose not in ("confirm_hours", "workspace"):
        abort(403)
    try:
        eval_svc.send_supervisor_link(ctx.actor, engagement.id, purpose, _supervisor_url(purpose))
    except PolicyViolationError as exc:
        return refused(exc, "work.engagement", engagement_id=engagement_id)
    return done(
        f"We emailed {engagement.supervisor_name or 'the supervisor'} a link.",
        "work.engagement",
        engagement_id=engagement.id,
    )
