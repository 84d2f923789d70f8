"""A faculty member's Canvas authorisation for reading course outcomes: the OAuth2 flow (its
state kept server-side), tokens kept encrypted, refreshed before they lapse, and revocable.

Functions take the launch context and their inputs explicitly; they flush, callers commit.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any

import requests
from sqlalchemy import select

from connectors import canvas
from lti_tool.admin.models import ConnectorCredentials
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from .lms import connector_credentials
from .models import CanvasAuthorization

STATE_MAX_AGE_S = 600
REFRESH_MARGIN = dt.timedelta(seconds=60)


def _canvas_credentials(ctx: LaunchContext) -> ConnectorCredentials:
    creds = connector_credentials(ctx)
    if (
        creds is None
        or not creds.canvas_url
        or not creds.canvas_oauth_client_id
        or not creds.canvas_oauth_client_secret
    ):
        raise PolicyViolationError(
            "Career Credit is not yet connected to Canvas's API at your institution.",
            hint="Ask your Career Credit administrator to add a Canvas API developer key under "
            "Administration > Connections.",
            reason="canvas_not_configured",
        )
    return creds


OAUTH_STATE_PREFIX = "canvas-oauth:"


def _state_store() -> Any:
    from flask import current_app

    from lti_tool.lti.storage import state_store

    return state_store(current_app.config["LTI_STATE_REDIS_URL"])


def oauth_state(ctx: LaunchContext) -> str:
    """A random single-use state for Canvas's answer. It names nothing: the launch it belongs
    to is kept server-side (the OIDC state store) for STATE_MAX_AGE_S, so neither Canvas, nor
    the browser's history, nor a log sees the launch id (a bearer value)."""
    state = secrets.token_urlsafe(32)
    value = json.dumps({"lid": ctx.launch_id, "user": ctx.user_id})
    _state_store().put(OAUTH_STATE_PREFIX + state, value, STATE_MAX_AGE_S)
    return state


def launch_id_from_state(state: str) -> str:
    """The launch id a state was made for, consuming the state; refuses unknown, used or old
    states."""
    refused = ForbiddenError(
        "This answer from Canvas does not belong to a request Career Credit made, or was "
        "used already.",
        hint="Start again from the Course outcomes page.",
        reason="oauth_state",
    )
    if not state or len(state) > 200 or not state.isascii():
        raise refused
    store = _state_store()
    key = OAUTH_STATE_PREFIX + state
    value = store.get(key)
    if value is None:  # unknown, or expired
        raise refused
    from lti_tool.lti.storage import CONSUMED

    if value.startswith(CONSUMED) or not store.consume(key):
        raise refused
    return str(json.loads(value)["lid"])


def canvas_authorization_url(ctx: LaunchContext, redirect_uri: str) -> str:
    """Where the faculty member authorises Career Credit in Canvas."""
    creds = _canvas_credentials(ctx)
    return canvas.authorization_url(
        str(creds.canvas_url),
        str(creds.canvas_oauth_client_id),
        redirect_uri,
        oauth_state(ctx),
    )


def _stored(ctx: LaunchContext) -> CanvasAuthorization | None:
    return db.session.scalar(
        select(CanvasAuthorization).where(
            CanvasAuthorization.registration_id == ctx.registration_id,
            CanvasAuthorization.user_id == ctx.user_id,
        )
    )


def _expiry(token: canvas.CanvasToken) -> dt.datetime | None:
    if token.expires_at is None:
        return None
    return dt.datetime.fromtimestamp(token.expires_at, dt.UTC).replace(tzinfo=None)


def _save(auth: CanvasAuthorization, token: canvas.CanvasToken) -> None:
    auth.access_token = token.access_token
    auth.refresh_token = token.refresh_token or auth.refresh_token
    auth.expires_at = _expiry(token)
    auth.updated_at = utcnow()


def renew_token(
    auth: CanvasAuthorization,
    creds: ConnectorCredentials,
    *,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> str:
    """A new access token for ``auth`` from its refresh token (which the caller checked it has),
    kept with it (not flushed); the new access token."""
    token = canvas.refresh_token(
        auth.canvas_url,
        str(creds.canvas_oauth_client_id),
        str(creds.canvas_oauth_client_secret),
        str(auth.refresh_token),
        timeout=timeout,
        session=session,
    )
    _save(auth, token)
    return token.access_token


def fresh_token(auth: CanvasAuthorization, refresh: Callable[[], str]) -> str:
    """The stored access token, or a renewed one (``refresh``) when it is about to lapse."""
    if auth.expires_at is not None and auth.expires_at - REFRESH_MARGIN <= utcnow():
        return refresh()
    return auth.access_token


def finish_canvas_authorization(
    ctx: LaunchContext,
    code: str,
    redirect_uri: str,
    *,
    timeout: float,
    session: requests.Session | None = None,
) -> CanvasAuthorization:
    """Trade Canvas's code for tokens and keep them (encrypted) for this person."""
    creds = _canvas_credentials(ctx)
    token = canvas.exchange_code(
        str(creds.canvas_url),
        str(creds.canvas_oauth_client_id),
        str(creds.canvas_oauth_client_secret),
        redirect_uri,
        code,
        timeout=timeout,
        session=session,
    )
    auth = _stored(ctx)
    if auth is None:
        auth = CanvasAuthorization(
            tenant_id=ctx.tenant_id,
            registration_id=ctx.registration_id,
            user_id=ctx.user_id,
            canvas_url=str(creds.canvas_url),
        )
        db.session.add(auth)
    auth.canvas_url = str(creds.canvas_url)
    _save(auth, token)
    audit.record(ctx.actor, "canvas.authorize", ctx.tenant_id, registration_id=ctx.registration_id)
    db.session.flush()
    return auth


def canvas_authorized(ctx: LaunchContext) -> bool:
    """Whether this person has authorised Career Credit in Canvas."""
    return _stored(ctx) is not None


def _refresher(
    ctx: LaunchContext,
    auth: CanvasAuthorization,
    timeout: float,
    session: requests.Session | None = None,
) -> Callable[[], str]:
    def refresh() -> str:
        creds = _canvas_credentials(ctx)
        if not auth.refresh_token:
            from connectors.errors import CanvasAuthError

            raise CanvasAuthError(
                "Canvas no longer accepts your authorization.",
                hint="Authorize Career Credit with Canvas again on the Course outcomes page.",
                reason="canvas_token",
            )
        access_token = renew_token(auth, creds, timeout=timeout, session=session)
        db.session.flush()
        return access_token

    return refresh


def canvas_client(
    ctx: LaunchContext,
    session: requests.Session,
    *,
    timeout: float,
    sleep: Callable[[float], None] | None = None,
) -> canvas.CanvasClient:
    """A Canvas client as this person, its token refreshed first when about to lapse."""
    auth = _stored(ctx)
    if auth is None:
        raise PolicyViolationError(
            "You have not authorized Career Credit to read your Canvas course yet.",
            hint="Choose “Authorize with Canvas” on the Course outcomes page.",
            reason="canvas_not_authorized",
        )
    refresh = _refresher(ctx, auth, timeout, session)
    token = fresh_token(auth, refresh)
    kwargs: dict[str, Any] = {"session": session, "refresh": refresh}
    if sleep is not None:
        kwargs["sleep"] = sleep
    return canvas.CanvasClient(auth.canvas_url, token, **kwargs)


def revoke_canvas_authorization(ctx: LaunchContext, session: requests.Session) -> bool:
    """Delete the token in Canvas and here; False if there was none."""
    auth = _stored(ctx)
    if auth is None:
        return False
    canvas.revoke_token(auth.canvas_url, auth.access_token, session)
    db.session.delete(auth)
    audit.record(ctx.actor, "canvas.revoke", ctx.tenant_id, registration_id=ctx.registration_id)
    db.session.flush()
    return True
