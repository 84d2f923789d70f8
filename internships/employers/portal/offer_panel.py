"""The engagement workspace's "offer" panel (``internships.workspace.panels``): the supervisor
answers "would you hire or offer further work?" once their evaluation exists and may record an
offer; the student confirms or declines it; faculty and advisors read it."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from internships.work.models import Engagement
from internships.work.services.evaluations import evaluation_of
from internships.work.services.reads import kept
from internships.workspace.panels import Viewer, finished
from lti_tool.errors import PolicyViolationError
from lti_tool.unit_of_work import field_errors

from . import offers
from .forms import DecideForm, OfferForm

NAME = "offer"
ANCHOR = "offer-heading"
PREFIX = "offer"  # its fields' names and ids stay apart from other panels' on the page


def provide(viewer: Viewer, engagement: Engagement) -> dict[str, Any] | None:
    """The panel's variables, or None when there is nothing for this viewer yet."""
    row = kept("offer", engagement, lambda: offers.offer_of(engagement.tenant_id, engagement.id))
    base = {
        "offer": row,
        "page_url": viewer.page_url(engagement.id),
        "lid": viewer.ctx.launch_id if viewer.ctx is not None else "",
        "role": viewer.role,
    }
    if viewer.is_supervisor:
        if evaluation_of(engagement) is None or engagement.status == "cancelled":
            return None
        can_answer = row is None or row.status == "no_offer"
        return {**base, "form": OfferForm(formdata=None, prefix=PREFIX) if can_answer else None}
    if row is None:
        return None
    can_decide = viewer.role == "student" and row.status == "offered" and not viewer.read_only
    return {**base, "form": DecideForm(formdata=None) if can_decide else None}


def handle(
    viewer: Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """answer (the supervisor), confirm or decline (the student)."""
    if action == "answer":
        return _answer(viewer, engagement)
    form = DecideForm()
    if not form.validate_on_submit():
        return {"form": form, "error": "The form expired: press the button again."}
    try:
        offers.decide(viewer.actor, engagement, accepted=action == "confirm")
    except PolicyViolationError as exc:
        return {"form": form, "error": exc.message}
    message = "You confirmed the offer." if action == "confirm" else "You declined the offer."
    return finished(viewer, engagement.id, message, ANCHOR)


def _answer(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = OfferForm(prefix=PREFIX)
    if not viewer.is_supervisor:
        return {"form": None, "error": "Only the supervisor answers this."}
    if form.validate_on_submit():
        would_hire = {"yes": True, "no": False}.get(form.would_hire.data or "")
        try:
            offers.answer(
                viewer.actor, engagement, would_hire, form.kind.data or "", form.details.data or ""
            )
        except offers.OfferInvalidError as exc:
            field_errors(form, exc, fallback="would_hire")
        except PolicyViolationError as exc:
            return {"form": form, "error": exc.message}
        else:
            return finished(viewer, engagement.id, "Thank you: your answer is recorded.", ANCHOR)
    return {"form": form}
