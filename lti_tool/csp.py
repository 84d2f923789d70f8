"""The Content-Security-Policy's origin lists: who may frame a page (``frame-ancestors``), where
its forms may go (``form-action``) and what it may frame (``frame-src``).

- ``frame-ancestors``: the tenant's own LMS pages only — the origins of its registrations'
  issuer and login URLs, the framing origins its platforms revealed
  (``Registration.frame_origins``, learned by ``lti.frame_origins`` from Dynamic Registration
  and validated launches), the LMS domains its launches named (``Registration.service_hosts``,
  learned by ``lti.service_hosts``), its Canvas API address, and the tenant's ``frame_origins``
  setting (admin page, ``flask --app lti_tool lti frame-origins``). A validated launch
  framed by an origin none of these name gets one explanation page that any origin may frame
  (``lti.views``); every other page keeps this list. Hosted Canvas shares one issuer and one
  login host (``canvas.instructure.com``, ``sso.canvaslms.com``) among every school; neither
  frames a course page, and no wildcard such as ``*.instructure.com`` is ever added: another
  school's Canvas cannot frame this tenant's pages.
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

from flask import g, has_app_context
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


def normal_origin(url: Any) -> str | None:
    """``origin_of`` without the scheme's default port: the form a browser's ``Origin`` header
    has, so that one origin is stored and compared one way."""
    origin = origin_of(url)
    if origin is None:
        return None
    parts = urlsplit(origin)
    default = ":443" if parts.scheme == "https" else ":80"
    return origin[: -len(default)] if parts.netloc.endswith(default) else origin


def _shared(origin: str) -> bool:
    return (urlsplit(origin).hostname or "") in SHARED_CANVAS_HOSTS


def _host_origin(host: Any, scheme: str) -> str | None:
    return normal_origin(f"{scheme}://{host}") if isinstance(host, str) and host else None


def registration_origins(reg: Any) -> list[str]:
    """The origins of a registration's issuer and login URLs (hosted Canvas's shared hosts
    left out)."""
    found = (normal_origin(url) for url in (reg.issuer, reg.auth_login_url))
    return list(dict.fromkeys(o for o in found if o and not _shared(o)))


def _registration_sources(reg: Registration) -> Iterable[tuple[str | None, str]]:
    """A registration's origins, each with why: its issuer and login address, the origins its
    platform revealed (allowed ones), the LMS domains its launches named."""
    for origin in registration_origins(reg):
        yield origin, f"{reg.name}: issuer or login address"
    for entry in getattr(reg, "frame_origins", None) or []:
        if isinstance(entry, dict) and entry.get("allowed"):
            yield normal_origin(entry.get("origin")), f"{reg.name}: {entry.get('source')}"
    scheme = urlsplit(reg.issuer or "").scheme or "https"
    for host in getattr(reg, "service_hosts", None) or []:
        yield _host_origin(host, scheme), f"{reg.name}: an LMS domain its launches named"


def _canvas_connection_sources(
    reg_list: list[Registration], canvas_urls: list[str | None] | None = None
) -> Iterable[tuple[str | None, str]]:
    """The Canvas API addresses of the registrations' connections (``canvas_urls`` when the
    caller read them already)."""
    from .admin.models import ConnectorCredentials

    if canvas_urls is None:
        if not reg_list:
            return
        canvas_urls = list(
            db.session.scalars(
                select(ConnectorCredentials.canvas_url).where(
                    ConnectorCredentials.registration_id.in_([r.id for r in reg_list])
                )
            )
        )
    for canvas_url in canvas_urls:
        yield (normal_origin(canvas_url) if canvas_url else None), "the Canvas connection"


def _tenant_origin_sources(
    registrations: Iterable[Registration],
    tenant_settings: Iterable[dict[str, Any] | None],
    canvas_urls: list[str | None] | None = None,
) -> dict[str, str]:
    reg_list = list(registrations)
    found: list[tuple[str | None, str]] = []
    for reg in reg_list:
        found.extend(_registration_sources(reg))
    for settings in tenant_settings:
        found.extend(
            (normal_origin(url), "configured")
            for url in (settings or {}).get("frame_origins") or []
        )
    found.extend(_canvas_connection_sources(reg_list, canvas_urls))
    origins: dict[str, str] = {}
    for origin, source in found:
        if origin and not _shared(origin):
            origins.setdefault(origin, source)
    return origins


def _tenant_origins(registrations: Iterable[Registration], tenants: Iterable[Tenant]) -> list[str]:
    return list(_tenant_origin_sources(registrations, [t.settings for t in tenants]))


def tenant_origin_sources(tenant_id: int) -> dict[str, str]:
    """The origins of one tenant's LMS pages, each with why it is there: one query for the
    registrations with their Canvas connections (every page's frame-ancestors reads this),
    and the tenant's settings as the request's launch read them (``auth.load_launch``)."""
    from .admin.models import ConnectorCredentials

    rows = db.session.execute(
        select(Registration, ConnectorCredentials.canvas_url)
        .outerjoin(ConnectorCredentials, ConnectorCredentials.registration_id == Registration.id)
        .where(Registration.tenant_id == tenant_id)
        .order_by(Registration.id)
    ).all()
    kept = g.get("launch_tenant_settings") if has_app_context() else None
    if kept is not None and kept[0] == tenant_id:
        settings = [kept[1]]
    else:
        tenant = db.session.get(Tenant, tenant_id)
        settings = [tenant.settings] if tenant else []
    return _tenant_origin_sources(
        [reg for reg, _url in rows], settings, [url for _reg, url in rows]
    )


def tenant_origins(tenant_id: int) -> list[str]:
    """The origins of one tenant's LMS pages (kept by the process for the tenant's origins
    version the request read: ``csp_versions``)."""
    from . import csp_versions

    kept = csp_versions.kept_origins(tenant_id)
    if kept is not None:
        return kept
    origins = list(tenant_origin_sources(tenant_id))
    csp_versions.keep_origins(tenant_id, origins)
    return origins


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
