"""Canvas's OAuth2 authorization-code flow (Authlib) that gives a faculty member's token:
the authorisation URL, exchanging the code, refreshing and revoking the token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from ..errors import CanvasAuthError, CanvasError, failure_detail, log_unreachable
from .common import UNREACHABLE, host

AUTHORIZE_PATH = "/login/oauth2/auth"
TOKEN_PATH = "/login/oauth2/token"  # noqa: S105 - a URL path, not a secret


@dataclass(frozen=True)
class CanvasToken:
    access_token: str
    refresh_token: str | None
    expires_at: int | None  # unix seconds


def _oauth(
    client_id: str,
    client_secret: str | None,
    redirect_uri: str | None,
    timeout: float,
    session: requests.Session | None = None,
) -> OAuth2Session:
    client = OAuth2Session(
        client_id,
        client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name
        default_timeout=timeout,
    )
    if session is not None:
        # the caller's transport (the core's guarded one: public addresses, pinned, no
        # redirects) carries the token calls too
        client.trust_env = session.trust_env
        for prefix, adapter in session.adapters.items():
            client.mount(prefix, adapter)
    return client


def _token(raw: dict[str, Any], previous_refresh: str | None = None) -> CanvasToken:
    expires_at = raw.get("expires_at")
    return CanvasToken(
        access_token=str(raw["access_token"]),
        # Canvas's refresh response carries no refresh token: the old one stays valid
        refresh_token=raw.get("refresh_token") or previous_refresh,
        expires_at=int(expires_at) if expires_at else None,
    )


def authorization_url(canvas_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """Where to send the person to authorise Career Credit in Canvas."""
    url, _ = _oauth(client_id, None, redirect_uri, 10.0).create_authorization_url(
        canvas_url.rstrip("/") + AUTHORIZE_PATH, state=state
    )
    return str(url)


def _oauth_failure(exc: Exception, canvas_url: str, action: str) -> CanvasAuthError:
    if isinstance(exc, requests.RequestException):
        log_unreachable("Canvas", canvas_url, failure_detail(exc))
        return CanvasAuthError(
            UNREACHABLE,
            hint="Try again in a few minutes. If it keeps failing, ask your administrator to "
            "check the Canvas address set for Career Credit.",
            reason="canvas_unreachable",
        )
    detail = getattr(exc, "error", "") or type(exc).__name__
    return CanvasAuthError(
        f"Canvas at {host(canvas_url)} refused to {action} ({detail}).",
        hint="Authorize Career Credit with Canvas again. If it keeps failing, ask your "
        "administrator to check the Canvas developer key set for Career Credit.",
        reason="canvas_oauth",
    )


def exchange_code(
    canvas_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    *,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> CanvasToken:
    """Trade the authorization code for tokens (through ``session``'s transport if given)."""
    client = _oauth(client_id, client_secret, redirect_uri, timeout, session)
    try:
        raw = client.fetch_token(
            canvas_url.rstrip("/") + TOKEN_PATH, code=code, grant_type="authorization_code"
        )
    except (OAuthError, requests.RequestException, KeyError, ValueError) as exc:
        raise _oauth_failure(exc, canvas_url, "issue a token") from exc
    return _token(dict(raw))


def refresh_token(
    canvas_url: str,
    client_id: str,
    client_secret: str,
    refresh: str,
    *,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> CanvasToken:
    """A new access token from the refresh token (which Canvas keeps valid)."""
    client = _oauth(client_id, client_secret, None, timeout, session)
    try:
        raw = client.refresh_token(canvas_url.rstrip("/") + TOKEN_PATH, refresh_token=refresh)
    except (OAuthError, requests.RequestException, KeyError, ValueError) as exc:
        raise _oauth_failure(exc, canvas_url, "renew the token") from exc
    return _token(dict(raw), previous_refresh=refresh)


def revoke_token(canvas_url: str, access_token: str, session: requests.Session) -> None:
    """Ask Canvas to delete the token; an already-invalid token counts as revoked."""
    try:
        resp = session.delete(
            canvas_url.rstrip("/") + TOKEN_PATH,
            headers={"Authorization": f"Bearer {access_token}"},
        )
    except requests.RequestException as exc:
        log_unreachable("Canvas", canvas_url, failure_detail(exc))
        raise CanvasError(
            UNREACHABLE,
            hint="Try again later; you can also remove Career Credit under Account > Settings "
            "> Approved Integrations in Canvas.",
            reason="canvas_unreachable",
        ) from exc
    if resp.status_code not in (200, 204, 401):
        raise CanvasError(
            f"Canvas answered {resp.status_code} when asked to revoke the token.",
            hint="Remove Career Credit under Account > Settings > Approved Integrations in Canvas.",
            reason="canvas_revoke",
        )


# --- plain REST for writes (rubrics and rubric assessments) --------------------------------------
#
# Writes go through the outbox, whose runner classifies each answer by its HTTP status (401,
# 429, 5xx, 403 "Rate Limit Exceeded" transient; other 4xx permanent), so these calls hand the
# response back instead of raising for it. Only a lapsed token is handled here: refreshed once.
