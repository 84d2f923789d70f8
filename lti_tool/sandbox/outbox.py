"""The development mail outbox (``/sandbox/outbox``, on the sandbox blueprint): every email the
tool stored, for the launch's tenant, newest first. It exists only with the sandbox; it needs an
advisor's or administrator's launch (the mail holds supervisors' capability links) and never
shows another institution's mail."""

from __future__ import annotations

from flask import abort, current_app, render_template
from flask.typing import ResponseReturnValue

from ..auth import current_launch, requires
from ..notify.mail import outbox_for_tenant
from .views import bp


@bp.get("/outbox")
@requires("advisor", "admin", tool_admin=True)
def outbox() -> ResponseReturnValue:
    """The launch's tenant's stored email, newest first."""
    if not current_app.config["SANDBOX_ENABLED"]:
        abort(404)
    messages = outbox_for_tenant(current_launch().tenant_id)
    return render_template("sandbox/outbox.html", messages=messages)
