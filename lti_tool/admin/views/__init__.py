"""Pages for tool administrators (``/admin``, blueprint ``admin``, templates ``admin/``):
registrations, deployments, keys, the audit trail, advisors, settings, data rights, frame origins.

Two sections are sub-areas with a module of their own, each a blueprint nested in this one
(URL, endpoint and template folder follow): ``connections`` (``/admin/connections``,
``admin.connections.*``, ``admin/connections/``) and ``identities`` (``/admin/identities``,
``admin.identities.*``, ``admin/identities/``). This blueprint's context
(``local_time``) serves them too; ``role_label`` is the core's, on every page.

Everything is scoped to the launch's tenant. Every POST carries its launch id and CSRF token.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zoneinfo
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from ...auth import current_launch, load_launch, requires
from ...errors import NotFoundError, PolicyViolationError, SessionExpiredError
from ...forms import ButtonForm
from ...lti import frame_origins
from ...privacy import retention, subject
from ...unit_of_work import commit_now, field_errors, refuse
from ...web import launch_url
from .. import services
from ..forms import (
    ConfirmDataRightsForm,
    DataRightsForm,
    FrameOriginActionForm,
    FrameOriginForm,
    GrantAdvisorForm,
    RetentionForm,
    StrictDeploymentsForm,
    TenantSettingsForm,
)
from ..services import audit_trail as audit_svc
from . import connections, identities

bp = Blueprint("admin", __name__, url_prefix="/admin")
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


@bp.get("/")
@requires("admin", tool_admin=True)
def index() -> ResponseReturnValue:
    ctx = current_launch()
    return render_template(
        "admin/index.html",
        registrations=services.list_registrations(ctx.tenant_id),
        keys=services.list_keys(ctx.tenant_id),
        jwks_url=url_for(
            "lti.tenant_key_set",
            key_set_id=services.get_tenant(ctx.tenant_id).key_set_id,
            _external=True,
        ),
        audit_entries=services.recent_audit(ctx.tenant_id),
        approve_form=ButtonForm(),
        new_deployments=services.new_deployments(ctx.tenant_id),
        new_deployment_days=services.NEW_DEPLOYMENT_DAYS,
        acknowledge_form=ButtonForm(),
        strict_form=StrictDeploymentsForm(formdata=None),
    )


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
    return redirect(launch_url("admin.index"), code=303)


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
    return redirect(launch_url("admin.index"), code=303)


@bp.post("/deployments/<int:deployment_pk>/approve")
@requires("admin", tool_admin=True)
def approve(deployment_pk: int) -> ResponseReturnValue:
    ctx = current_launch()
    form = ButtonForm()
    if form.validate_on_submit():
        dep = services.approve_pending_deployment(ctx.actor, deployment_pk)
        flash(f"Deployment {dep.deployment_id} is approved: it can launch now.", "success")
    return redirect(launch_url("admin.index"), code=303)


@bp.route("/advisors", methods=["GET", "POST"])
@requires("admin", tool_admin=True)
def advisors() -> ResponseReturnValue:
    ctx = current_launch()
    form = GrantAdvisorForm()
    form.set_people(services.grantable_users(ctx.tenant_id))
    if form.validate_on_submit():
        try:
            services.grant_advisor(ctx.actor, form.user.data)
        except PolicyViolationError as exc:
            field_errors(form, exc, fallback="user")
        else:
            flash(
                "The career advisor role is granted; it applies from the person's next launch.",
                "success",
            )
            return redirect(launch_url("admin.advisors"), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "admin/advisors.html",
        form=form,
        revoke_form=ButtonForm(),
        grants=services.list_advisor_grants(ctx.tenant_id),
    ), status


@bp.post("/advisors/<int:grant_id>/revoke")
@requires("admin", tool_admin=True)
def revoke(grant_id: int) -> ResponseReturnValue:
    ctx = current_launch()
    if ButtonForm().validate_on_submit():
        services.revoke_advisor(ctx.actor, grant_id)
        flash(
            "The career advisor role is revoked: the person's open advisor sessions have ended.",
            "success",
        )
    return redirect(launch_url("admin.advisors"), code=303)


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


@bp.route("/privacy", methods=["GET", "POST"])
@requires("admin", tool_admin=True)
def privacy() -> ResponseReturnValue:
    """A student's data rights: choose the person and the action, then confirm."""
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
    status = 422 if form.errors else 200
    return render_template(
        "admin/privacy.html", form=form, retention_form=_retention_form(ctx.tenant_id)
    ), status


def _retention_form(tenant_id: int, formdata: Any = None) -> RetentionForm:
    policy = retention.policy_for(services.get_tenant(tenant_id))
    return RetentionForm(
        formdata=formdata, files_days=policy.files_days, audit_days=policy.audit_days
    )


@bp.post("/privacy/retention")
@requires("admin", tool_admin=True)
def privacy_retention() -> ResponseReturnValue:
    """Set how long the tenant keeps uploaded files and audit entries (audited)."""
    ctx = current_launch()
    form = RetentionForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/privacy.html", form=DataRightsForm(formdata=None), retention_form=form
        ), 422
    retention.set_policy(ctx.actor, form.files_days.data, form.audit_days.data)
    flash("Retention periods saved; the next hourly purge applies them.", "success")
    return redirect(launch_url("admin.privacy"), code=303)


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


@bp.post("/privacy/run")
@requires("admin", tool_admin=True)
def privacy_run() -> ResponseReturnValue:
    """Carry out a confirmed export, pseudonymisation or erasure (audited)."""
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
            hint="Ask another tool administrator or the tool's operator.",
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
