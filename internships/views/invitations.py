"""The internships blueprint's employer invitation pages for career advisors: inviting an
employer to submit a listing through a signed link (the supervisor area's public form), and
withdrawing an invitation."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_launch, requires
from lti_tool.errors import PolicyViolationError
from lti_tool.forms import ButtonForm
from lti_tool.unit_of_work import done, field_errors, form_page, refused

from ..forms import InvitationForm
from ..services import invitations as invitation_svc
from ..services import listings as svc
from . import _employer_choices, bp, expired


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
            return done(
                f"The invitation is on its way to {form.email.data}.", "internships.invitations"
            )
    return form_page(
        "internships/invitations.html",
        form,
        invitations=invitation_svc.list_invitations(ctx.tenant_id),
        revoke_form=ButtonForm(formdata=None),
    )


@bp.post("/invitations/<jti>/revoke")
@requires("advisor", write=True)
def revoke_invitation(jti: str) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return expired("internships.invitations")
    try:
        invitation_svc.revoke_invitation(ctx.actor, jti)
    except PolicyViolationError as exc:
        return refused(exc, "internships.invitations")
    return done("The invitation is withdrawn; its link no longer works.", "internships.invitations")
