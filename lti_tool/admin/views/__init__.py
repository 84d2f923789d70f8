"""Pages for tool administrators (``/admin``, blueprint ``admin``, templates ``admin/``):
registrations, deployments, keys, the audit trail, advisors, settings, data rights, frame origins.

Two sections are sub-areas with a module of their own, each a blueprint nested in this one
(URL, endpoint and template folder follow): ``connections`` (``/admin/connections``,
``admin.connections.*``, ``admin/connections/``) and ``identities`` (``/admin/identities``,
``admin.identities.*``, ``admin/identities/``). This blueprint's context
(``local_time``) serves them too; ``role_label`` is the core's, on every page. Two pages have
a module of their own but stay this blueprint's endpoints: ``advisors`` (``admin.advisors``,
``admin.revoke``) and ``privacy`` (``admin.privacy``).

A form a person types into posts to its page's own address, which answers GET and POST and
shows a refused form again there with 422 (``lti_tool.page_forms``).

Everything is scoped to the launch's tenant. Every POST carries its launch id and CSRF token.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue

from ...auth import current_launch, load_launch, requires
from ...errors import SessionExpiredError
from ...forms import ButtonForm
from ...lti import frame_origins
from ...unit_of_work import commit_now, refuse
from ...web import launch_url
from .. import services
from ..forms import (
    FrameOriginActionForm,
    FrameOriginForm,
    StrictDeploymentsForm,
    TenantSettingsForm,
)
from ..services import audit_trail as audit_svc
from . import advisors, connections, design, identities, overview, privacy

bp = Blueprint("admin", __name__, url_prefix="/admin")
# Pages with modules of their own whose endpoints keep the area's names (the overview,
# registrations and guides; advisors; the design system, issue 18; data rights).
overview.register(bp)
advisors.register(bp)
design.register(bp)
privacy.register(bp)
# The sub-areas are part of the area's blueprint (registering ``bp`` registers them).
bp.register_blueprint(connections.bp)
bp.register_blueprint(identities.bp)


def _local_time(value: dt.datetime | None, tz_name: str) -> str:
    if value is None:
        return ""
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return value.replace(tzinfo=dt.UTC).astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


@bp.context_processor
def _helpers() -> dict[str, Any]:
    launch = g.get("launch")  # absent on a 401 page
    tz_name = launch.time_zone if launch else "UTC"
    helpers: dict[str, Any] = {"local_time": lambda value: _local_time(value, tz_name)}
    return helpers


def _back() -> str:
    """Where a deployment's button returns: the registrations page when it was pressed there
    (a hidden ``back`` field), else the overview."""
    page = "admin.registrations" if request.form.get("back") == "registrations" else "admin.index"
    return launch_url(page)


@bp.get("/audit")
@requires("admin", tool_admin=True)
def audit() -> ResponseReturnValue:
    """The whole audit trail, newest first: searched by action or actor, between dates, paged."""
    ctx = current_launch()
    query = audit_svc.AuditQuery.from_args(request.args)
    return render_template(
        "admin/audit.html",
        query=query,
        page=audit_svc.search_audit(ctx.tenant_id, query, ctx.time_zone),
    )


@bp.post("/deployments/<int:deployment_pk>/acknowledge")
@requires("admin", tool_admin=True)
def acknowledge(deployment_pk: int) -> ResponseReturnValue:
    """The administrator has seen a deployment id that a launch recorded (audited)."""
    ctx = current_launch()
    if ButtonForm().validate_on_submit():
        dep = services.acknowledge_deployment(ctx.actor, deployment_pk)
        flash(f"Deployment {dep.deployment_id} is acknowledged.", "success")
    return redirect(_back(), code=303)


@bp.post("/registrations/<int:registration_id>/strict")
@requires("admin", tool_admin=True)
def strict_deployments(registration_id: int) -> ResponseReturnValue:
    """Switch a registration's new deployment ids to strict (wait for approval) or open."""
    ctx = current_launch()
    form = StrictDeploymentsForm()
    if form.validate_on_submit():
        strict = form.strict.data == "1"
        services.set_strict_deployments(ctx.actor, registration_id, strict)
        flash(
            "New deployment ids of this registration now wait for your approval."
            if strict
            else "New deployment ids of this registration can launch at once.",
            "success",
        )
    return redirect(launch_url("admin.registrations"), code=303)


@bp.post("/deployments/<int:deployment_pk>/approve")
@requires("admin", tool_admin=True)
def approve(deployment_pk: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = ButtonForm()
    if form.validate_on_submit():
        dep = services.approve_pending_deployment(ctx.actor, deployment_pk)
        flash(f"Deployment {dep.deployment_id} is approved: it can launch now.", "success")
    return redirect(_back(), code=303)


@bp.route("/settings", methods=["GET", "POST"])
@requires("admin", tool_admin=True)
def settings() -> ResponseReturnValue:
    ctx = current_launch()
    current = services.current_settings(services.get_tenant(ctx.tenant_id))
    form = TenantSettingsForm(data=dataclasses.asdict(current))
    if form.validate_on_submit():
        changed = services.update_settings(
            ctx.actor,
            services.TenantSettings(
                time_zone=form.time_zone.data,
                advisor_claim_name=form.advisor_claim_name.data,
                advisor_claim_value=form.advisor_claim_value.data
                if form.advisor_claim_name.data
                else "",
                institution_admin_is_tool_admin=form.institution_admin_is_tool_admin.data,
            ),
        )
        commit_now()  # saved even when the session ends next (the refusal below)
        if changed and load_launch(ctx.launch_id) is None:
            raise SessionExpiredError(
                "Settings saved. They changed the role this session gave you, so it has ended.",
                reason="revoked",
                hint="Open Career Credit again from the LMS: it shows what your role allows now.",
            )
        flash("Settings saved." if changed else "Nothing changed.", "success")
        return redirect(launch_url("admin.settings"), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/settings.html", form=form), status


def _frame_origins_page(form: FrameOriginForm, status: int = 200) -> ResponseReturnValue:
    tenant = services.get_tenant(current_launch().tenant_id)
    return render_template(
        "admin/frame_origins.html",
        form=form,
        action_form=FrameOriginActionForm(formdata=None),
        found=frame_origins.overview(tenant),
    ), status


@bp.route("/frame-origins", methods=["GET", "POST"])
@requires("admin", tool_admin=True)
def frame_origins_page() -> ResponseReturnValue:
    """The LMS addresses that may show Career Credit inside their pages: configured, learned
    from the platforms, and seen but not allowed; add one (audited)."""
    ctx = current_launch()
    form = FrameOriginForm()
    if form.validate_on_submit():
        origin, new = frame_origins.add(ctx.actor, form.origin.data)
        flash(
            f"{origin} may now show Career Credit inside its pages."
            if new
            else f"{origin} was already allowed; nothing changed.",
            "success",
        )
        return redirect(launch_url("admin.frame_origins_page"), code=303)
    return _frame_origins_page(form, 422 if form.errors else 200)


@bp.post("/frame-origins/allow")
@requires("admin", tool_admin=True)
def frame_origin_allow() -> ResponseReturnValue:
    """Allow an origin the admin page listed as seen (audited)."""
    ctx = current_launch()
    form = FrameOriginActionForm()
    if form.validate_on_submit():
        try:
            origin, _new = frame_origins.add(ctx.actor, form.origin.data)
        except ValueError as exc:
            refuse()
            flash(f"Nothing was allowed: {exc}", "error")
        else:
            flash(f"{origin} may now show Career Credit inside its pages.", "success")
    return redirect(launch_url("admin.frame_origins_page"), code=303)


@bp.post("/frame-origins/remove")
@requires("admin", tool_admin=True)
def frame_origin_remove() -> ResponseReturnValue:
    """Forget a configured, learned or seen origin (audited)."""
    ctx = current_launch()
    form = FrameOriginActionForm()
    if form.validate_on_submit():
        origin = form.origin.data
        if frame_origins.remove(ctx.actor, origin):
            flash(f"{origin} is removed from the frame origins.", "success")
        else:
            flash(f"{origin} was not a frame origin of your institution; nothing changed.", "error")
    return redirect(launch_url("admin.frame_origins_page"), code=303)
