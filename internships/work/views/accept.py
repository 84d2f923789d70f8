"""Accepting an applicant (advisors): the learning agreement's terms — goals, supervisor,
dates inside the course's term or knowingly beyond it — set with the acceptance, in one
transaction (a refused term accepts nobody)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from lti_tool.auth import current_launch, requires
from lti_tool.context import today_in
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.unit_of_work import done, field_errors, form_page

from ...workspace.plan.services.initial import set_at_acceptance
from .. import forms
from ..models import Engagement
from ..services import applications as apps
from ..services import engagements as eng
from ..services.terms import outside_term
from . import bp


def _defaults(application: Any) -> dict[str, Any]:
    """The listing's terms, for the advisor to confirm or change."""
    listing = application.listing
    return {
        "competencies": list(listing.competencies or []),
        "planned_hours": listing.estimated_hours,
        "supervisor_name": listing.employer.contact_name,
        "supervisor_email": listing.employer.contact_email,
        "start_date": listing.work_start,
        "end_date": listing.work_end,
    }


@bp.route("/applications/<int:application_id>/accept", methods=["GET", "POST"])
@requires("advisor", write=True)
def accept(application_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    application = apps.get_application(ctx, application_id)
    form = forms.AcceptForm(data=_defaults(application) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            apps.decide_application(
                ctx.actor,
                application.id,
                "accept",
                by_advisor=True,
                override_reason=form.override_reason.data or "",
            )
            engagement_id = db.session.scalar(
                select(Engagement.id).where(Engagement.application_id == application.id)
            )
            engagement = eng.update_agreement(ctx, int(engagement_id or 0), form.terms())
            set_at_acceptance(
                ctx.actor, engagement, form.milestones.data or "", today_in(ctx.time_zone)
            )
        except eng.EngagementInvalidError as exc:
            field_errors(form, exc)
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="override_reason")
        else:
            who = application.student.name or application.student.email
            return done(
                f"{who} is accepted; they are asked to acknowledge the learning agreement.",
                "work.applicants",
                listing_id=application.listing_id,
            )
    term = outside_term(application.course_id, form.start_date.data, form.end_date.data)
    return form_page("work/accept.html", form, application=application, term_warning=term)
