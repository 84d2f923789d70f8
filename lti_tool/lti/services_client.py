"""Calls to the platform's LTI Advantage services (NRPS now; AGS uses the same token cache).

Access tokens are cached per registration + scopes until shortly before they expire; a 401
drops the token and retries once. Paging follows ``Link: <…>; rel="next"`` with the URL's case
kept intact (pylti1p3 2.0 lower-cases the header, URL included).
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from .. import keys
from ..errors import ConnectorError
from ..extensions import db
from ..http import session
from ..models import Registration

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
_NEXT = re.compile(r"<([^>]+)>\s*;\s*rel=\"?next\"?", re.IGNORECASE)
_MAX_PAGES = 200

_lock = threading.Lock()
_tokens: dict[tuple[int, tuple[str, ...]], tuple[str, float]] = {}


@dataclass(frozen=True)
class Member:
    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]
    status: str


def _fetch_token(reg: Registration, scopes: tuple[str, ...]) -> tuple[str, float]:
    signing = keys.signing_key()
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
        signing.private_pem,
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
        )
    except requests.RequestException as exc:
        raise ConnectorError(f"The platform's token endpoint did not answer ({exc}).") from exc
    if resp.status_code != 200:
        raise ConnectorError(
            f"The platform refused an access token ({resp.status_code}: {resp.text[:200]})."
        )
    try:
        data = resp.json()
        return str(data["access_token"]), time.monotonic() + int(data.get("expires_in", 3600))
    except (ValueError, KeyError, TypeError) as exc:
        raise ConnectorError(
            "The platform's token endpoint answered something that is not an access token."
        ) from exc


def access_token(reg: Registration, scopes: tuple[str, ...], *, fresh: bool = False) -> str:
    """A cached access token for this registration and scopes."""
    key = (reg.id, tuple(sorted(scopes)))
    with _lock:
        cached = _tokens.get(key)
    if cached and not fresh and cached[1] - 60 > time.monotonic():
        return cached[0]
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
    ``kwargs`` go to requests (``json``, ``params``, ``headers``, ``timeout``)."""
    extra_headers = dict(kwargs.pop("headers", None) or {})
    for attempt in (0, 1):
        token = access_token(reg, scopes, fresh=attempt == 1)
        headers = {**extra_headers, "Authorization": f"Bearer {token}", "Accept": accept}
        try:
            resp = session().request(method, url, headers=headers, **kwargs)
        except requests.RequestException as exc:
            raise ConnectorError(f"The platform did not answer ({type(exc).__name__}).") from exc
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
            raise ConnectorError(
                f"The LMS refused the course roster ({resp.status_code}: {resp.text[:200]})."
            )
        try:
            page: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise ConnectorError("The LMS sent a roster that is not JSON.") from exc
        for m in page.get("members", []):
            members.append(
                Member(
                    user_id=str(m.get("user_id", "")),
                    name=str(m.get("name") or ""),
                    email=str(m.get("email") or ""),
                    roles=tuple(m.get("roles") or ()),
                    status=str(m.get("status") or "Active"),
                )
            )
        match = _NEXT.search(resp.headers.get("Link", ""))
        url = match.group(1) if match else None
    return members
