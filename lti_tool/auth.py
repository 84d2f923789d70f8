"""Restore the launch for a request and check the role: ``@requires("faculty", ...)``.

The launch id comes from the URL or form (``lid``) — which works when the LMS iframe blocks the
cookie — or from the session cookie. It expires and belongs to one user.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from flask import g, request, session
from sqlalchemy import bindparam, func, select

from .context import LaunchContext, claims_summary
from .errors import ForbiddenError, SessionExpiredError
from .extensions import db
from .models import Course, Launch, LaunchMessage, Tenant, User, utcnow
from .words import role_name

F = TypeVar("F", bound=Callable[..., Any])


def request_launch_id() -> str | None:
    """The launch id the request carries (query, form, header), else the one the session
    cookie keeps: the first that looks like one."""
    lid = (
        request.args.get("lid")
        or request.form.get("lid")
        or request.headers.get("X-Launch-Id")
        or session.get("lid")
    )
    return lid if isinstance(lid, str) and 20 <= len(lid) <= 64 else None


_LAUNCH_COLUMNS = (
    "id",
    "tenant_id",
    "registration_id",
    "user_id",
    "course_id",
    "role",
    "read_only",
    "is_tool_admin",
    "expires_at",
    "message",
)


@functools.cache
def _launch_statement() -> Any:
    """The launch with its tenant, person, course title and how many messages wait for it (up
    to one more than a launch keeps), built once (every page of a launch reads it): a request
    binds ``lid`` and ``now``."""
    from .messages import MAX_PENDING

    stored = (
        select(LaunchMessage.id)
        .where(LaunchMessage.launch_id == Launch.id)
        .limit(MAX_PENDING + 1)
        .correlate(Launch)
        .subquery()
    )
    waiting = select(func.count()).select_from(stored).scalar_subquery()
    # the launch's columns, not its entity: nothing reads the row as an object afterwards
    launch = [getattr(Launch, name) for name in _LAUNCH_COLUMNS]
    return (
        select(*launch, Tenant, User.name, User.email, Course.title, waiting)
        .join(Tenant, Tenant.id == Launch.tenant_id)
        .join(User, User.id == Launch.user_id)
        .outerjoin(Course, Course.id == Launch.course_id)
        .where(Launch.id == bindparam("lid"), Launch.expires_at > bindparam("now"))
    )


def load_launch(lid: str) -> LaunchContext | None:
    """The launch context for a launch id, or None when unknown or expired."""
    row = db.session.execute(_launch_statement(), {"lid": lid, "now": utcnow()}).first()
    if row is None:
        return None
    launch = SimpleNamespace(**dict(zip(_LAUNCH_COLUMNS, row, strict=False)))
    tenant, user_name, email, course_title, messages_waiting = row[len(_LAUNCH_COLUMNS) :]
    # how many messages wait for the launch's next page: none (most pages), no query for them;
    # below the limit, a confirmation added needs no trim
    g.launch_messages_waiting = int(messages_waiting or 0)
    # The session's identity map holds rows weakly: kept here, the tenant is read once per
    # request, not again by each service that needs its settings (``get_tenant``).
    g.launch_tenant = tenant
    # its settings as read now: a commit later in the request expires the row, and the
    # response's Content-Security-Policy needs them after the commit (``csp``)
    g.launch_tenant_settings = (tenant.id, dict(tenant.settings or {}))
    # and the version of its CSP origins, which a process keeps per version (``csp_versions``)
    g.launch_tenant_version = (tenant.id, tenant.origins_version)
    return LaunchContext(
        launch_id=launch.id,
        tenant_id=launch.tenant_id,
        tenant_name=tenant.name,
        time_zone=tenant.time_zone,
        registration_id=launch.registration_id,
        user_id=launch.user_id,
        user_name=user_name or "",
        user_email=email or "",
        course_id=launch.course_id,
        course_title=course_title or "",
        role=launch.role,
        read_only=launch.read_only,
        is_tool_admin=launch.is_tool_admin,
        expires_at=launch.expires_at,
        **claims_summary(launch.message),
    )


def launch_revoked(lid: str) -> bool:
    """Whether an administrator ended this launch (a revoked grant or role rule)."""
    return db.session.scalar(select(Launch.revoked_at).where(Launch.id == lid)) is not None


def current_launch() -> LaunchContext:
    if g.get("launch") is None:
        lid = request_launch_id()
        ctx = load_launch(lid) if lid else None
        if ctx is None and lid and launch_revoked(lid):
            raise SessionExpiredError(
                "A Career Credit administrator changed the role this session gave you, so "
                "the session has ended.",
                reason="revoked",
                hint="Open Career Credit again from the LMS: it shows what your role allows now.",
            )
        if ctx is None:
            raise SessionExpiredError(
                "Career Credit could not find your session: it has expired, or this page was "
                "opened outside the LMS.",
                reason="no_launch",
            )
        g.launch = ctx
    return g.launch


def requires(*roles: str, write: bool = False, tool_admin: bool = False) -> Callable[[F], F]:
    """Only these roles may use the view; ``write`` refuses read-only (TA) launches;
    ``tool_admin`` admits tool administrators whatever their course role."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            ctx = current_launch()
            allowed = ctx.role in roles or (tool_admin and ctx.is_tool_admin)
            if not allowed:
                raise ForbiddenError(
                    f"This page is not available to your role ({role_name(ctx.role)}).",
                    reason="role",
                )
            if write and ctx.read_only and not (tool_admin and ctx.is_tool_admin):
                raise ForbiddenError(
                    "Your access to this course is read-only (teaching assistant).",
                    reason="read_only",
                )
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        wrapped.write_access = write  # type: ignore[attr-defined]
        wrapped.tool_admin_access = tool_admin  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def public(view: F) -> F:
    """Mark a view as reachable without a launch (LTI endpoints, sandbox, health)."""
    view.required_roles = ()  # type: ignore[attr-defined]
    return view
