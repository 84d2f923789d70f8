"""Calls to the platform's LTI Advantage services (NRPS now; AGS uses the same token cache).

Access tokens are cached per registration + scopes until shortly before they expire, and
fetched by one thread at a time per key (eight senders starting together ask once); a 401
drops the token and retries once. Each thread has its own HTTP session, so the outbox's senders
keep their own keep-alive connections. Paging follows ``Link: <…>; rel="next"`` with the URL's
case kept intact (pylti1p3 2.0 lower-cases the header, URL included).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests

from .. import keys
from ..context import SCOPE_NRPS
from ..errors import ConnectorError
from ..extensions import db
from ..http import TimeoutSession
from ..models import Registration
from . import service_hosts

NRPS_SCOPE = SCOPE_NRPS
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
_NEXT = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?", re.IGNORECASE)
_MAX_PAGES = 200

_lock = threading.Lock()
_tokens: dict[tuple[int, tuple[str, ...]], tuple[str, float]] = {}
_fetching: dict[tuple[int, tuple[str, ...]], threading.Lock] = {}
_local = threading.local()


class ServiceSession(TimeoutSession):
    """A thread's session for service calls. requests re-reads the proxy and CA settings from
    the environment on every call (a scan of ``os.environ``, a tenth of a sender's CPU); they
    are read once per scheme and host here instead."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = "CareerCredit/0.1 (+LTI 1.3 tool)"
        self._environment: dict[tuple[str, str], Any] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        if proxies or stream is not None or verify is not None or cert is not None or not url:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url.decode() if isinstance(url, bytes) else url)
        key = (parts.scheme, parts.netloc)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, {}, None, None, None)
            self._environment[key] = settings
        return dict(settings)


def session() -> requests.Session:
    """This thread's service session (connections kept alive between calls)."""
    current: requests.Session | None = getattr(_local, "session", None)
    if current is None:
        current = _local.session = ServiceSession()
    return current


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]
    status: str

    @classmethod
    def from_json(cls, m: dict[str, Any]) -> Member:
        """A member as NRPS lists it (and as a kept roster stores it)."""
        return cls(
            user_id=str(m.get("user_id", "")),
            name=str(m.get("name") or ""),
            email=str(m.get("email") or ""),
            roles=tuple(m.get("roles") or ()),
            status=str(m.get("status") or "Active"),
        )


def _fetch_token(reg: Registration, scopes: tuple[str, ...]) -> tuple[str, float]:
    # Signed with the registration's tenant's key: an LMS that trusts another tenant's key set
    # refuses this assertion even if this registration copied that tenant's client id.
    signing = keys.signing_key(reg.tenant_id)
    now = int(time.time())
    assertion = jwt.encode(
        {
            "iss": reg.client_id,
            "sub": reg.client_id,
            "aud": reg.auth_token_url,
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        },
        signing.private_key,
        algorithm="RS256",
        headers={"kid": signing.kid},
    )
    try:
        resp = session().post(
            reg.auth_token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
                "scope": " ".join(scopes),
            },
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise ConnectorError(
            f"The platform's token endpoint did not answer ({type(exc).__name__})."
        ) from exc
    if resp.status_code != 200:
        raise ConnectorError(
            f"The platform refused an access token (HTTP {resp.status_code}): check that "
            "the tool's client id and key set URL in the LMS match this registration."
        )
    try:
        data = resp.json()
        return str(data["access_token"]), time.monotonic() + int(data.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConnectorError(
            "The platform's token endpoint answered something that is not an access token."
        ) from exc


def access_token(
    reg: Registration,
    scopes: tuple[str, ...],
    *,
    fresh: bool = False,
    refused: str | None = None,
) -> str:
    """A cached access token for this registration and scopes; a new one when ``fresh`` or
    when the cached one is ``refused`` (the platform answered 401 to it). Threads that need
    a new token at the same time wait for one fetch."""
    key = (reg.id, tuple(sorted(scopes)))

    def usable(cached: tuple[str, float] | None) -> bool:
        return cached is not None and cached[0] != refused and cached[1] - 60 > time.monotonic()

    with _lock:
        cached = _tokens.get(key)
        fetching = _fetching.setdefault(key, threading.Lock())
    if not fresh and usable(cached):
        return cached[0]  # type: ignore[index]
    with fetching:
        with _lock:
            current = _tokens.get(key)
        if current is not cached and usable(current):  # another thread just fetched one
            return current[0]  # type: ignore[index]
        token = _fetch_token(reg, key[1])
        with _lock:
            _tokens[key] = token
    return token[0]


def request(
    reg: Registration,
    method: str,
    url: str,
    scopes: tuple[str, ...],
    accept: str,
    **kwargs: Any,
) -> requests.Response:
    """Call a service URL with a bearer token; one retry with a fresh token after a 401.
    The URL must be on a host the registration knows (``UnknownServiceHostError`` before any
    request, token fetch included); redirects are not followed. ``kwargs`` go to requests
    (``json``, ``params``, ``headers``, ``timeout``)."""
    service_hosts.check_service_url(reg, url)
    extra_headers = dict(kwargs.pop("headers", None) or {})
    token: str | None = None
    for _attempt in (0, 1):
        token = access_token(reg, scopes, refused=token)
        headers = {**extra_headers, "Authorization": f"Bearer {token}", "Accept": accept}
        try:
            resp = session().request(method, url, headers=headers, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise ConnectorError(f"The platform did not answer ({type(exc).__name__}).") from exc
        if resp.is_redirect:
            raise ConnectorError(
                f"The platform answered a service call with a redirect (HTTP "
                f"{resp.status_code}); Career Credit does not follow redirects of service calls."
            )
        if resp.status_code != 401:
            return resp
    return resp


def get(reg: Registration, url: str, scopes: tuple[str, ...], accept: str) -> requests.Response:
    """GET a service URL with a bearer token; one retry with a fresh token after a 401."""
    return request(reg, "GET", url, scopes, accept)


def roster(registration_id: int, memberships_url: str) -> list[Member]:
    """Every member of the course from NRPS, following all pages."""
    reg = db.session.get(Registration, registration_id)
    if reg is None:
        raise ConnectorError("The registration of this launch no longer exists.")
    members: list[Member] = []
    url: str | None = memberships_url
    for _ in range(_MAX_PAGES):
        if url is None:
            break
        resp = get(reg, url, (NRPS_SCOPE,), NRPS_MEDIA)
        if resp.status_code != 200:
            raise ConnectorError(f"The LMS refused the course roster (HTTP {resp.status_code}).")
        try:
            page: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise ConnectorError("The LMS sent a roster that is not JSON.") from exc
        members.extend(Member.from_json(m) for m in page.get("members", []))
        match = _NEXT.search(resp.headers.get("Link", ""))
        url = match.group(1) if match else None
    return members
