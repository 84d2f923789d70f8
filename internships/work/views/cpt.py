"""The work blueprint's advisor pages for CPT approvals and course caps."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from internships.services.listings import list_employers, list_listings
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext
from lti_tool.forms import ButtonForm
from lti_tool.unit_of_work import done, field_errors, form_page

from .. import forms
from ..services import caps, cpt
from ..services import engagements as eng
from . import bp

# --- CPT approvals (advisors) --------------------------------------------------------------------


def _cpt_choices(ctx: LaunchContext, form: forms.CptForm) -> None:
    f1 = {user.id for user in cpt.f1_students(ctx.tenant_id)}
    students = cpt.known_students(ctx.tenant_id)
    form.student.choices = [(0, "Choose a student")] + [
        (u.id, f"{u.name or u.email or 'Student ' + str(u.id)}{' (F-1)' if u.id in f1 else ''}")
        for u in sorted(students, key=lambda u: (u.id not in f1, u.name or ""))
    ]
    form.employer.choices = [(0, "Choose an employer")] + [
        (e.id, e.name) for e in list_employers(ctx.tenant_id)
    ]
    form.listing.choices = [(0, "Any listing of the employer")] + [
        (listing.id, f"{listing.title} ({listing.employer.name})")
        for listing in list_listings(ctx.tenant_id)
        if listing.status in ("open", "pending_approval", "filled")
    ]


@bp.route("/cpt", methods=["GET", "POST"])
@requires("advisor", write=True)
def cpt_approvals() -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.CptForm()
    _cpt_choices(ctx, form)
    if form.validate_on_submit():
        data = cpt.CptInput(
            student_id=form.student.data or 0,
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            dso_name=form.dso_name.data or "",
            note=form.note.data or "",
            employer_id=form.employer.data or None,
            listing_id=form.listing.data or None,
        )
        try:
            cpt.record_cpt_approval(ctx.actor, data)
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        else:
            return done("The CPT approval is recorded.", "work.cpt_approvals")
    return form_page(
        "work/cpt.html",
        form,
        approvals=cpt.list_cpt_approvals(ctx.tenant_id),
        revoke_form=ButtonForm(formdata=None),
    )


@bp.post("/cpt/<int:approval_id>/revoke")
@requires("advisor", write=True)
def revoke_cpt(approval_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    cpt.revoke_cpt_approval(ctx.actor, approval_id)
    return done("The CPT approval is marked revoked.", "work.cpt_approvals")


# --- per-course workload caps (faculty; a TA reads them) -----------------------------------------


@bp.get("/caps")
@requires("faculty")
def course_caps() -> ResponseReturnValue:
    ctx = current_launch()
    current = caps.effective_caps(ctx.tenant_id, ctx.course_id)
    form = forms.CapsForm(
        data={
            "max_concurrent": current.course_concurrent,
            "max_weekly_hours": current.course_weekly_hours,
        }
    )
    return render_template("work/caps.html", form=form, caps=current)


@bp.post("/caps")
@requires("faculty", write=True)
def save_course_caps() -> ResponseReturnValue:
    ctx = current_launch()
    form = forms.CapsForm()
    if form.validate_on_submit():
        try:
            caps.set_course_caps(ctx, form.max_concurrent.data, form.max_weekly_hours.data)
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        else:
            return done("The course's workload caps are saved.", "work.course_caps")
    current = caps.effective_caps(ctx.tenant_id, ctx.course_id)
    return render_template("work/caps.html", form=form, caps=current), 422
