"""The engagement's page as it is shown (``work.engagement``): the engagement with its single
rows and its lists (two statements: ``workspace.page_rows``, ``workspace.page_lists``), the
forms the viewer is shown (empty ones rendered once per process: ``workspace.blank_forms``),
the hours' chart and the steps, and the workspace's panels."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch
from lti_tool.words import listed

from ...workspace import panels as workspace
from ...workspace.blank_forms import BlankForm
from ...workspace.messages.services import Reader
from ...workspace.page_lists import read_page_lists
from ...workspace.page_rows import page_engagement
from .. import forms
from ..services import engagements as eng
from ..services import evaluations as eval_svc
from ..services import hour_reviews, reopenings, timeline
from ..services import hours as hour_svc
from . import hour_chart


def show_engagement(
    engagement_id: int,
    status: int = 200,
    replaced: dict[str, dict[str, Any]] | None = None,
    **forms_in: Any,
) -> ResponseReturnValue:
    """The engagement's page (``status``: 422 with a refused form, ``forms_in``, or a refused
    panel's variables, ``replaced``)."""
    ctx = current_launch()
    engagement = page_engagement(ctx, engagement_id)  # with its single rows, for its panels
    read_page_lists(engagement, Reader.of_launch(ctx))  # its lists, for the page and panels
    # only the forms whose fields the page shows, empty (``BlankForm``: rendered once per
    # process) unless one comes back refused: every form's hidden fields (the CSRF token, the
    # same in each) are rendered once from hours_form; the supervisor link's choices are for
    # faculty and advisors (the student's one button names its purpose itself)
    staff = ctx.role in ("faculty", "advisor")
    page_forms: dict[str, Any] = {
        "hours_form": BlankForm(forms.HoursForm),
        "deliverable_form": BlankForm(forms.DeliverableForm),
        "status_form": BlankForm(forms.StatusForm),
        "link_form": BlankForm(forms.SupervisorLinkForm) if staff else None,
    }
    page_forms.update(forms_in)
    logs = hour_svc.hour_logs(engagement)
    delivered = eng.deliverables(engagement)
    opened = _reopened(engagement) if ctx.role == "student" else {}
    _revision_choices(page_forms, engagement, opened, delivered)
    reflection, evaluation = eng.reflection_of(engagement), eval_svc.evaluation_of(engagement)
    facts = timeline.facts_of(
        engagement, logs, len(delivered), reflection, evaluation is not None, opened
    )
    weeks = hour_chart.weekly_hours(logs)
    return render_template(
        "work/engagement.html",
        engagement=engagement,
        logs=logs,
        statuses={log.status for log in logs},  # each one's pill is drawn once for the rows
        review=hour_reviews.hours_review(engagement, logs) if ctx.role != "student" else None,
        summary=hour_svc.hours_summary(engagement, logs),
        deliverables=delivered,
        reflection=reflection,
        evaluation=evaluation,
        steps=timeline.timeline(facts),
        weeks=weeks,
        chart_src=hour_chart.hours_chart_src(weeks) if weeks else "",
        prompts=eng.REFLECTION_PROMPTS,
        opened=opened,
        opened_words=listed([REOPENED_WORDS[kind] for kind in opened]),
        panels=workspace.panels_for(workspace.Viewer.of_launch(ctx), engagement, replaced),
        **page_forms,
    ), status


REOPENED_WORDS = {
    "reflection": "your reflection",
    "deliverable": "a deliverable",
    "hours": "your hours",
}


def _reopened(engagement: Any) -> dict[str, list[Any]]:
    """The parts of the engagement a request for changes reopened, by kind."""
    found: dict[str, list[Any]] = {}
    for row in reopenings.open_reopenings(engagement):
        found.setdefault(row.kind, []).append(row)
    return found


def _revision_choices(
    page_forms: dict[str, Any], engagement: Any, opened: dict[str, list[Any]], delivered: list
) -> None:
    """The deliverable form's "This deliverable is" choices, where a request asked for a
    revised version: a new one (if the engagement is active or a new one was asked for) or
    the revision of each deliverable named (on a real form: a blank one has no choices)."""
    asked = [row.deliverable_id for row in opened.get("deliverable", [])]
    titles = {d.id: d.title for d in delivered}
    named = [(str(did), f"A revised version of “{titles[did]}”") for did in asked if did in titles]
    if not named:
        return
    form = page_forms["deliverable_form"]
    if isinstance(form, BlankForm):
        form = page_forms["deliverable_form"] = forms.DeliverableForm(formdata=None)
    new = [("", "A new deliverable")] if engagement.status == "active" or None in asked else []
    form.revises.choices = new + named
