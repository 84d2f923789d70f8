"""The development mail outbox (``/sandbox/outbox``, on the sandbox blueprint): every email the
tool stored, for the launch's tenant, newest first. It exists only with the sandbox; it needs an
advisor's or administrator's launch (the mail holds supervisors' capability links) and never
shows another institution's mail. ``/sandbox/emails`` shows the sandbox tenant's own mail from
the sandbox home page."""

from __future__ import annotations

from flask import abort, current_app, render_template
from flask.typing import ResponseReturnValue

from ..auth import current_launch, public, requires
from ..notify.mail import outbox_for_tenant
from .reset import sandbox_tenant
from .views import bp, current_info


@bp.get("/outbox")
@requires("advisor", "admin", tool_admin=True)
def outbox() -> ResponseReturnValue:
    """The launch's tenant's stored email, newest first."""
    if not current_app.config["SANDBOX_ENABLED"]:
        abort(404)
    messages = outbox_for_tenant(current_launch().tenant_id)
    return render_template("sandbox/outbox.html", messages=messages)


@bp.get("/emails")
@public
def emails() -> ResponseReturnValue:
    """The sandbox tenant's stored email, newest first, linked from the sandbox home page so a
    tester reaches the supervisor's and employer's signed links in one click. Public like the
    sandbox itself (whose home page lets anyone launch as its career advisor, who sees this
    mail in ``outbox``); only the sandbox's own tenant's mail, never another institution's."""
    tenant_id = sandbox_tenant(current_info())
    messages = outbox_for_tenant(tenant_id) if tenant_id is not None else []
    return render_template("sandbox/outbox.html", messages=messages, sandbox_home=True)
