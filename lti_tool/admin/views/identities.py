"""The Identities section of the admin pages (``/admin/identities``, blueprint
``admin.identities``, templates ``admin/identities/``): people of the tenant's different LMSs
who share an email address, and the links a tool administrator makes between such identities
(audited). Tool administrators of the tenant only; every POST carries its launch id and CSRF
token."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template
from flask.typing import ResponseReturnValue

from ...auth import current_launch, requires
from ...errors import PolicyViolationError
from ...forms import ButtonForm
from ...services import identities
from ...unit_of_work import field_errors
from ...web import launch_url
from ..forms import LinkForm

bp = Blueprint("identities", __name__, url_prefix="/identities")


def _page(form: LinkForm, status: int = 200) -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "admin/identities/index.html",
        form=form,
        unlink_form=ButtonForm(formdata=None),
        matches=identities.possible_matches(ctx.tenant_id),
        links=identities.list_links(ctx.tenant_id),
        lms_names=identities.lms_names(ctx.tenant_id),
    ), status


@bp.get("/")
@requires("admin", tool_admin=True)
def index() -> ResponseReturnValue:
    return _page(LinkForm(formdata=None))


@bp.post("/link")
@requires("admin", tool_admin=True, write=True)
def link() -> ResponseReturnValue:
    ctx = current_launch()
    form = LinkForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        identities.link_identities(ctx.actor, form.user_id.data, form.primary_id.data)
    except PolicyViolationError as exc:
        field_errors(form, exc, fallback="user_id")
        return _page(form, 422)
    flash(
        "Linked: from that identity's next launch outside a course, it acts as the primary.",
        "success",
    )
    return redirect(launch_url("admin.identities.index"), code=303)


@bp.post("/links/<int:link_id>/unlink")
@requires("admin", tool_admin=True, write=True)
def unlink(link_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if ButtonForm().validate_on_submit():
        identities.unlink_identity(ctx.actor, link_id)
        flash("Unlinked: from its next launch the identity is its own again.", "success")
    return redirect(launch_url("admin.identities.index"), code=303)
