"""Tenant set-up hooks: what each domain gives every tenant (its built-in rows) before any page
needs it. Run when a tenant is created and again at each launch (a POST), which also sets up
tenants created before a hook existed; a hook must do nothing when its rows are already there.
The core never imports a domain: a domain registers its hook in its ``register(app)``."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask.sansio.app import App

TenantSetup = Callable[[int], None]


def register_tenant_setup(app: App, name: str, hook: TenantSetup) -> None:
    """Let a domain set up each tenant: ``hook(tenant_id)`` adds what is missing and flushes."""
    app.extensions.setdefault("tenant_setup", {})[name] = hook


def set_up_tenant(tenant_id: int) -> None:
    """Run every domain's set-up hook for the tenant (flushes; the caller commits)."""
    for hook in current_app.extensions.get("tenant_setup", {}).values():
        hook(tenant_id)
