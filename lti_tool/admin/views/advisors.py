"""The Career advisors page of the admin area (``/admin/advisors``, endpoints ``admin.advisors``
and ``admin.revoke``, registered on the area's blueprint): everyone who is an advisor and how
they became one (a grant here, or the LMS claim rule), a search for the person to grant the
role to (a GET form; the results are a radio list whose grant POSTs to the page's own URL and,
when refused, shows the page again with 422), and each grant's Revoke button."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue

from ...auth import current_launch, requires
from ...errors import NotFoundError, PolicyViolationError
from ...forms import ButtonForm
from ...paging import page_number
from ...unit_of_work import field_errors
from ...web import launch_url
from ..forms import GrantAdvisorForm
from ..services import advisors as svc

TOO_SHORT = f"Enter at least {svc.SEARCH_MIN} characters of a name or email address."


def _page(form: GrantAdvisorForm, q: str, page: int, status: int = 200) -> ResponseReturnValue:
    ctx = current_launch()
    search_error = TOO_SHORT if q and len(q) < svc.SEARCH_MIN else ""
    found = svc.search_people(ctx.tenant_id, q, page) if q and not search_error else None
    return render_template(
        "admin/advisors.html",
        form=form,
        revoke_form=ButtonForm(formdata=None),
        grants=svc.list_advisor_grants(ctx.tenant_id),
        rule=svc.claim_rule(ctx.tenant_id),
        claim_advisors=svc.claim_rule_advisors(ctx.tenant_id),
        search_min=svc.SEARCH_MIN,
        q=q,
        search_error=search_error,
        found=found,
    ), status


@requires("admin", tool_admin=True)
def page() -> ResponseReturnValue:
    """GET: the advisors and, with ``q``, the people it finds. POST: grant the chosen one."""
    ctx = current_launch()
    if request.method == "GET":
        q = svc.clean_query(request.args.get("q"))
        return _page(GrantAdvisorForm(formdata=None, q=q), q, page_number(request.args.get("page")))
    form = GrantAdvisorForm()
    q = svc.clean_query(form.q.data or request.args.get("q"))
    if form.validate_on_submit():
        try:
            svc.grant_advisor(ctx.actor, form.user.data)
        except (NotFoundError, PolicyViolationError) as exc:
            field_errors(form, exc, fallback="user")
        else:
            flash(
                "The career advisor role is granted; it applies from the person's next launch.",
                "success",
            )
            return redirect(launch_url("admin.advisors"), code=303)
    return _page(form, q, page_number(request.args.get("page")), 422)


@requires("admin", tool_admin=True)
def revoke(grant_id: int) -> ResponseReturnValue:
    """A grant's Revoke button (the grant is named by the URL; nothing is typed)."""
    ctx = current_launch()
    if ButtonForm().validate_on_submit():
        svc.revoke_advisor(ctx.actor, grant_id)
        flash(
            "The career advisor role is revoked: the person's open advisor sessions have ended.",
            "success",
        )
    return redirect(launch_url("admin.advisors"), code=303)


def register(bp: Any) -> None:
    """Add the page's routes to the admin blueprint (their endpoints keep the area's names)."""
    bp.add_url_rule("/advisors", "advisors", page, methods=["GET", "POST"])
    bp.add_url_rule("/advisors/<int:grant_id>/revoke", "revoke", revoke, methods=["POST"])
