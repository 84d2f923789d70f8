"""Course outcomes from the LMS: a faculty member's Canvas authorisation (OAuth2 tokens kept
encrypted, refreshed before they lapse, revocable) and reading a course's Canvas outcomes or
Moodle competencies into a course framework (``source="lms"``), matched by identifier so that
reading again updates it.

Functions take the launch context and their inputs explicitly; they flush, callers commit.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import requests
from sqlalchemy import select

from connectors import canvas, moodle
from lti_tool.admin.connections import ConnectorCredentials, credentials_for
from lti_tool.context import CONTEXT, CUSTOM, LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Launch, utcnow
from lti_tool.services import audit

from . import catalog
from .case import CaseItem, CasePackage, ImportResult, upsert_framework
from .models import CanvasAuthorization, Framework

STATE_MAX_AGE_S = 600
REFRESH_MARGIN = dt.timedelta(seconds=60)


def lms_identifier(*parts: str) -> str:
    """A stable UUID for something the LMS names (a course, an outcome)."""
    return str(uuid.uuid5(catalog.NAMESPACE, "lms/" + "/".join(parts)))


def connector_credentials(ctx: LaunchContext) -> ConnectorCredentials | None:
    """The launch's registration's connector credentials, if an administrator set them."""
    return credentials_for(ctx.registration_id)


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


def launch_claims(ctx: LaunchContext) -> dict[str, Any]:
    """The launch's id_token claims (custom variables and context)."""
    launch = db.session.get(Launch, ctx.launch_id)
    return dict(launch.message) if launch is not None else {}


# --- the OAuth2 flow -----------------------------------------------------------------------------


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
                "Canvas no longer accepts your authorisation.",
                hint="Authorise Career Credit with Canvas again on the Course outcomes page.",
                reason="canvas_token",
            )
        token = canvas.refresh_token(
            auth.canvas_url,
            str(creds.canvas_oauth_client_id),
            str(creds.canvas_oauth_client_secret),
            auth.refresh_token,
            timeout=timeout,
            session=session,
        )
        _save(auth, token)
        db.session.flush()
        return token.access_token

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
            "You have not authorised Career Credit to read your Canvas course yet.",
            hint="Choose “Authorise with Canvas” on the Course outcomes page.",
            reason="canvas_not_authorized",
        )
    refresh = _refresher(ctx, auth, timeout, session)
    token = auth.access_token
    if auth.expires_at is not None and auth.expires_at - REFRESH_MARGIN <= utcnow():
        token = refresh()
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


# --- reading course outcomes ---------------------------------------------------------------------


def _course_framework_title(ctx: LaunchContext, lms: str) -> str:
    return f"Course outcomes: {ctx.course_title or 'this course'} ({lms})"[:300]


def _require_course(ctx: LaunchContext) -> int:
    if ctx.course_id is None:
        raise PolicyViolationError(
            "Open Career Credit from a course to read its outcomes.", reason="no_course"
        )
    return ctx.course_id


def read_canvas_outcomes(ctx: LaunchContext, client: canvas.CanvasClient) -> ImportResult:
    """The course's Canvas outcome groups and outcomes as the course framework."""
    course_id = _require_course(ctx)
    custom = launch_claims(ctx).get(CUSTOM) or {}
    canvas_course = str(custom.get("canvas_course_id") or "")
    if not canvas_course.isdigit():
        raise PolicyViolationError(
            "Canvas did not say which course this is (the canvas_course_id custom field).",
            hint="Ask your Canvas administrator to add canvas_course_id=$Canvas.course.id to "
            "Career Credit's custom fields.",
            reason="canvas_course_id",
        )
    result = client.course_outcomes(int(canvas_course))
    base = client.base_url
    root_ids = {g.id for g in result.groups if g.parent_id is None}
    group_ident = {g.id: lms_identifier(base, "group", str(g.id)) for g in result.groups}
    items: list[CaseItem] = []
    parents: dict[str, tuple[str | None, int]] = {}
    for group in (g for g in result.groups if g.id not in root_ids):
        ident = group_ident[group.id]
        items.append(
            CaseItem(ident, group.title or "Outcome group", group.description, "", "Outcome group")
        )
        parent = None if group.parent_id in root_ids else group_ident.get(group.parent_id or 0)
        parents[ident] = (parent, 0)  # in reading order
    for outcome in result.outcomes:
        ident = lms_identifier(base, "outcome", str(outcome.id))
        items.append(
            CaseItem(
                ident,
                (outcome.title or outcome.display_name or f"Outcome {outcome.id}")[:300],
                outcome.description,
                outcome.display_name[:64],
                "Canvas outcome",
            )
        )
        parent = None if outcome.group_id in root_ids else group_ident.get(outcome.group_id)
        parents[ident] = (parent, 0)
    package = CasePackage(
        identifier=lms_identifier(base, "course", canvas_course),
        title=_course_framework_title(ctx, "Canvas"),
        creator="Canvas",
        description="",
        version="",
        items=tuple(items),
        parents=parents,
    )
    return upsert_framework(
        ctx.tenant_id,
        package,
        ctx.actor,
        kind="course",
        source="lms",
        source_url=f"{base}/courses/{canvas_course}/outcomes",
        course_id=course_id,
    )


def moodle_client(ctx: LaunchContext, session: requests.Session) -> moodle.MoodleClient:
    """A Moodle web-service client for the launch's registration."""
    creds = connector_credentials(ctx)
    if creds is None or not creds.moodle_url or not creds.moodle_ws_token:
        raise PolicyViolationError(
            "Career Credit is not yet connected to Moodle's web services at your institution.",
            hint="Ask your Career Credit administrator to add a Moodle web-service token under "
            "Administration > Connections.",
            reason="moodle_not_configured",
        )
    return moodle.MoodleClient(creds.moodle_url, creds.moodle_ws_token, session)


def read_moodle_competencies(ctx: LaunchContext, client: moodle.MoodleClient) -> ImportResult:
    """The course's Moodle competencies as the course framework (Moodle's course id is the
    LTI context id)."""
    course_id = _require_course(ctx)
    context = launch_claims(ctx).get(CONTEXT) or {}
    moodle_course = str(context.get("id") or "")
    if not moodle_course.isdigit():
        raise PolicyViolationError(
            "This launch did not come from a Moodle course.", reason="moodle_course_id"
        )
    comps = client.course_competencies(int(moodle_course))
    base = client.base_url
    idents = {c.id: lms_identifier(base, "competency", str(c.id)) for c in comps}
    items = tuple(
        CaseItem(
            idents[c.id],
            c.shortname[:300] or c.idnumber,
            c.description,
            c.idnumber[:64],
            "Moodle competency",
        )
        for c in comps
    )
    parents = {
        idents[c.id]: (idents.get(c.parent_id) if c.parent_id else None, c.sort_order)
        for c in comps
    }
    package = CasePackage(
        identifier=lms_identifier(base, "course", moodle_course),
        title=_course_framework_title(ctx, "Moodle"),
        creator="Moodle",
        description="",
        version="",
        items=items,
        parents=parents,
    )
    return upsert_framework(
        ctx.tenant_id,
        package,
        ctx.actor,
        kind="course",
        source="lms",
        source_url=f"{base}/admin/tool/lp/coursecompetencies.php?courseid={moodle_course}",
        course_id=course_id,
    )


def course_frameworks(ctx: LaunchContext) -> list[Framework]:
    """Course outcome frameworks of the launch's course."""
    if ctx.course_id is None:
        return []
    return list(
        db.session.scalars(
            select(Framework).where(
                Framework.tenant_id == ctx.tenant_id,
                Framework.course_id == ctx.course_id,
                Framework.kind == "course",
            )
        )
    )
