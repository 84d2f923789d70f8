"""Security plumbing of the sandbox LMS: the tool's key set (fetched over HTTP, cached and
parsed once, re-fetched on an unknown ``kid``; its URL looked up when it is fetched),
single-use values, and the client-credentials token endpoint with its opaque bearer tokens
(checked on their own, or beside a service's rows: ``bearer_hash`` and ``check_token``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt
import requests
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import utcnow
from .errors import ApiError
from .models import SandboxAccessToken, SandboxUsedValue
from .purges import purges
from .seed import SandboxInfo

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
AGS_SCOPES = [SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE]
ALLOWED_SCOPES = [*AGS_SCOPES, SCOPE_NRPS]
TOKEN_LIFETIME_S = 3600
MOODLE_SCOPE = "moodle:webservice"  # the scopes of the Moodle web-service token's row
NEVER = dt.datetime(2100, 1, 1)  # Moodle's tokens have no expiry unless one is set
JWKS_LIFETIME_S = 300
LEEWAY_S = 5


class KeySetError(Exception):
    """The tool's key set could not be fetched or has no key with the wanted ``kid``."""


class ToolKeySet:
    """The tool's public keys by URL, cached in-process (parsed once each); an unknown ``kid``
    forces a re-fetch (a tool that rotates keys is never refused for long)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        # url -> (fetched at, JWKs by kid, the keys parsed so far by kid)
        self._cache: dict[str, tuple[float, dict[str, dict[str, Any]], dict[str, Any]]] = {}
        self._urls: dict[tuple[str, str, str], str] = {}  # a sandbox's tool key set URL

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._urls.clear()

    def _fetch(self, url: str, timeout: float) -> dict[str, dict[str, Any]]:
        try:
            resp = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
            keys = resp.json()["keys"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise KeySetError(f"Could not fetch the tool's key set from {url}: {exc}") from exc
        by_kid = {k["kid"]: k for k in keys if isinstance(k, dict) and k.get("kid")}
        with self._lock:
            self._cache[url] = (self._clock(), by_kid, {})
        return by_kid

    def _cached(self, url: str, kid: str) -> Any:
        """The parsed key for ``kid`` while the key set fetched from ``url`` is fresh and has
        it, else None."""
        with self._lock:
            fetched_at, keys, parsed = self._cache.get(url, (0.0, {}, {}))
            if kid not in keys or self._clock() - fetched_at > JWKS_LIFETIME_S:
                return None
            if kid not in parsed:
                parsed[kid] = _parsed(kid, keys[kid])
            return parsed[kid]

    def key(self, url: str, kid: str, *, timeout: float) -> Any:
        """The public key for ``kid`` as a PyJWT key object."""
        key = self._cached(url, kid)
        if key is not None:
            return key
        keys = self._fetch(url, timeout)
        if kid not in keys:
            raise KeySetError(f"The tool's key set at {url} has no key with kid {kid!r}.")
        key = self._cached(url, kid)  # None if another thread's fetch replaced it meanwhile
        return key if key is not None else _parsed(kid, keys[kid])

    def key_for(self, info: SandboxInfo, kid: str, *, timeout: float) -> Any:
        """``key`` at the sandbox's tool key set URL (``SandboxInfo.tool_jwks_url``), which is
        looked up again only when the key set is fetched: when the kid is not in the fresh
        key set last fetched from it (a new tool key, or a new key set URL) or it is stale."""
        ident = (info.issuer, info.client_id, info.tool_url)
        with self._lock:
            url = self._urls.get(ident)
        key = self._cached(url, kid) if url is not None else None
        if key is not None:
            return key
        url = info.tool_jwks_url  # a statement
        with self._lock:
            self._urls[ident] = url
        return self.key(url, kid, timeout=timeout)


def _parsed(kid: str, jwk: dict[str, Any]) -> Any:
    try:
        return jwt.PyJWK(jwk, algorithm="RS256").key
    except jwt.PyJWKError as exc:
        raise KeySetError(f"The tool's key {kid!r} is not a usable RS256 key: {exc}") from exc


tool_keys = ToolKeySet()


def verify_tool_jwt(
    info: SandboxInfo,
    token: str,
    *,
    audience: str | list[str],
    timeout: float,
    require: Iterable[str],
) -> dict[str, Any]:
    """Verify a JWT signed by the tool (RS256, key from its JWKS); raise ``jwt`` errors or
    ``KeySetError``."""
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "RS256":
        raise jwt.InvalidAlgorithmError(f"alg must be RS256, got {header.get('alg')!r}")
    kid = header.get("kid")
    if not kid:
        raise jwt.InvalidTokenError("the JWT header has no kid")
    key = tool_keys.key_for(info, kid, timeout=timeout)
    return jwt.decode(
        token,
        key,
        algorithms=["RS256"],
        audience=audience,
        issuer=info.client_id,
        leeway=LEEWAY_S,
        options={"require": list(require)},
    )


_used = SandboxUsedValue.__table__


def consume_once(kind: str, value: str, expires_at: dt.datetime) -> bool:
    """Record a single-use value; False if it was seen before (and has not expired). Commits
    at once, so that two processes racing with the same value cannot both succeed."""
    if purges.due("used_value"):
        db.session.execute(delete(_used).where(_used.c.expires_at < utcnow()))
    row = {"kind": kind, "value": value[:255], "expires_at": expires_at}
    for _ in range(2):
        try:
            db.session.execute(insert(_used), row)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        else:
            return True
        # Seen before: it counts unless that use has expired (not yet purged)
        expired = db.session.execute(
            delete(_used).where(
                _used.c.kind == row["kind"],
                _used.c.value == row["value"],
                _used.c.expires_at < utcnow(),
            )
        )
        if not getattr(expired, "rowcount", 0):
            db.session.rollback()
            return False
    return False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_grant(form: Mapping[str, str]) -> None:
    """Every parameter present, a client-credentials grant with a JWT client assertion."""
    for field in ("grant_type", "client_assertion_type", "client_assertion", "scope"):
        if not form.get(field):
            raise ApiError(400, f"The {field} parameter is missing.", error="invalid_request")
    if form["grant_type"] != "client_credentials":
        raise ApiError(
            400, "grant_type must be client_credentials.", error="unsupported_grant_type"
        )
    if form["client_assertion_type"] != ASSERTION_TYPE:
        raise ApiError(
            400, f"client_assertion_type must be {ASSERTION_TYPE}.", error="invalid_request"
        )


def _verify_assertion(info: SandboxInfo, assertion: str, *, timeout: float) -> None:
    """A client assertion signed by the tool for this token URL, from the client, used once."""
    try:
        claims = verify_tool_jwt(
            info,
            assertion,
            audience=[info.token_url, info.issuer],
            timeout=timeout,
            require=("exp", "iat", "jti", "iss", "sub", "aud"),
        )
    except KeySetError as exc:
        raise ApiError(401, str(exc), error="invalid_client") from exc
    except jwt.InvalidTokenError as exc:
        raise ApiError(
            401, f"The client assertion was refused: {exc}.", error="invalid_client"
        ) from exc
    if claims["sub"] != info.client_id:
        raise ApiError(
            401, "The client assertion's sub must be the client id.", error="invalid_client"
        )
    expires = dt.datetime.fromtimestamp(int(claims["exp"]) + 60, dt.UTC).replace(tzinfo=None)
    if not consume_once("jti", f"{info.client_id}:{claims['jti']}", expires):
        raise ApiError(
            401, "The client assertion's jti was already used (replay).", error="invalid_client"
        )


def issue_token(info: SandboxInfo, form: Mapping[str, str], *, timeout: float) -> dict[str, Any]:
    """Client-credentials grant with a JWT client assertion (1EdTech Security Framework)."""
    _check_grant(form)
    _verify_assertion(info, form["client_assertion"], timeout=timeout)
    requested = form["scope"].split()
    granted = [s for s in dict.fromkeys(requested) if s in ALLOWED_SCOPES]
    if not granted:
        raise ApiError(
            400, "None of the requested scopes is offered by the sandbox.", error="invalid_scope"
        )
    token = secrets.token_urlsafe(32)
    db.session.execute(
        insert(SandboxAccessToken.__table__),
        {
            "token_hash": _hash(token),
            "client_id": info.client_id,
            "scopes": " ".join(granted),
            "expires_at": utcnow() + dt.timedelta(seconds=TOKEN_LIFETIME_S),
        },
    )
    if purges.due("access_token"):  # an expired token is refused by its expiry anyway
        db.session.execute(
            delete(SandboxAccessToken).where(
                SandboxAccessToken.expires_at < utcnow() - dt.timedelta(days=1)
            )
        )
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_S,
        "scope": " ".join(granted),
    }


def _invalid(description: str, error: str = "invalid_token") -> ApiError:
    return ApiError(
        401,
        description,
        error=error,
        headers={"WWW-Authenticate": f'Bearer error="{error}", error_description="{description}"'},
    )


_tokens = SandboxAccessToken.__table__
_TOKEN = select(_tokens.c.expires_at, _tokens.c.scopes).where(
    _tokens.c.token_hash == bindparam("token_hash")
)


def bearer_hash(authorization: str | None) -> str:
    """The stored hash of the request's bearer token (a 401 ``ApiError`` when the request has
    none). A service that reads the token's row beside its own (``TOKEN_COLUMNS`` joined on
    this hash) checks it with ``check_token``."""
    parts = (authorization or "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise _invalid("A bearer token is required.")
    return _hash(parts[1])


def check_token(
    expires_at: dt.datetime | None, scopes: str | None, accepted_scopes: Iterable[str]
) -> None:
    """Accept a token's row (its expiry and scopes; None when no token has the hash) if it is
    current and carries one of the accepted scopes; otherwise raise a 401 ``ApiError``."""
    if expires_at is None or scopes is None:
        raise _invalid("The access token is not known.")
    if expires_at <= utcnow():
        raise _invalid("The access token has expired.")
    accepted = list(accepted_scopes)
    if not set(scopes.split()) & set(accepted):
        raise _invalid(
            f"The access token lacks the scope {accepted[0]}.", error="insufficient_scope"
        )


def authenticate(authorization: str | None, accepted_scopes: Iterable[str]) -> None:
    """Accept the bearer token of a service call if it is known, current and carries one of
    the accepted scopes; otherwise raise a 401 ``ApiError`` with ``WWW-Authenticate``."""
    token_hash = bearer_hash(authorization)
    # A prebuilt statement: every service call pays for this check.
    row = db.session.execute(_TOKEN, {"token_hash": token_hash}).first()
    expires_at, scopes = row if row is not None else (None, None)
    check_token(expires_at, scopes, accepted_scopes)


def expire_all_tokens() -> int:
    """Fault injection: make every issued (LTI service) token expired now."""
    past = utcnow() - dt.timedelta(seconds=1)
    result = db.session.execute(
        update(SandboxAccessToken)
        .where(SandboxAccessToken.expires_at > past, SandboxAccessToken.scopes != MOODLE_SCOPE)
        .values(expires_at=past)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the Moodle web-service token (lti_tool.sandbox.webservice) --------------------------------


def moodle_url(info: SandboxInfo) -> str:
    """The sandbox's Moodle site address (its web services are under it)."""
    return f"{info.platform_url}/sandbox/moodle"


def web_service_token_known(token: str) -> bool:
    """Whether ``token`` is the sandbox's Moodle web-service token."""
    if not token:
        return False
    row = db.session.get(SandboxAccessToken, _hash(token))
    return row is not None and row.scopes == MOODLE_SCOPE and row.expires_at > utcnow()


def ensure_web_service(info: SandboxInfo, registration: Any) -> None:
    """Give the sandbox registration a working Moodle web-service connection: the sandbox's
    Moodle address and a token it accepts (a new random one unless the stored token is the
    sandbox's). Left alone when an administrator pointed it at another Moodle. Flushes."""
    from ..actor import Actor
    from ..admin.services.connections import CredentialsUpdate, credentials_for, set_credentials
    from .seed import ACTOR

    url = moodle_url(info)
    creds = credentials_for(registration.id)
    stored_url = creds.moodle_url if creds is not None else None
    if stored_url not in (None, url):
        return
    token = creds.moodle_ws_token if creds is not None else None
    if token and web_service_token_known(token):
        if stored_url == url:
            return
    else:
        token = secrets.token_hex(16)  # Moodle's tokens are 32 hexadecimal characters
        db.session.add(
            SandboxAccessToken(
                token_hash=_hash(token),
                client_id=info.client_id,
                scopes=MOODLE_SCOPE,
                expires_at=NEVER,
            )
        )
    set_credentials(
        Actor(registration.tenant_id, ACTOR),
        registration,
        CredentialsUpdate(moodle_url=url, moodle_ws_token=token),
        allow_http=True,
        allow_private=True,
    )
