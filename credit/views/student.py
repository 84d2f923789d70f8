"""The credit blueprint's student pages: asking for a review again and choosing the course an
engagement counts toward."""

from __future__ import annotations

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue

from internships.work.services import engagements as eng
from lti_tool.auth import current_launch, requires
from lti_tool.errors import PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.unit_of_work import done, field_errors, refused

from .. import forms
from ..services import awards as award_svc
from ..services import policy as policy_svc
from . import bp


@bp.post("/resubmit/<int:course_id>")
@requires("student", write=True)
def resubmit(course_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        award_svc.resubmit(ctx, course_id)
    except PolicyViolationError as exc:
        return refused(exc, "home.student")
    return done("Your instructor will review your work again.", "home.student")


@bp.route("/engagements/<int:engagement_id>/course", methods=["GET", "POST"])
@requires("student")
def choose_course(engagement_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    engagement = eng.get_engagement(ctx, engagement_id)
    courses = policy_svc.student_courses(ctx.tenant_id, ctx.user_id)
    form = forms.ChooseCourseForm(
        data={"course_id": engagement.course_id} if request.method == "GET" else None
    )
    form.course_id.choices = [(c.id, c.title or c.label or f"Course {c.id}") for c in courses]
    if form.validate_on_submit():
        try:
            policy_svc.assign_engagement_course(ctx, engagement.id, form.course_id.data)
        except PolicyViolationError as exc:
            field_errors(form, exc)
        else:
            return done(
                "Saved: this engagement counts toward the course you chose.",
                "work.engagement",
                engagement_id=engagement.id,
            )
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "credit/choose_course.html", form=form, engagement=engagement, courses=courses
    ), status
