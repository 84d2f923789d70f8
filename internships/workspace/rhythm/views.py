"""The rhythm area's pages and home panels: the institution's reminder settings (advisors, on
the workspace blueprint: ``/workspace/rhythm/settings``), the
advisor's home panel that links to them, and the student's workload this week on their
home."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import bindparam, func, select

from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import AppError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors

from ..views import bp
from . import settings as rhythm_settings
from .checkins import week_of
from .forms import SettingsForm
from .models import CheckIn, Reminder
from .workload import student_workload


@bp.route("/rhythm/settings", methods=["GET", "POST"])
@requires("advisor")
def rhythm_settings_page() -> ResponseReturnValue:
    """The institution's reminder settings."""
    return dispatch(settings=_save) or _page(SettingsForm(formdata=None, data=_current()))


def _current() -> dict[str, Any]:
    return rhythm_settings.tenant_settings(current_launch().tenant_id).__dict__


def _page(form: SettingsForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "workspace/rhythm/settings.html", form=form, defaults=rhythm_settings.RhythmSettings()
    ), status


def _save() -> ResponseReturnValue:
    ctx = current_launch()
    form = SettingsForm()
    if form.validate_on_submit():
        try:
            changed = rhythm_settings.update_settings(ctx, form.to_settings())
        except AppError as exc:
            field_errors(form, exc)
        else:
            message = "Reminder settings saved." if changed else "Nothing changed."
            return done(message, "workspace.rhythm_settings_page")
    return _page(form, 422)


@functools.cache
def _advisor_statement() -> Any:
    """This week's check-ins, how many blocked, and the reminders sent since ``since``, in
    one statement built once: a request binds ``tenant_id``, ``week`` and ``since``."""
    tenant_id: Any = bindparam("tenant_id")
    this_week = (CheckIn.tenant_id == tenant_id, CheckIn.week_start == bindparam("week"))
    return select(
        select(func.count(CheckIn.id)).where(*this_week).scalar_subquery(),
        select(func.count(CheckIn.id)).where(*this_week, CheckIn.blocked).scalar_subquery(),
        select(func.count(Reminder.id))
        .where(Reminder.tenant_id == tenant_id, Reminder.sent_at >= bindparam("since"))
        .scalar_subquery(),
    )


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: this week's check-ins (how many blocked) and the reminders
    sent in the last seven days, with the settings' link."""
    params = {
        "tenant_id": ctx.tenant_id,
        "week": week_of(today_in(ctx.time_zone)),
        "since": utcnow() - dt.timedelta(days=7),
    }
    total, blocked, reminders = db.session.execute(_advisor_statement(), params).one()
    return {
        "checkins": int(total or 0),
        "blocked": int(blocked or 0),
        "reminders": int(reminders or 0),
        "settings": rhythm_settings.tenant_settings(ctx.tenant_id),
    }


def workload_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """The student's home panel: this week's planned hours across their active engagements
    against the course's cap (left out outside a course with no engagement)."""
    workload = student_workload(ctx, today_in(ctx.time_zone))
    if ctx.course_id is None and not workload.current:
        return None
    return {"workload": workload}
