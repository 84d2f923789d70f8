"""The hosts a platform registration's service URLs may use.

A launch names its NRPS and AGS endpoints, and a registration is set up by a tenant's own
administrator; so a service URL (memberships, line items, scores, every ``Link: next``) is
called only on a host the registration knows: the hosts of its issuer, login, token and key set
URLs, the hosts an operator added (``flask --app lti_tool lti service-hosts``), and the
hosts its own validated launches named — learned first come, first served: a host that another
tenant's registration already knows is never learned (the refusal is audited). Anything else is
refused before any request with a reason an administrator can act on. Hosted Canvas serves
services on the institution's domain (often a vanity domain) and its token endpoint on
``sso.canvaslms.com``: the first is learned from the institution's own launches, the second is
the registration's token URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from .. import csp_versions
from ..actor import Actor
from ..context import AGS, NRPS
from ..errors import ConnectorError
from ..extensions import db
from ..models import Registration
from ..services import audit

if TYPE_CHECKING:
    from .toolconf import RegistrationRef

NRPS_CLAIM = NRPS
AGS_CLAIM = AGS
_MAX_LEARNED = 20  # hosts one registration may learn from launches


class UnknownServiceHostError(ConnectorError):
    """A service URL on a host the registration does not know: refused before any request."""


def host_of(url: str) -> str | None:
    """``host`` or ``host:port`` (lower case; the scheme's default port left out)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.hostname.lower() + (f":{port}" if port and port != default else "")


def _own_urls(reg: Registration | RegistrationRef) -> Iterable[str]:
    return (reg.issuer, reg.auth_login_url, reg.auth_token_url, reg.key_set_url)


def known_hosts(reg: Registration | RegistrationRef) -> set[str]:
    """Every host the registration's service calls may reach."""
    hosts = {h for u in _own_urls(reg) if (h := host_of(u or ""))}
    return hosts | {str(h) for h in (reg.service_hosts or [])}


def check_service_url(reg: Registration, url: str) -> None:
    """Refuse a service URL the registration does not know, before any request is made."""
    host = host_of(url)
    parts = urlsplit(url) if host else None
    if host is None or parts is None or parts.username or parts.password:
        raise UnknownServiceHostError(
            "Career Credit refused a platform service address that is not a plain web address.",
            hint="Launch the tool again from the LMS; if it persists, tell your LMS administrator.",
        )
    if parts.scheme == "http" and urlsplit(reg.issuer).scheme != "http":
        raise UnknownServiceHostError(
            f"Career Credit refused to call {host} over plain http: the platform "
            f"registration '{reg.name}' uses https.",
            hint="Ask your LMS administrator to check the tool's settings in the LMS.",
        )
    if host not in known_hosts(reg):
        raise UnknownServiceHostError(
            f"Career Credit refused to call {host}: it is not a host of the platform "
            f"registration '{reg.name}' (its issuer, token endpoint, or an LMS domain it "
            "has launched from).",
            hint="If this is your LMS's own domain, an operator adds it with "
            "'flask --app lti_tool lti service-hosts add'.",
        )


def launch_service_urls(body: dict[str, Any]) -> list[str]:
    """The service URLs a launch names (memberships, line items, line item)."""
    urls: list[Any] = []
    nrps, ags = body.get(NRPS_CLAIM), body.get(AGS_CLAIM)
    if isinstance(nrps, dict):
        urls.append(nrps.get("context_memberships_url"))
    if isinstance(ags, dict):
        urls += [ags.get("lineitems"), ags.get("lineitem")]
    return [u for u in urls if isinstance(u, str) and u]


def _hosts_of_other_tenants(tenant_id: int) -> set[str]:
    hosts: set[str] = set()
    for reg in db.session.scalars(select(Registration).where(Registration.tenant_id != tenant_id)):
        hosts |= known_hosts(reg)
    return hosts


def learn_from_launch(reg: Registration | RegistrationRef, body: dict[str, Any]) -> None:
    """Remember the service hosts a validated launch of this registration named (in the
    caller's transaction). Costs nothing when every host is known already (every launch
    after the first)."""
    new = {h for u in launch_service_urls(body) if (h := host_of(u))} - known_hosts(reg)
    if not new:
        return
    taken = _hosts_of_other_tenants(reg.tenant_id)
    learned = list(reg.service_hosts or [])
    for host in sorted(new):
        if host in taken or len(learned) >= _MAX_LEARNED:
            audit.record(
                f"platform {reg.name}"[:255],
                "platform.service_host_refused",
                reg.tenant_id,
                registration_id=reg.id,
                host=host,
                reason="known to another institution" if host in taken else "too many hosts",
            )
            continue
        learned.append(host)
        audit.record(
            f"platform {reg.name}"[:255],
            "platform.service_host_learned",
            reg.tenant_id,
            registration_id=reg.id,
            host=host,
        )
    if learned != list(reg.service_hosts or []):
        # The launch's registration is a Core row, not an ORM object: write it directly.
        db.session.execute(
            update(Registration).where(Registration.id == reg.id).values(service_hosts=learned)
        )
        reg.service_hosts = learned
        csp_versions.raise_version(db.session, reg.tenant_id)


def add_service_host(actor: Actor, reg: Registration, host: str) -> str:
    """An operator's addition of an LMS domain (``host`` or ``host:port``); flush only."""
    clean = host_of(host if "://" in host else f"https://{host}")
    if clean is None:
        raise ValueError(f"{host!r} is not a host name")
    if clean in _hosts_of_other_tenants(reg.tenant_id):
        raise ValueError(f"{clean} is a host of another institution's registration")
    if clean not in known_hosts(reg):
        reg.service_hosts = [*(reg.service_hosts or []), clean]
        audit.record(actor, "platform.service_host_added", reg.tenant_id, host=clean)
        db.session.flush()
    return clean


def remove_service_host(actor: Actor, reg: Registration, host: str) -> bool:
    """Forget an added or learned host; flush only. False when it was not there."""
    clean = host_of(host if "://" in host else f"https://{host}")
    if clean not in (reg.service_hosts or []):
        return False
    reg.service_hosts = [h for h in reg.service_hosts if h != clean]
    audit.record(actor, "platform.service_host_removed", reg.tenant_id, host=clean)
    db.session.flush()
    return True
