"""The Connections section of the admin pages (``/admin/connections``, blueprint
``admin.connections``, templates ``admin/connections/``): each registration's Canvas REST /
OAuth2 developer key and Moodle web-service token. Tool administrators only; secrets are
write-only (the page shows their last four characters)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template
from flask.typing import ResponseReturnValue

from ... import netguard
from ...auth import current_launch, requires
from ...errors import AppError
from ...unit_of_work import field_errors
from ...web import launch_url
from ..forms import ConnectionsForm
from ..services import connections

bp = Blueprint("connections", __name__, url_prefix="/connections")


@bp.get("/")
@requires("admin", tool_admin=True)
def index() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "admin/connections/index.html",
        summaries=connections.summaries(ctx.tenant_id),
    )


@bp.route("/<int:registration_id>", methods=["GET", "POST"])
@requires("admin", tool_admin=True)
def edit(registration_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    reg = connections.tenant_registration(ctx.tenant_id, registration_id)
    creds = connections.credentials_for(reg.id)
    form = ConnectionsForm(
        data={
            "canvas_url": creds and creds.canvas_url,
            "canvas_oauth_client_id": creds and creds.canvas_oauth_client_id,
            "moodle_url": creds and creds.moodle_url,
        }
    )
    if form.validate_on_submit():
        update = connections.CredentialsUpdate(
            canvas_url=form.canvas_url.data or "",
            canvas_oauth_client_id=""
            if form.clear_canvas_secret.data
            else form.canvas_oauth_client_id.data or "",
            canvas_oauth_client_secret=""
            if form.clear_canvas_secret.data
            else (form.canvas_oauth_client_secret.data or None),
            moodle_url=form.moodle_url.data or "",
            moodle_ws_token=""
            if form.clear_moodle_token.data
            else (form.moodle_ws_token.data or None),
        )
        try:
            connections.set_credentials(
                ctx.actor,
                reg,
                update,
                allow_http=current_app.config["CAREER_CREDIT_ENV"] != "production",
                allow_private=netguard.allow_private_hosts(),
            )
        except AppError as exc:
            field_errors(form, exc)
        else:
            flash(f"Connections of {reg.name} saved.", "success")
            return redirect(launch_url("admin.connections.index"), code=303)
    summary = next(s for s in connections.summaries(ctx.tenant_id) if s.registration_id == reg.id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("admin/connections/edit.html", form=form, summary=summary), status
