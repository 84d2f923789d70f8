"""Every page's Content-Security-Policy names the tenant's LMS origins (``lti_tool.csp``), which
take a query over its registrations and their Canvas connections. A process keeps them per
tenant with the tenant's ``origins_version``, which the launch's lookup reads with the tenant
row on every page anyway (``auth.load_launch``): a page uses the kept origins only while the
version it read is the one they were computed for.

The version rises in the same transaction as every change to what the origins come from:

- ORM changes (a registration added, edited or deleted, a Canvas connection's address, the
  tenant's settings) are found before each flush (``_before_flush``) and the tenant's row is
  raised in that flush;
- the launch's learned frame origins and LMS domains, written as Core updates of the
  registration row, call ``raise_version`` themselves.

A request that raised a tenant's version computes its origins afresh for its own answer.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from flask import g, has_app_context
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from .models import Registration, Tenant

# tenant id -> (origins_version, origins), this process's
_KEPT: dict[int, tuple[int, list[str]]] = {}
# what a tenant's origins come from: a registration's and a Canvas connection's columns, the
# tenant's settings
_TENANT_COLUMNS = ("settings",)


def kept_origins(tenant_id: int) -> list[str] | None:
    """The origins kept for the version this request read, or None (compute them)."""
    version = _version_read(tenant_id)
    kept = _KEPT.get(tenant_id)
    if version is None or kept is None or kept[0] != version:
        return None
    return list(kept[1])


def keep_origins(tenant_id: int, origins: list[str]) -> None:
    """Keep the origins just computed, under the version this request read."""
    version = _version_read(tenant_id)
    if version is not None:
        _KEPT[tenant_id] = (version, list(origins))


def _version_read(tenant_id: int) -> int | None:
    """The version the request's launch read, unless this request changed the origins."""
    if not has_app_context():
        return None
    if tenant_id in g.get("origins_changed", ()):
        return None
    read = g.get("launch_tenant_version")
    return read[1] if read is not None and read[0] == tenant_id else None


def _changed(tenant_id: int) -> None:
    _KEPT.pop(tenant_id, None)
    if has_app_context():
        g.origins_changed = {*g.get("origins_changed", ()), tenant_id}


def raise_version(session: Any, tenant_id: int) -> None:
    """Raise a tenant's version after a Core update of what its origins come from."""
    session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(origins_version=Tenant.origins_version + 1)
    )
    _changed(tenant_id)


def _tenants_changed(session: Session) -> set[int]:
    from .admin.models import ConnectorCredentials

    found: set[int] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, (Registration, ConnectorCredentials)) and obj.tenant_id:
            found.add(obj.tenant_id)
    for obj in session.dirty:
        if isinstance(obj, (Registration, ConnectorCredentials)):
            if session.is_modified(obj, include_collections=False) and obj.tenant_id:
                found.add(obj.tenant_id)
        elif isinstance(obj, Tenant) and obj.id is not None:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in _TENANT_COLUMNS):
                found.add(obj.id)
    return found


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for tenant_id in _tenants_changed(session):
        with session.no_autoflush:
            tenant = session.get(Tenant, tenant_id)
        if tenant is not None:
            tenant.origins_version = Tenant.origins_version + 1
        _changed(tenant_id)


def install() -> None:
    """Listen to every session's flushes (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
