"""The internships blueprint's employer invitation pages for career advisors."""

from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.errors import PolicyViolationError
from lti_tool.extensions import db
from lti_tool.forms import ButtonForm
from lti_tool.unit_of_work import field_errors
from lti_tool.web import launch_url

from .forms import InvitationForm
from .services import invitations as invitation_svc
from .services import listings as svc
from .views import _employer_choices, bp

# --- employer invitations ------------------------------------------------------------------------


@bp.route("/invitations", methods=["GET", "POST"])
@requires("advisor", write=True)
def invitations() -> ResponseReturnValue:
    ctx = current_launch()
    form = InvitationForm(employers=_employer_choices(ctx.tenant_id))
    if form.validate_on_submit():
        try:
            invitation_svc.issue_invitation(
                ctx.actor,
                form.email.data or "",
                lambda token: url_for("supervisor.employer_listing", token=token, _external=True),
                employer_id=form.employer.data or None,
                days=form.days.data or invitation_svc.DEFAULT_DAYS,
                message=form.message.data or "",
            )
        except svc.ListingInvalidError as exc:
            field_errors(form, exc, fallback="email")
        else:
            flash(f"The invitation is on its way to {form.email.data}.", "success")
            return redirect(launch_url("internships.invitations"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "internships/invitations.html",
        form=form,
        invitations=invitation_svc.list_invitations(ctx.tenant_id),
        revoke_form=ButtonForm(formdata=None),
    ), status


@bp.post("/invitations/<jti>/revoke")
@requires("advisor", write=True)
def revoke_invitation(jti: str) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        flash("The form expired: try again.", "error")
        return redirect(launch_url("internships.invitations"), code=303)
    try:
        invitation_svc.revoke_invitation(ctx.actor, jti)
    except PolicyViolationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("The invitation is withdrawn; its link no longer works.", "success")
    return redirect(launch_url("internships.invitations"), code=303)
