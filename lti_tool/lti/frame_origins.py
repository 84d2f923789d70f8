"""The origins allowed to frame a tenant's pages besides its platforms' issuer and login URLs.

Hosted Canvas shows course pages on the institution's own (often vanity) domain, and a
self-hosted LMS may serve its pages on another host than its issuer. Three sources:

- **configured**: the tenant's ``frame_origins`` setting, edited by its administrators on the
  admin page (Frame origins) or by an operator (``flask --app lti_tool lti frame-origins``).
- **learned** (``Registration.frame_origins``, ``allowed``): where the platform itself reveals
  it — the host of the Dynamic Registration ``openid_configuration`` URL, and on a *validated*
  launch the hosts its signed claims name (Canvas's ``canvas_api_domain``,
  ``launch_presentation.return_url``, the deep-linking return URL, ``tool_platform.url``). The
  launch POST's ``Origin`` header is learned only when its host is one of those hosts or the
  registration's own (issuer, login, Dynamic Registration) host: a person can re-post their own
  valid id_token from a page they control, so the header alone vouches for nothing.
- **seen** (``Registration.frame_origins``, not ``allowed``): the ``Origin`` of a framed,
  validated launch that nothing vouched for. It frames nothing; the admin page offers it to
  the administrator (Allow, Dismiss).

Hosted Canvas's shared hosts (``canvas.instructure.com``, ``sso.canvaslms.com``, ...) are never
an origin: every school uses them and none shows a course page there. Every change is audited.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from .. import csp_versions
from ..actor import Actor
from ..context import CLAIM, DEEP_LINKING
from ..csp import SHARED_CANVAS_HOSTS, normal_origin, registration_origins
from ..extensions import db
from ..models import Registration, Tenant, utcnow
from ..services import audit
from ..tenants import get_tenant

DL_SETTINGS = DEEP_LINKING
CANVAS_API_DOMAIN = "canvas_api_domain"  # the custom field carrying $Canvas.api.domain
MAX_LEARNED = 20  # allowed origins one registration may learn
MAX_SEEN = 10  # seen-not-allowed origins kept per registration (the oldest go first)

SOURCE_DYNREG = "Dynamic Registration (openid_configuration address)"
SOURCE_API_DOMAIN = "launch: Canvas API domain ($Canvas.api.domain)"
SOURCE_RETURN_URL = "launch: return URL (launch_presentation)"
SOURCE_DL_RETURN = "launch: deep-linking return URL"
SOURCE_PLATFORM_URL = "launch: tool_platform.url"
SOURCE_ORIGIN = "launch: the page that posted it (its host is named by the signed launch)"
SOURCE_SEEN = "launch: the page that posted it (not vouched for by the signed launch)"


def _now() -> str:
    return utcnow().replace(microsecond=0).isoformat()


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def clean_origin(value: Any) -> str:
    """An origin an administrator or operator typed, as ``scheme://host[:port]``. Raises
    ValueError with a message that says what to type instead."""
    text = str(value or "").strip().rstrip("/")
    example = "for example https://canvas.school.edu"
    if not text:
        raise ValueError(f"Enter the address of your LMS's pages, {example}.")
    if "*" in text:
        raise ValueError(
            f"{text} has a wildcard: name each LMS address on its own, {example}, so that "
            "no other site can frame Career Credit."
        )
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.path or parts.query or parts.fragment:
        raise ValueError(
            f"{value} is not an origin: give only the scheme and host (no path), {example}."
        )
    origin = normal_origin(text)
    if origin is None:
        raise ValueError(f"{value} is not a web address, {example}.")
    host = urlsplit(origin).hostname or ""
    if host in SHARED_CANVAS_HOSTS:
        raise ValueError(
            f"{host} is hosted Canvas's shared address: every school uses it and no course page "
            "is shown there. Add your institution's Canvas address instead, for example "
            "https://canvas.school.edu or https://school.instructure.com."
        )
    if origin.startswith("http://") and not _is_loopback(host):
        raise ValueError(
            f"{value} uses plain http: an LMS page framing Career Credit must use https "
            f"({origin.replace('http://', 'https://', 1)})."
        )
    return origin


def _host_url(host: Any, scheme: str) -> str | None:
    if not isinstance(host, str) or not host or "/" in host:
        return None
    return f"{scheme}://{host}"


def claim_origins(reg: Any, body: dict[str, Any]) -> dict[str, str]:
    """The origins the signed claims of a launch name, each with where it came from."""
    scheme = urlsplit(str(reg.issuer or "")).scheme or "https"
    custom = body.get(CLAIM + "custom")
    presentation = body.get(CLAIM + "launch_presentation")
    dl_settings = body.get(DL_SETTINGS)
    platform = body.get(CLAIM + "tool_platform")
    urls: list[tuple[Any, str]] = []
    if isinstance(custom, dict):
        urls.append((_host_url(custom.get(CANVAS_API_DOMAIN), scheme), SOURCE_API_DOMAIN))
    if isinstance(presentation, dict):
        urls.append((presentation.get("return_url"), SOURCE_RETURN_URL))
    if isinstance(dl_settings, dict):
        urls.append((dl_settings.get("deep_link_return_url"), SOURCE_DL_RETURN))
    if isinstance(platform, dict):
        urls.append((platform.get("url"), SOURCE_PLATFORM_URL))
    found: dict[str, str] = {}
    for url, source in urls:
        origin = normal_origin(url) if isinstance(url, str) else None
        if origin and (urlsplit(origin).hostname or "") not in SHARED_CANVAS_HOSTS:
            found.setdefault(origin, source)
    return found


def _entries(reg: Any) -> list[dict[str, Any]]:
    return [dict(e) for e in (getattr(reg, "frame_origins", None) or []) if isinstance(e, dict)]


def learned_origins(reg: Any) -> set[str]:
    """The origins this registration learned (allowed ones only)."""
    return {str(e.get("origin")) for e in _entries(reg) if e.get("allowed")}


def _save(reg: Any, entries: list[dict[str, Any]]) -> None:
    # The launch's registration is a Core row (lti.toolconf), not an ORM object: write directly.
    db.session.execute(
        update(Registration).where(Registration.id == reg.id).values(frame_origins=entries)
    )
    reg.frame_origins = entries
    csp_versions.raise_version(db.session, reg.tenant_id)


def _actor(reg: Any) -> Actor:
    """The platform itself, acting in its tenant (what its launches reveal)."""
    return Actor(reg.tenant_id, f"platform {reg.name}")


def _learn(actor: Actor, reg: Any, found: dict[str, str]) -> list[str]:
    """Allow the origins ``found`` names for the registration (audited; in the caller's
    transaction). Returns the origins newly learned; nothing is written when all are known."""
    entries = _entries(reg)
    known = learned_origins(reg) | set(registration_origins(reg))
    new = {o: s for o, s in found.items() if o not in known}
    if not new:
        return []
    allowed_count = sum(1 for e in entries if e.get("allowed"))
    learned: list[str] = []
    for origin, source in sorted(new.items()):
        if allowed_count >= MAX_LEARNED:
            audit.record(
                actor,
                "platform.frame_origin_refused",
                reg.tenant_id,
                registration_id=reg.id,
                origin=origin,
                reason="too many learned origins",
            )
            continue
        entries = [e for e in entries if e.get("origin") != origin]  # a seen one is vouched now
        entries.append({"origin": origin, "source": source, "at": _now(), "allowed": True})
        allowed_count += 1
        learned.append(origin)
        audit.record(
            actor,
            "platform.frame_origin_learned",
            reg.tenant_id,
            registration_id=reg.id,
            origin=origin,
            source=source,
        )
    _save(reg, entries)
    return learned


def frames_tenant(reg: Any, origin: str) -> bool:
    """Whether ``origin`` may frame the pages of the registration's tenant (the registration's
    own origins answer without a query)."""
    from ..csp import tenant_origins

    if origin in registration_origins(reg) or origin in learned_origins(reg):
        return True
    return origin in tenant_origins(reg.tenant_id)


def learn_from_launch(reg: Any, body: dict[str, Any], request_origin: str | None) -> None:
    """Learn what a validated launch reveals: the origins its signed claims name, and the page
    that posted it when its host is one the claims or the registration vouch for."""
    found = claim_origins(reg, body)
    origin = normal_origin(request_origin) if request_origin else None
    if origin and origin not in found:
        host = urlsplit(origin).hostname or ""
        vouched = {urlsplit(o).hostname for o in [*found, *registration_origins(reg)]}
        vouched |= {urlsplit(o).hostname for o in learned_origins(reg)}
        if host in vouched and host not in SHARED_CANVAS_HOSTS:
            found[origin] = SOURCE_ORIGIN
    _learn(_actor(reg), reg, found)


def learn_from_registration(actor: Actor, reg: Registration, configuration_url: str) -> None:
    """Dynamic Registration: the ``openid_configuration`` URL is on the LMS's own domain
    (Canvas serves it on the institution's)."""
    origin = normal_origin(configuration_url)
    if origin and (urlsplit(origin).hostname or "") not in SHARED_CANVAS_HOSTS:
        _learn(actor, reg, {origin: SOURCE_DYNREG})


def record_seen(reg: Any, origin: str) -> None:
    """A validated launch framed by ``origin``, which nothing allows: keep it for the admin
    page (audited the first time)."""
    entries = _entries(reg)
    if any(e.get("origin") == origin for e in entries):
        return
    seen = [e for e in entries if not e.get("allowed")]
    if len(seen) >= MAX_SEEN:  # keep the newest: drop the oldest seen entry
        oldest = min(seen, key=lambda e: str(e.get("at")))
        entries.remove(oldest)
    entries.append({"origin": origin, "source": SOURCE_SEEN, "at": _now(), "allowed": False})
    audit.record(
        _actor(reg),
        "platform.frame_origin_seen",
        reg.tenant_id,
        registration_id=reg.id,
        origin=origin,
    )
    _save(reg, entries)


# --- the administrator's and operator's side -------------------------------------------------


def _registrations(tenant_id: int) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.tenant_id == tenant_id)
            .order_by(Registration.name, Registration.id)
        )
    )


def configured(tenant: Tenant) -> list[str]:
    """The tenant's ``frame_origins`` setting, as origins."""
    found: dict[str, None] = {}
    for url in (tenant.settings or {}).get("frame_origins") or []:
        origin = normal_origin(url)
        if origin:
            found[origin] = None
    return list(found)


def _set_configured(tenant: Tenant, origins: Iterable[str]) -> None:
    # a new dict: the JSON column does not track in-place changes
    tenant.settings = {**(tenant.settings or {}), "frame_origins": list(origins)}


def add(actor: Actor, value: Any) -> tuple[str, bool]:
    """Allow an origin for the actor's tenant (flush only): (the origin, whether it was new). A
    seen origin becomes a configured one. Raises ValueError on bad input."""
    origin = clean_origin(value)
    tenant = get_tenant(actor.tenant)
    current = configured(tenant)
    for reg in _registrations(tenant.id):
        entries = _entries(reg)
        kept = [e for e in entries if e.get("allowed") or e.get("origin") != origin]
        if kept != entries:
            reg.frame_origins = kept
    if origin in current:
        db.session.flush()
        return origin, False
    _set_configured(tenant, [*current, origin])
    audit.record(actor, "tenant.frame_origin_added", origin=origin)
    db.session.flush()
    return origin, True


def remove(actor: Actor, value: Any) -> bool:
    """Forget an origin (configured, learned or seen) for the actor's tenant; flush only. False
    when the tenant had no such origin."""
    tenant = get_tenant(actor.tenant)
    origin = normal_origin(str(value or "").strip().rstrip("/")) or str(value or "")
    removed_from: list[str] = []
    current = configured(tenant)
    if origin in current:
        _set_configured(tenant, [o for o in current if o != origin])
        removed_from.append("configured")
    for reg in _registrations(tenant.id):
        entries = _entries(reg)
        kept = [e for e in entries if e.get("origin") != origin]
        if kept != entries:
            reg.frame_origins = kept
            removed_from.append(f"registration {reg.id}")
    if not removed_from:
        return False
    audit.record(actor, "tenant.frame_origin_removed", origin=origin, was=removed_from)
    db.session.flush()
    return True


@dataclass(frozen=True)
class Entry:
    origin: str
    where: str  # the registration's name, or "" for a configured origin
    source: str
    at: dt.datetime | None


@dataclass(frozen=True)
class Overview:
    configured: list[str]
    learned: list[Entry]
    seen: list[Entry]
    # origins that frame the tenant's pages because of its registrations' own URLs, the LMS
    # domains its launches named (service hosts) and its Canvas connection
    derived: list[Entry]


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def overview(tenant: Tenant) -> Overview:
    """Everything that frames (or asked to frame) the tenant's pages, for the admin page."""
    from ..csp import tenant_origin_sources

    learned: list[Entry] = []
    seen: list[Entry] = []
    for reg in _registrations(tenant.id):
        for e in _entries(reg):
            entry = Entry(str(e.get("origin")), reg.name, str(e.get("source")), _when(e.get("at")))
            (learned if e.get("allowed") else seen).append(entry)
    shown = {*configured(tenant), *(e.origin for e in learned)}
    derived = [
        Entry(origin, "", source, None)
        for origin, source in tenant_origin_sources(tenant.id).items()
        if origin not in shown
    ]
    allowed = shown | {e.origin for e in derived}
    return Overview(
        configured=configured(tenant),
        learned=learned,
        seen=[e for e in seen if e.origin not in allowed],
        derived=derived,
    )


def counts(tenant: Tenant, registrations: Iterable[Registration]) -> tuple[int, int]:
    """``overview``'s figures (allowed: configured + learned + derived; seen and not allowed)
    for the admin overview, without a query: the registrations the page read already, and the
    tenant's origins as the process keeps them for its origins version (``csp.tenant_origins``,
    which the page's own header reads; the keys of ``tenant_origin_sources``)."""
    from ..csp import tenant_origins

    learned: list[str] = []
    seen: list[str] = []
    for reg in registrations:
        for e in _entries(reg):
            (learned if e.get("allowed") else seen).append(str(e.get("origin")))
    shown = {*configured(tenant), *learned}
    derived = [origin for origin in tenant_origins(tenant.id) if origin not in shown]
    allowed = shown | set(derived)
    return (
        len(configured(tenant)) + len(learned) + len(derived),
        len([origin for origin in seen if origin not in allowed]),
    )
