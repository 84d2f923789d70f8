"""The workspace's "pay" panel (``internships.workspace.panels``): on the engagement page and
the supervisor's workspace page, a paid engagement's terms, what is due and by when, the
effective hourly rate against the pay floor, and its payments. The supervisor marks a payment
made; the student confirms or disputes it; an advisor resolves a dispute and sets when
payment is due; faculty see it."""

from __future__ import annotations

from typing import Any

from flask.typing import ResponseReturnValue

from internships.services.listing_rules import pay_floor_cents
from internships.work.models import Engagement
from internships.work.services.reads import kept
from internships.workspace.panels import Viewer, finished, hour_days
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.tenants import get_tenant
from lti_tool.unit_of_work import field_errors
from lti_tool.words import money

from . import forms
from .services import payments as svc
from .services.figures import Standing, pay_basis, standing_of
from .services.terms import grace_days

ANCHOR = "pay"
# who may post each of the panel's forms
ACTIONS = {
    # the employer, from its link; an advisor records what the employer reports (the link
    # closes once the engagement is completed or canceled)
    "mark": ("supervisor", "advisor"),
    "confirm": ("student",),
    "dispute": ("student",),
    "resolve": ("advisor",),
    "terms": ("advisor",),
}


def provide(viewer: Viewer, engagement: Engagement) -> dict[str, Any] | None:
    """The panel's variables, or None for an unpaid engagement."""
    basis = pay_basis(engagement)
    if basis is None:  # unpaid: one statement
        return None
    # read once per transaction (``reads``: the engagement page reads them with its other
    # lists, ``workspace.page_lists``)
    payments = kept("payments", engagement, lambda: svc.payments_of(engagement))
    by_day = hour_days(engagement).confirmed
    standing = standing_of(engagement, payments, minutes_by_day=by_day, basis=basis)
    if standing is None:
        return None
    tenant = get_tenant(engagement.tenant_id)
    writes = not viewer.read_only
    role = viewer.role
    # only the forms this viewer is shown (a refused one comes back through ``handle``)
    states = {p.state for p in payments}
    mark = writes and role in ACTIONS["mark"]
    return {
        "standing": standing,
        "payments": payments,
        "floor_cents": pay_floor_cents(tenant),
        "grace_days": grace_days(tenant),
        "page_url": viewer.page_url(engagement.id),
        "lid": viewer.ctx.launch_id if viewer.ctx is not None else "",
        "role": role,
        "mark_form": _mark_form(standing) if mark else None,
        "answer_form": _form(forms.PaymentAnswerForm, writes, role, "student", "marked" in states),
        "resolve_form": _form(forms.ResolveForm, writes, role, "advisor", "disputed" in states),
        "terms_form": _terms_form(standing) if writes and role == "advisor" else None,
        "failed": "",
    }


def _form(form: Any, writes: bool, role: str, answers: str, needed: bool) -> Any:
    """An answer form for the role that answers, when a payment waits for its answer."""
    return form(formdata=None) if writes and role == answers and needed else None


def _mark_form(standing: Standing) -> forms.MarkPaymentForm:
    return forms.MarkPaymentForm(formdata=None, currency=standing.terms.currency)


def _terms_form(standing: Standing) -> forms.DueRuleForm:
    return forms.DueRuleForm(
        formdata=None,
        due_rule=standing.terms.due_rule,
        schedule_days=standing.terms.schedule_days or None,
    )


def handle(
    viewer: Viewer, engagement: Engagement, action: str
) -> ResponseReturnValue | dict[str, Any]:
    """A POST of one of the panel's forms."""
    if viewer.role not in ACTIONS.get(action, ()) or viewer.read_only:
        raise ForbiddenError("This is not yours to do on this engagement.", reason="role")
    return {
        "mark": _mark,
        "confirm": _confirm,
        "dispute": _dispute,
        "resolve": _resolve,
        "terms": _terms,
    }[action](viewer, engagement)


def _mark(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.MarkPaymentForm()
    if form.validate_on_submit():
        data = svc.PaymentInput(
            amount_cents=forms.cents(form.amount.data),
            currency=form.currency.data or "",
            paid_on=form.paid_on.data,
            reference=form.reference.data or "",
        )
        try:
            payment = svc.mark_payment(viewer.actor, engagement, data)
        except PolicyViolationError as exc:
            field_errors(form, exc, aliases={"amount_cents": "amount"})
        else:
            amount = money(payment.amount_cents, payment.currency)
            return finished(
                viewer,
                engagement.id,
                f"The payment of {amount} is marked as paid; the student is asked to confirm it.",
                ANCHOR,
            )
    return {"mark_form": form, "failed": "mark"}


def _payment_id(form: Any) -> int:
    value = str(form.payment_id.data or "")
    return int(value) if value.isdigit() else 0


def _confirm(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.PaymentAnswerForm()
    if form.validate_on_submit():
        try:
            svc.confirm_payment(viewer.actor, engagement, _payment_id(form))
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="note")
        else:
            return finished(viewer, engagement.id, "Thank you: the payment is confirmed.", ANCHOR)
    return {"answer_form": form, "failed": "answer", "failed_id": _payment_id(form)}


def _dispute(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.PaymentAnswerForm()
    if form.validate_on_submit():
        try:
            svc.dispute_payment(viewer.actor, engagement, _payment_id(form), form.note.data or "")
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="note")
        else:
            return finished(
                viewer,
                engagement.id,
                "The payment is disputed: the career center is told and will look into it.",
                ANCHOR,
            )
    return {"answer_form": form, "failed": "answer", "failed_id": _payment_id(form)}


def _resolve(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.ResolveForm()
    if form.validate_on_submit():
        try:
            svc.resolve_dispute(
                viewer.actor,
                engagement,
                _payment_id(form),
                form.resolution.data or "",
                form.note.data or "",
            )
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="note")
        else:
            return finished(viewer, engagement.id, "The dispute is resolved.", ANCHOR)
    return {"resolve_form": form, "failed": "resolve", "failed_id": _payment_id(form)}


def _terms(viewer: Viewer, engagement: Engagement) -> ResponseReturnValue | dict[str, Any]:
    form = forms.DueRuleForm()
    if form.validate_on_submit():
        try:
            svc.set_due_rule(
                viewer.actor, engagement, form.due_rule.data or "", form.schedule_days.data or 0
            )
        except PolicyViolationError as exc:
            field_errors(form, exc)
        else:
            return finished(viewer, engagement.id, "When payment is due is saved.", ANCHOR)
    return {"terms_form": form, "failed": "terms"}
