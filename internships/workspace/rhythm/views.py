"""The rhythm area's pages and home panels: the institution's reminder settings (advisors, on
the workspace blueprint: ``/workspace/rhythm/settings``), the
advisor's home panel that links to them, and the student's workload this week on their
home."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from internships.work.views import engagement_urls, student_work
from lti_tool.auth import current_launch, requires
from lti_tool.context import LaunchContext, today_in
from lti_tool.errors import AppError
from lti_tool.page_forms import dispatch
from lti_tool.unit_of_work import done, field_errors

from ..home_counts import advisor_counts
from ..views import bp
from . import settings as rhythm_settings
from .forms import SettingsForm
from .workload import workload_of


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


def advisor_panel(ctx: LaunchContext) -> dict[str, Any]:
    """The advisor's home panel: this week's check-ins (how many blocked) and the reminders
    sent in the last seven days, with the settings' link."""
    counts = advisor_counts(ctx)
    return {
        "checkins": counts["checkins"],
        "blocked": counts["blocked"],
        "reminders": counts["reminders"],
        "settings": rhythm_settings.tenant_settings(ctx.tenant_id),
    }


def workload_panel(ctx: LaunchContext) -> dict[str, Any] | None:
    """The student's home panel: this week's planned hours across their active engagements
    against the course's cap (left out outside a course with no engagement)."""
    work = student_work(ctx)  # read once with the work panel's
    workload = workload_of(work.engagements, work.caps, today_in(ctx.time_zone))
    if ctx.course_id is None and not workload.current:
        return None
    return {"workload": workload, "engagement_urls": engagement_urls(ctx)}
