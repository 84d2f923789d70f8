"""The Content-Security-Policy's origin lists: who may frame a page (``frame-ancestors``), where
its forms may go (``form-action``) and what it may frame (``frame-src``).

- ``frame-ancestors``: the tenant's own LMS pages only — the origins of its registrations'
  issuer and login URLs, the LMS domains its launches named (``Registration.service_hosts``,
  learned by ``lti.service_hosts``), its Canvas API address, and the tenant's ``frame_origins``
  setting. Hosted Canvas shares one issuer and one login host (``canvas.instructure.com``,
  ``sso.canvaslms.com``) among every school; neither frames a course page, and no wildcard such
  as ``*.instructure.com`` is ever added: another school's Canvas cannot frame this tenant's
  pages.
- ``form-action``: ``'self'``, the same origins (the platform's login endpoint for the OIDC
  exchange, Canvas's OAuth page the authorise button redirects to), and the launch's Deep
  Linking return URL.
- ``frame-src``: ``'none'``; the sandbox LMS (development) frames the tool's origin.

During the login and launch exchange the tenant is not known yet: the issuer and client id the
request names choose the one registration (the issuer alone only when no client id is sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from .extensions import db
from .models import Registration, Tenant

# Hosted Canvas: one issuer and one login host for every school, never a school's own page.
SHARED_CANVAS_HOSTS = frozenset(
    {
        "canvas.instructure.com",
        "canvas.beta.instructure.com",
        "canvas.test.instructure.com",
        "sso.canvaslms.com",
        "sso.beta.canvaslms.com",
        "sso.test.canvaslms.com",
    }
)


def origin_of(url: Any) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL; None for anything else (no wildcard, no
    path, nothing that could break out of the header)."""
    try:
        parts = urlsplit(str(url))
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        return None
    if not all(c.isalnum() or c in ".-:[]" for c in parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _host_origin(host: Any, scheme: str) -> str | None:
    return origin_of(f"{scheme}://{host}") if isinstance(host, str) and host else None


def _tenant_origins(registrations: Iterable[Registration], tenants: Iterable[Tenant]) -> list[str]:
    from .admin.connections import ConnectorCredentials

    origins: dict[str, None] = {}
    reg_list = list(registrations)
    for reg in reg_list:
        for url in (reg.issuer, reg.auth_login_url):
            origin = origin_of(url)
            if origin and (urlsplit(origin).hostname or "") not in SHARED_CANVAS_HOSTS:
                origins[origin] = None
        scheme = urlsplit(reg.issuer or "").scheme or "https"
        for host in getattr(reg, "service_hosts", None) or []:
            origin = _host_origin(host, scheme)
            if origin:
                origins[origin] = None
    for tenant in tenants:
        for url in (tenant.settings or {}).get("frame_origins") or []:
            origin = origin_of(url)
            if origin:
                origins[origin] = None
    if reg_list:
        urls = db.session.scalars(
            select(ConnectorCredentials.canvas_url).where(
                ConnectorCredentials.registration_id.in_([r.id for r in reg_list])
            )
        )
        for canvas_url in urls:
            canvas = origin_of(canvas_url) if canvas_url else None
            if canvas:
                origins[canvas] = None
    return list(origins)


def tenant_origins(tenant_id: int) -> list[str]:
    """The origins of one tenant's LMS pages."""
    regs = db.session.scalars(select(Registration).where(Registration.tenant_id == tenant_id))
    tenant = db.session.get(Tenant, tenant_id)
    return _tenant_origins(regs, [tenant] if tenant else [])


def exchange_origins(issuer: str, client_id: str | None) -> list[str]:
    """The origins of the tenant(s) a login or launch names, before the tenant is known: the
    registration (issuer, client id), or every registration of the issuer when no client id
    is given (a login may leave it out)."""
    query = select(Registration).where(Registration.issuer == issuer)
    if client_id:
        query = query.where(Registration.client_id == client_id)
    regs = list(db.session.scalars(query.limit(50)))
    tenant_ids = {r.tenant_id for r in regs}
    if not tenant_ids:
        return []
    tenant_regs = db.session.scalars(
        select(Registration).where(Registration.tenant_id.in_(tenant_ids))
    )
    tenants = db.session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids)))
    return _tenant_origins(tenant_regs if not client_id else regs, tenants)
