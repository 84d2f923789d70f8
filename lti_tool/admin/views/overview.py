"""The administrator's overview and the pages it sends to (issue 18), registered on the area's
blueprint: ``admin.index`` (``/admin/``, one screen: figures that link to where each is handled,
and what waits for the administrator), ``admin.registrations`` (``/admin/registrations``:
platform registrations, their deployments, strict mode, the tool's keys) and ``admin.guides``
(``/admin/guides``: the install guides for Canvas, Moodle and Dynamic Registration)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import bindparam, func, select

from ...auth import current_launch, requires
from ...extensions import db
from ...forms import ButtonForm
from ...jobs import models as jobs
from ...lti import frame_origins
from ...models import utcnow
from .. import services
from ..forms import StrictDeploymentsForm

RECENT_ON_OVERVIEW = 5  # audit entries on the overview; the audit page has them all


@dataclass(frozen=True)
class KeyState:
    """The tenant's signing key at a glance: its age, a rotated key waiting to sign, legacy."""

    signing_kid: str | None
    age_days: int | None
    next_from: dt.datetime | None  # when a rotated key starts signing (None: no rotation due)
    legacy: bool


def key_state(keys: list[services.KeyInfo], now: dt.datetime | None = None) -> KeyState:
    now = now or utcnow()
    signer = next((k for k in keys if k.signs_now), None)
    waiting = [k.signing_from for k in keys if not k.legacy and k.signing_from > now]
    return KeyState(
        signing_kid=signer.kid if signer else None,
        age_days=(now - signer.created_at).days if signer else None,
        next_from=min(waiting) if waiting else None,
        legacy=bool(signer and signer.legacy),
    )


@functools.cache
def _failed_syncs() -> Any:
    """The count of a tenant's grades the LMS refused for good, built once (bound per tenant)."""
    return (
        select(func.count())
        .select_from(jobs.OutboxMessage)
        .where(
            jobs.OutboxMessage.tenant_id == bindparam("t"),
            jobs.OutboxMessage.status == jobs.FAILED,
            jobs.OutboxMessage.source.startswith("credit_award:"),
        )
    )


def failed_sync_count(tenant_id: int) -> int:
    """Grades the LMS refused for good (the Failed grade syncs page lists them): one count."""
    return int(db.session.scalar(_failed_syncs(), {"t": tenant_id}) or 0)


def _pending(registrations: list[Any]) -> list[Any]:
    return [d for reg in registrations for d in reg.deployments if d.status != "active"]


@requires("admin", tool_admin=True)
def index() -> ResponseReturnValue:
    ctx = current_launch()
    tenant = services.get_tenant(ctx.tenant_id)
    registrations = services.list_registrations(ctx.tenant_id)
    allowed_origins, seen_origins = frame_origins.counts(tenant, registrations)
    return render_template(
        "admin/index.html",
        registrations=registrations,
        pending=_pending(registrations),
        new_deployments=services.new_deployments(ctx.tenant_id, registrations=registrations),
        new_deployment_days=services.NEW_DEPLOYMENT_DAYS,
        failed_syncs=failed_sync_count(ctx.tenant_id),
        keys=key_state(services.list_keys(ctx.tenant_id)),
        allowed_origins=allowed_origins,
        seen_origins=seen_origins,
        audit_entries=services.recent_audit(ctx.tenant_id, RECENT_ON_OVERVIEW),
        approve_form=ButtonForm(),
        acknowledge_form=ButtonForm(),
    )


@requires("admin", tool_admin=True)
def registrations() -> ResponseReturnValue:
    ctx = current_launch()
    found = services.list_registrations(ctx.tenant_id)
    return render_template(
        "admin/registrations.html",
        registrations=found,
        keys=services.list_keys(ctx.tenant_id),
        jwks_url=url_for(
            "lti.tenant_key_set",
            key_set_id=services.get_tenant(ctx.tenant_id).key_set_id,
            _external=True,
        ),
        approve_form=ButtonForm(),
        new_deployments=services.new_deployments(ctx.tenant_id, registrations=found),
        new_deployment_days=services.NEW_DEPLOYMENT_DAYS,
        acknowledge_form=ButtonForm(),
        strict_form=StrictDeploymentsForm(formdata=None),
    )


@requires("admin", tool_admin=True)
def guides() -> ResponseReturnValue:
    return render_template("admin/guides.html")


def register(bp: Blueprint) -> None:
    """The three pages as the area's endpoints (``admin.index`` and the others)."""
    bp.add_url_rule("/", "index", index, methods=["GET"])
    bp.add_url_rule("/registrations", "registrations", registrations, methods=["GET"])
    bp.add_url_rule("/guides", "guides", guides, methods=["GET"])
