"""The check-ins panel of the engagement's workspace (``panels.register_panel``): the
student checks in for the week from the engagement page, the supervisor confirms from their
workspace page, faculty and advisors read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.typing import ResponseReturnValue

from internships.work.models import Engagement
from lti_tool.context import today_in
from lti_tool.errors import AppError, ForbiddenError
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.unit_of_work import field_errors

from .. import panels
from ..blank_forms import BlankForm
from . import checkins
from .forms import CheckInForm, ReviewForm

NAME = "rhythm"
ANCHOR = "checkins-heading"


def _today(viewer: panels.Viewer, engagement: Engagement) -> dt.date:
    if viewer.ctx is not None:
        return today_in(viewer.ctx.time_zone)
    tenant = db.session.get(Tenant, engagement.tenant_id)
    return today_in(tenant.time_zone if tenant is not None else "UTC")


def _may_check_in(viewer: panels.Viewer, engagement: Engagement) -> bool:
    return (
        viewer.role == "student"
        and not viewer.read_only
        and engagement.status == "active"
        and engagement.acknowledged_at is not None
    )


def provide(viewer: panels.Viewer, engagement: Engagement) -> dict[str, Any] | None:
    """The latest check-ins; this week's form for the student, a confirmation form for each
    unconfirmed check-in on the supervisor's page."""
    if engagement.status == "cancelled":
        return None
    week = checkins.week_of(_today(viewer, engagement))
    rows = checkins.recent_checkins(engagement)
    current = next((row for row in rows if row.week_start == week), None)
    data: dict[str, Any] = {
        "checkins": rows,
        "week": week,
        "current": current,
        "page_url": viewer.page_url(engagement.id),
        "lid": viewer.ctx.launch_id if viewer.ctx is not None else "",
        "role": viewer.role,
        "supervisor": engagement.supervisor_name or "the supervisor",
        "acknowledged": engagement.acknowledged_at is not None,
        "prompts": checkins.PROMPTS,
        "form": None,
        "review_form": None,
        "review_id": None,
    }
    if _may_check_in(viewer, engagement) and (current is None or current.reviewed_at is None):
        filled = {}
        if current is not None:
            filled = {
                "done": current.done,
                "next": current.next,
                "blocked": "yes" if current.blocked else "no",
                "blocker": current.blocker,
            }
        # this week's saved answers, or empty (rendered once per process)
        data["form"] = CheckInForm(formdata=None, data=filled) if filled else BlankForm(CheckInForm)
    if viewer.is_supervisor and engagement.status == "active":
        data["review_form"] = ReviewForm(formdata=None)
    return data


def handle(
    viewer: panels.Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """``rhythm.checkin`` (the student) and ``rhythm.review`` (the supervisor)."""
    if action == "checkin" and viewer.role == "student":
        return _check_in(viewer, engagement)
    if action == "review" and viewer.is_supervisor:
        return _review(viewer, engagement)
    raise ForbiddenError(
        "Only the student checks in, and only the supervisor confirms a check-in.", reason="role"
    )


def _check_in(
    viewer: panels.Viewer, engagement: Engagement
) -> ResponseReturnValue | dict[str, Any]:
    form = CheckInForm()
    if viewer.ctx is None or not form.validate_on_submit():
        return {"form": form}
    try:
        checkins.submit_checkin(viewer.ctx, engagement, form.answers(), _today(viewer, engagement))
    except AppError as exc:
        field_errors(form, exc)
        return {"form": form}
    return panels.finished(viewer, engagement.id, "Your check-in for this week is saved.", ANCHOR)


def _review(viewer: panels.Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = ReviewForm()
    checkin_id = form.checkin()
    if not form.validate_on_submit() or checkin_id is None:
        return {"review_form": form, "review_id": checkin_id}
    try:
        checkins.review_checkin(viewer.actor, engagement, checkin_id, form.comment.data or "")
    except AppError as exc:
        field_errors(form, exc)
        return {"review_form": form, "review_id": checkin_id}
    return panels.finished(viewer, engagement.id, "Check-in confirmed. Thank you.", ANCHOR)
