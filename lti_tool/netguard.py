"""Outbound requests to addresses a person typed (Canvas and Moodle base URLs, CASE providers,
Dynamic Registration documents): public hosts only, pinned to the address that was checked.

``check_public_host`` resolves a host once and refuses it when any of its addresses is loopback,
private, link-local, multicast, reserved or unspecified (IPv4 and IPv6, IPv4-mapped IPv6
included). ``session()`` is a requests session whose transport does that check on every request
and then connects to the vetted address itself — the TCP connection goes to the IP that was
checked, while the ``Host`` header, TLS SNI and certificate check keep the original name — so a
name that resolves to a public address for the check and to a private one a moment later
(DNS rebinding) never reaches the private one. The session follows no redirects, ignores proxy
variables (a proxy would resolve the name again) and has a timeout on every call.

Errors a person sees are generic (``GENERIC_MESSAGE``): which port was closed, which status a
private server answered or what its body said must not leak to the page. Details go to the log,
with the URL's query left out (``connectors.errors.log_unreachable``, the one place that logs a
failed call to an address a person typed).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool

from .http import TimeoutSession

GENERIC_MESSAGE = "Career Credit could not reach that address."
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefusedError(requests.exceptions.ConnectionError):
    """The host does not resolve, or resolves to an address that is not on the internet.

    A ``requests`` exception, so every caller's existing ``except requests.RequestException``
    turns it into that system's "could not be reached" error."""

    def __init__(self, detail: str, *, reason: str) -> None:
        super().__init__(GENERIC_MESSAGE)
        self.detail = detail
        self.reason = reason


class RedirectRefusedError(requests.exceptions.RequestException):
    """The server answered with a redirect; guarded requests never follow one."""

    def __init__(self, status: int) -> None:
        super().__init__(GENERIC_MESSAGE)
        self.detail = f"answered a redirect ({status})"
        self.reason = "redirected"


# Which settings allow private addresses, the first one set deciding: outbound calls in general
# (Canvas, Moodle, CASE providers) also follow the registration's switch; Dynamic Registration,
# the stricter case, follows only its own.
OUTBOUND_SETTINGS = ("OUTBOUND_ALLOW_PRIVATE_HOSTS", "DYNREG_ALLOW_PRIVATE_HOSTS")
REGISTRATION_SETTINGS = ("DYNREG_ALLOW_PRIVATE_HOSTS",)


def allow_private_hosts(settings: tuple[str, ...] = OUTBOUND_SETTINGS) -> bool:
    """Whether private addresses are allowed: the first of ``settings`` that is set; none set,
    only in development. Never outside an app."""
    if not has_app_context():
        return False
    cfg = current_app.config
    for name in settings:
        if cfg[name] is not None:
            return bool(cfg[name])
    return bool(cfg["CAREER_CREDIT_ENV"] == "development")


def is_public(address: Address) -> bool:
    """Whether an address is one the tool may connect to on a person's behalf."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_public(mapped)
    return not (
        not address.is_global
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_public(host: str, port: int, *, allow_private: bool = False) -> Address:
    """Resolve ``host`` once; the first address when every address it has is public, else
    AddressRefusedError. With ``allow_private`` any address is accepted (still resolved once,
    so the connection is pinned all the same)."""
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError) as exc:  # ValueError: a NUL in the name
        raise AddressRefusedError(
            f"{host!r} does not resolve ({type(exc).__name__})", reason="unresolvable"
        ) from None
    addresses: list[Address] = []
    for info in infos:
        try:
            addresses.append(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]))
        except ValueError:
            continue
    if not addresses:
        raise AddressRefusedError(f"{host!r} has no usable address", reason="unresolvable")
    if not allow_private:
        # one private answer refuses the name: a resolver may hand out either
        for address in addresses:
            if not is_public(address):
                raise AddressRefusedError(
                    f"{host!r} resolves to {address}, which is not a public address",
                    reason="private_address",
                )
    return addresses[0]


def check_public_host(url: str, *, allow_private: bool = False) -> Address:
    """Refuse a URL whose host is not public (see ``resolve_public``); its vetted address."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 443)
    except ValueError:
        raise AddressRefusedError("not a URL", reason="bad_url") from None
    if not parts.hostname:
        raise AddressRefusedError("no host in the URL", reason="bad_url")
    return resolve_public(parts.hostname, port, allow_private=allow_private)


class PinnedAdapter(HTTPAdapter):
    """A transport that vets the host of every request and connects to the vetted address."""

    def __init__(self, allow_private: Callable[[], bool] = allow_private_hosts, **kw: Any):
        self._allow_private = allow_private
        super().__init__(**kw)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Any = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        """A pool for the vetted IP; TLS keeps the original name for SNI and the certificate.
        Proxies are ignored on purpose: a proxy would resolve the name again."""
        try:
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(
                request, verify, cert
            )
        except ValueError as exc:
            raise requests.exceptions.InvalidURL(exc, request=request) from exc
        scheme = str(host_params["scheme"])
        host = str(host_params["host"]).strip("[]")
        port = int(host_params["port"] or DEFAULT_PORTS.get(scheme, 443))
        address = resolve_public(host, port, allow_private=self._allow_private())
        kwargs: dict[str, Any] = dict(pool_kwargs)
        if scheme == "https":
            kwargs["server_hostname"] = host
        pool: HTTPConnectionPool = self.poolmanager.connection_from_host(
            str(address), port=port, scheme=scheme, pool_kwargs=kwargs
        )
        return pool

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(str(request.url))
        host = parts.hostname or ""
        shown = f"[{host}]" if ":" in host else host
        if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
            shown = f"{shown}:{parts.port}"
        # the pool's host is the IP: name the server the URL named
        request.headers["Host"] = shown
        response = super().send(request, *args, **kwargs)
        # refused here, in the transport, so no session using it can follow one
        if response.status_code in REDIRECTS:
            response.close()
            raise RedirectRefusedError(response.status_code)
        return response


class GuardedSession(TimeoutSession):
    """A session for person-supplied addresses: pinned public hosts, no redirects, no proxies."""

    def __init__(self, allow_private: Callable[[], bool] = allow_private_hosts) -> None:
        super().__init__()
        self.trust_env = False  # no proxy variables, no .netrc credentials
        adapter = PinnedAdapter(allow_private)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.headers["User-Agent"] = "CareerCredit/0.1 (+LTI 1.3 tool)"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().send(request, **kwargs)


_session: GuardedSession | None = None


def session() -> GuardedSession:
    """The process's guarded session (private hosts as ``allow_private_hosts`` says)."""
    global _session
    if _session is None:
        _session = GuardedSession()
    return _session


def operator_session() -> GuardedSession:
    """A guarded session that allows private hosts (still pinned, no redirects): for commands an
    operator runs on the server, who can reach those hosts anyway."""
    return GuardedSession(allow_private=lambda: True)
