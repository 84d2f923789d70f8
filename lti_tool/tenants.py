"""A tenant by id (``get_tenant``), and the tenant set-up hooks: what each domain gives every
tenant (its built-in rows) before any page needs it. Run when a tenant is created and again at
each launch (a POST), which also sets up tenants created before a hook existed; a hook must do
nothing when its rows are already there. The core never imports a domain: a domain registers
its hook in its ``register(app)``."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask.sansio.app import App

from .errors import NotFoundError
from .extensions import db
from .models import Tenant

TenantSetup = Callable[[int], None]


def get_tenant(tenant_id: int) -> Tenant:
    """The tenant, or ``NotFoundError`` when it was removed."""
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError("This institution is no longer registered with Career Credit.")
    return tenant


def register_tenant_setup(app: App, name: str, hook: TenantSetup) -> None:
    """Let a domain set up each tenant: ``hook(tenant_id)`` adds what is missing and flushes."""
    app.extensions.setdefault("tenant_setup", {})[name] = hook


def set_up_tenant(tenant_id: int) -> None:
    """Run every domain's set-up hook for the tenant (flushes; the caller commits)."""
    for hook in current_app.extensions.get("tenant_setup", {}).values():
        hook(tenant_id)
