"""The Data rights page of the admin area (``/admin/privacy``, endpoint ``admin.privacy``,
registered on the area's blueprint): a person's export, pseudonymization or erasure (choose,
then confirm) and the tenant's retention periods.

Its three forms post to the page's own address and tell themselves apart by the hidden field
``form`` (``lti_tool.page_forms.FIELD``): ``choose`` (the person and the action; also a POST
naming no form, as the page posted before it had the field), ``confirm`` (the confirmation
step, itself shown at this address) and ``retention``. A refusal shows the form again here
with 422.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file
from flask.typing import ResponseReturnValue

from ...auth import current_launch, requires
from ...errors import NotFoundError, PolicyViolationError
from ...page_forms import posted_form
from ...privacy import retention, subject
from ...web import launch_url
from .. import services
from ..forms import ConfirmDataRightsForm, DataRightsForm, RetentionForm


def _retention_form(tenant_id: int, formdata: Any = None) -> RetentionForm:
    policy = retention.policy_for(services.get_tenant(tenant_id))
    return RetentionForm(
        formdata=formdata, files_days=policy.files_days, audit_days=policy.audit_days
    )


def _page(form: DataRightsForm, retention_form: RetentionForm, status: int) -> ResponseReturnValue:
    return render_template("admin/privacy.html", form=form, retention_form=retention_form), status


def _confirm_page(person: Any, form: ConfirmDataRightsForm, status: int = 200) -> Any:
    held = subject.collect(person)
    return render_template(
        "admin/privacy_confirm.html",
        form=form,
        person=person,
        counts=held.counts(),
        files=len(held.files),
        audit_entries=len(held.audit_entries),
        blockers=subject.erasure_blockers(held) if form.action.data == "erase" else [],
    ), status


def _choose() -> ResponseReturnValue:
    """Find the person; a found one gets the confirmation step."""
    ctx = current_launch()
    form = DataRightsForm()
    if form.validate_on_submit():
        try:
            person = subject.find_in_tenant(ctx.tenant_id, form.person.data)
        except NotFoundError as exc:
            form.person.errors = [exc.message]
        except PolicyViolationError as exc:  # more than one person matches: never guessed
            form.person.errors = [f"{exc.message} {exc.hint}"]
        else:
            confirm = ConfirmDataRightsForm(
                formdata=None, user_id=str(person.id), action=form.action.data
            )
            return _confirm_page(person, confirm)
    return _page(form, _retention_form(ctx.tenant_id), 422)


def _retention() -> ResponseReturnValue:
    """Set how long the tenant keeps uploaded files and audit entries (audited)."""
    ctx = current_launch()
    form = RetentionForm()
    if not form.validate_on_submit():
        return _page(DataRightsForm(formdata=None), form, 422)
    retention.set_policy(ctx.actor, form.files_days.data, form.audit_days.data)
    flash("Retention periods saved; the next hourly purge applies them.", "success")
    return redirect(launch_url("admin.privacy"), code=303)


def _run() -> ResponseReturnValue:
    """Carry out a confirmed export, pseudonymization or erasure (audited)."""
    ctx = current_launch()
    form = ConfirmDataRightsForm()
    user_id = int(form.user_id.data) if str(form.user_id.data or "").isdigit() else 0
    person = subject.get_person(ctx.tenant_id, user_id)
    if not form.validate_on_submit():
        return _confirm_page(person, form, 422)
    if form.action.data == "export":
        data, _counts = subject.export_zip(ctx.actor, person)
        return send_file(
            io.BytesIO(data),
            mimetype="application/zip",
            as_attachment=True,
            download_name=f"career-credit-person-{person.id}.zip",
        )
    if person.id == ctx.user_id:
        raise PolicyViolationError(
            "You cannot pseudonymize or erase yourself here.",
            hint="Ask another Career Credit administrator or the tool's operator.",
            reason="self",
        )
    if form.action.data == "erase":
        outcome = subject.erase(ctx.actor, person)
        message = "The person is erased"
    else:
        outcome = subject.pseudonymise(ctx.actor, person)
        message = "The person is pseudonymized"
    flash(
        f"{message}: {sum(outcome.rows_deleted.values())} records deleted, "
        f"{sum(outcome.rows_changed.values())} cleared, {outcome.files_deleted} files deleted. "
        f"The audit trail now names them {outcome.pseudonym}.",
        "success",
    )
    return redirect(launch_url("admin.privacy"), code=303)


_HANDLERS = {"choose": _choose, "": _choose, "confirm": _run, "retention": _retention}


@requires("admin", tool_admin=True)
def page() -> ResponseReturnValue:
    """GET: the page. POST: the form the hidden ``form`` field names (400 for another name)."""
    if request.method == "GET":
        form = DataRightsForm(formdata=None)
        return _page(form, _retention_form(current_launch().tenant_id), 200)
    handler = _HANDLERS.get(posted_form())
    if handler is None:
        abort(400)
    return handler()


@requires("admin", tool_admin=True)
def run() -> ResponseReturnValue:
    """``/admin/privacy/run``: the confirmation step's address before it posted to the page
    (kept for callers that still post here; the page's own form no longer does)."""
    return _run()


def register(bp: Any) -> None:
    """Add the page's routes to the admin blueprint (their endpoints keep the area's names)."""
    bp.add_url_rule("/privacy", "privacy", page, methods=["GET", "POST"])
    bp.add_url_rule("/privacy/run", "privacy_run", run, methods=["POST"])
