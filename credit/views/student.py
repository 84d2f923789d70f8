"""The credit blueprint's student pages: answering a request for changes (which asks for a
review again) and choosing the course an engagement counts toward."""

from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from internships.work.services import engagements as eng
from internships.work.services import reopenings
from lti_tool.auth import current_launch, requires
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course
from lti_tool.unit_of_work import done, field_errors, form_page
from lti_tool.web import launch_url

from .. import forms
from ..services import awards as award_svc
from ..services import policy as policy_svc
from . import bp


@bp.route("/courses/<int:course_id>/changes", methods=["GET", "POST"])
@requires("student")
def changes(course_id: int) -> ResponseReturnValue:
    """The student's side of a request for changes: what the instructor asked for and
    reopened, what they changed so far, and their answer (which sends the work back)."""
    ctx = current_launch()
    request_row = award_svc.open_request(ctx.tenant_id, course_id, ctx.user_id)
    if request_row is None:  # answered already, or an old link: said on the student's home
        flash("Your instructor is not waiting for changes from you in that course.", "info")
        return redirect(launch_url("home.student"), code=303)
    form = forms.AnswerForm()
    if form.validate_on_submit():
        try:
            award_svc.resubmit(ctx, course_id, form.answer.data or "")
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="answer")
        else:
            return done(
                "Your answer was sent: your instructor will review your work again.",
                "home.student",
            )
    rows = reopenings.of_requests(ctx.tenant_id, [request_row.id])[request_row.id]
    return form_page(
        "credit/changes.html",
        form,
        request_row=request_row,
        reopened=rows,
        words=award_svc.reopened_words(rows),
        course=db.session.get(Course, course_id),
    )


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
