"""The plan's two workspace panels (``internships.workspace.panels``), on the engagement page
and the supervisor's workspace page: the onboarding checklist (the student and the supervisor
tick items) and the milestones (a timeline; changes proposed by anyone, agreed by the student
and the supervisor; the student attaches the deliverable that answers one)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask.typing import ResponseReturnValue

from internships.work.services.handins import deliverables
from lti_tool.context import today_in
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.tenants import get_tenant

from ..panels import Viewer, finished, hour_days
from . import forms
from .models import PARTIES
from .services import checklists, milestones
from .services.milestone_rows import milestones_and_changes

if TYPE_CHECKING:
    from internships.work.models import Engagement

CHECKLIST_ANCHOR = "checklist-heading"
MILESTONES_ANCHOR = "milestones-heading"


def _writes(viewer: Viewer, engagement: Engagement) -> bool:
    return engagement.status == "active" and not viewer.read_only


def _today(engagement: Engagement) -> dt.date:
    return today_in(get_tenant(engagement.tenant_id).time_zone)


# --- the onboarding checklist --------------------------------------------------------------------


def provide_checklist(viewer: Viewer, engagement: Engagement) -> dict[str, Any]:
    """The checklist, who ticked what, and the hours logged before the kick-off call."""
    items = checklists.checklist_of(engagement)
    can_tick = viewer.role in PARTIES and _writes(viewer, engagement)
    return {
        "engagement": engagement,
        "items": items,
        "before_kickoff": checklists.count_before_kickoff(
            engagement, items, hour_days(engagement).logged
        ),
        "can_tick": can_tick,
        "page_url": viewer.page_url(engagement.id),
        "error": "",
    }


def handle_checklist(
    viewer: Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """Tick or untick one item (the student, or the supervisor from their link)."""
    form = forms.TickForm()
    if viewer.role not in PARTIES:
        raise ForbiddenError("Only the student and the supervisor tick items.", reason="role")
    if not form.validate() or form.position.data is None:
        return {"error": "Choose an item of the checklist to tick."}
    done = form.done.data == "1"
    try:
        item = checklists.tick_item(viewer.actor, engagement, viewer.role, form.position.data, done)
    except (PolicyViolationError, NotFoundError) as exc:
        return {"error": exc.message}
    said = f"“{item.label}” is ticked." if done else f"“{item.label}” is no longer ticked."
    return finished(viewer, engagement.id, said, CHECKLIST_ANCHOR)


# --- milestones ----------------------------------------------------------------------------------


def provide_milestones(viewer: Viewer, engagement: Engagement) -> dict[str, Any]:
    """The milestones as a timeline with their states, the open proposals and the history."""
    today = _today(engagement)
    rows, changes = milestones_and_changes(engagement)
    # the deliverables show within the milestones only (their titles, the student's choice)
    delivered = deliverables(engagement) if rows else []
    can_write = _writes(viewer, engagement)
    return {
        "engagement": engagement,
        "rows": [(m, milestones.milestone_state(m, today)) for m in rows],
        "titles": {d.id: d.title for d in delivered} if rows else {},
        "open": [(c, milestones.waiting_for(c)) for c in changes if c.status == "proposed"],
        "history": [c for c in changes if c.status != "proposed"],
        "waiting_ids": {c.milestone_id for c in changes if c.status == "proposed"},
        "deliverables": delivered if viewer.role == "student" else [],
        "role": viewer.role,
        "can_write": can_write,
        "page_url": viewer.page_url(engagement.id),
        "today": today,
        # a form only when one comes back refused (``handle_milestones``): the fields are
        # written out by the template, the buttons' CSRF token comes from ``csrf_token()``
        "form": None,
        "form_for": None,
        "error": "",
    }


def handle_milestones(
    viewer: Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """propose (a new milestone or a change), remove (propose removing), answer (agree,
    decline or withdraw) and attach (the student's deliverable answers a milestone)."""
    if viewer.read_only:
        raise ForbiddenError("Your access to this course is read-only.", reason="read_only")
    handler = {
        "propose": _propose,
        "remove": _remove,
        "answer": _answer,
        "attach": _attach,
    }[action]
    try:
        return handler(viewer, engagement)
    except (PolicyViolationError, NotFoundError) as exc:
        return {"error": exc.message}


def _milestone_id(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _propose(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.MilestoneForm()
    target = _milestone_id(form.milestone.data)
    if form.validate():
        proposal = milestones.Proposal(
            "edit" if target else "add", target, form.title.data or "", form.due_date.data
        )
        try:
            milestones.propose_change(
                viewer.actor, engagement, viewer.role, proposal, _today(engagement)
            )
        except milestones.MilestoneInvalidError as exc:
            for name, message in exc.errors.items():
                if name in form:
                    form[name].errors = [message]
        else:
            return finished(viewer, engagement.id, _proposed_words(viewer), MILESTONES_ANCHOR)
    return {"form": form, "form_for": target}


def _proposed_words(viewer: Viewer) -> str:
    if viewer.role == "student":
        return "Your proposal waits for the supervisor's agreement."
    if viewer.role == "supervisor":
        return "Your proposal waits for the student's agreement."
    return "Your proposal waits for the agreement of the student and the supervisor."


def _remove(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.RemoveForm()
    if not form.validate():
        return {"error": "Choose a milestone to remove."}
    proposal = milestones.Proposal("remove", form.milestone.data)
    milestones.propose_change(viewer.actor, engagement, viewer.role, proposal, _today(engagement))
    return finished(viewer, engagement.id, _proposed_words(viewer), MILESTONES_ANCHOR)


def _answer(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.ChangeAnswerForm()
    if not form.validate() or form.change.data is None:
        return {"error": "Choose a proposal to answer."}
    if form.answer.data == "agree":
        change = milestones.agree_change(viewer.actor, engagement, viewer.role, form.change.data)
        said = (
            "You agreed: the milestones are changed."
            if change.status == "agreed"
            else "You agreed; the proposal still waits for the other party."
        )
    else:
        change = milestones.close_change(viewer.actor, engagement, viewer.role, form.change.data)
        said = f"The proposal is {change.status}."
    return finished(viewer, engagement.id, said, MILESTONES_ANCHOR)


def _attach(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    if viewer.role != "student":
        raise ForbiddenError("Only the student attaches deliverables.", reason="role")
    form = forms.AttachForm()
    form.deliverable.choices = [("", "None")] + [
        (str(d.id), d.title) for d in deliverables(engagement)
    ]
    if not form.validate() or form.milestone.data is None:
        return {"error": "Choose one of this engagement's deliverables."}
    chosen = _milestone_id(form.deliverable.data)
    milestone = milestones.attach_deliverable(viewer.actor, engagement, form.milestone.data, chosen)
    said = (
        f"“{milestone.title}” is done."
        if chosen
        else f"“{milestone.title}” is open again: no deliverable answers it."
    )
    return finished(viewer, engagement.id, said, MILESTONES_ANCHOR)
