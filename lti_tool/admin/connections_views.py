"""The Connections section of the admin pages: each registration's Canvas REST / OAuth2 developer
key and Moodle web-service token. Tool administrators only; secrets are write-only (the page shows
their last four characters)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template
from flask.typing import ResponseReturnValue
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import Length

from .. import netguard
from ..auth import current_launch, requires
from ..errors import AppError
from ..forms import LaunchForm, strip_text
from ..home import ROLE_LABELS
from ..unit_of_work import field_errors
from ..web import launch_url
from . import connections

bp = Blueprint("admin_connections", __name__, url_prefix="/admin/connections")


class ConnectionsForm(LaunchForm):
    canvas_url = StringField(
        "Canvas address",
        filters=[strip_text],
        validators=[Length(max=500, message="Use at most 500 characters.")],
        description="For example https://school.instructure.com. Leave empty for a Moodle site.",
    )
    canvas_oauth_client_id = StringField(
        "Canvas API developer key: client id",
        filters=[strip_text],
        validators=[Length(max=255, message="Use at most 255 characters.")],
        description="The ID of an API developer key whose redirect URI is this tool's Canvas "
        "callback address shown below.",
    )
    canvas_oauth_client_secret = PasswordField(
        "Canvas API developer key: secret",
        filters=[strip_text],
        description="Leave empty to keep the stored secret.",
    )
    clear_canvas_secret = BooleanField("Remove the stored Canvas key (client id and secret)")
    moodle_url = StringField(
        "Moodle address",
        filters=[strip_text],
        validators=[Length(max=500, message="Use at most 500 characters.")],
        description="For example https://moodle.example.edu.",
    )
    moodle_ws_token = PasswordField(
        "Moodle web-service token",
        filters=[strip_text],
        description="Leave empty to keep the stored token.",
    )
    clear_moodle_token = BooleanField("Remove the stored Moodle token")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    launch = g.get("launch")
    return {"role_label": ROLE_LABELS.get(launch.role, launch.role) if launch else ""}


@bp.get("/")
@requires("admin", tool_admin=True)
def index() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "connectors/admin_connections.html",
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
            return redirect(launch_url("admin_connections.index"), code=303)
    summary = next(s for s in connections.summaries(ctx.tenant_id) if s.registration_id == reg.id)
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "connectors/admin_connection_edit.html", form=form, summary=summary
    ), status
