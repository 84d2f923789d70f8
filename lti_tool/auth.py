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
from sqlalchemy import Boolean, bindparam, case, func, inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
)
# launch id -> the claims summary of its message, this process's. A launch's message is written
# once, by the launch, and never changed: each worker decodes it once, and the launch's
# statement reads it only for a launch not kept here (``with_message``). Bounded: the oldest
# go first (a launch lasts hours; a worker serves a few thousand at most).
_CLAIMS: dict[str, dict[str, Any]] = {}
CLAIMS_KEPT = 4096


# The tenant's columns, all of them: the row becomes the request's Tenant entity (``_tenant``).
_TENANT_COLUMNS = tuple(column.key for column in Tenant.__table__.columns)


@functools.cache
def _launch_statement() -> Any:
    """The launch with its tenant, person, course title and how many messages wait for it (up
    to one more than a launch keeps), built once (every page of a launch reads it): a request
    binds ``lid`` and ``now``.

    Built of the tables' columns, not the ORM's entities and attributes: the session then runs
    it as a Core statement, without the ORM's per-execution set-up and row loading (~0.2 ms of
    every launched request, ``benchmarks/plumbing.py``); ``_tenant`` makes the Tenant entity
    of its columns. The launch's message is read only when this process keeps no summary of
    it (``with_message``)."""
    from .messages import MAX_PENDING

    launches, messages = Launch.__table__, LaunchMessage.__table__
    tenants, users, courses = Tenant.__table__, User.__table__, Course.__table__
    stored = (
        select(messages.c.id)
        .where(messages.c.launch_id == launches.c.id)
        .limit(MAX_PENDING + 1)
        .correlate(launches)
        .subquery()
    )
    waiting = select(func.count()).select_from(stored).scalar_subquery()
    return (
        select(
            *(launches.c[name] for name in _LAUNCH_COLUMNS),
            case((bindparam("with_message", type_=Boolean), launches.c.message)),
            *(tenants.c[name] for name in _TENANT_COLUMNS),
            users.c.name,
            users.c.email,
            courses.c.title,
            waiting,
        )
        .join(tenants, tenants.c.id == launches.c.tenant_id)
        .join(users, users.c.id == launches.c.user_id)
        .outerjoin(courses, courses.c.id == launches.c.course_id)
        .where(launches.c.id == bindparam("lid"), launches.c.expires_at > bindparam("now"))
    )


def _tenant(values: dict[str, Any]) -> Tenant:
    """The request's Tenant entity from its columns as the launch's statement read them, made
    persistent in the session without a statement, as a query of the entity would have loaded
    it: new, or the one the session holds already with its expired columns filled in."""
    session = db.session()
    found = session.identity_map.get(identity_key(Tenant, values["id"]))
    if found is not None:
        for name in inspect(found).expired_attributes & values.keys():
            set_committed_value(found, name, values[name])
        return found
    tenant = Tenant(**values)
    make_transient_to_detached(tenant)  # clean, as if loaded: nothing for a flush to write
    session.add(tenant)
    return tenant


def load_launch(lid: str) -> LaunchContext | None:
    """The launch context for a launch id, or None when unknown or expired."""
    kept = _CLAIMS.get(lid)
    row = db.session.execute(
        _launch_statement(), {"lid": lid, "now": utcnow(), "with_message": kept is None}
    ).first()
    if row is None:
        return None
    launch = SimpleNamespace(**dict(zip(_LAUNCH_COLUMNS, row, strict=False)))
    if kept is None:
        kept = keep_claims(launch.id, row[len(_LAUNCH_COLUMNS)])
    after_launch = len(_LAUNCH_COLUMNS) + 1 + len(_TENANT_COLUMNS)
    columns = dict(zip(_TENANT_COLUMNS, row[len(_LAUNCH_COLUMNS) + 1 : after_launch], strict=True))
    user_name, email, course_title, messages_waiting = row[after_launch:]
    # how many messages wait for the launch's next page: none (most pages), no query for them;
    # below the limit, a confirmation added needs no trim
    g.launch_messages_waiting = int(messages_waiting or 0)
    # The session's identity map holds rows weakly: kept here, the tenant is read once per
    # request, not again by each service that needs its settings (``get_tenant``).
    g.launch_tenant = _tenant(columns)
    # its settings as read now: a commit later in the request expires the row, and the
    # response's Content-Security-Policy needs them after the commit (``csp``)
    g.launch_tenant_settings = (columns["id"], dict(columns["settings"] or {}))
    # and the version of its CSP origins, which a process keeps per version (``csp_versions``)
    g.launch_tenant_version = (columns["id"], columns["origins_version"])
    return LaunchContext(
        launch_id=launch.id,
        tenant_id=launch.tenant_id,
        tenant_name=columns["name"],
        time_zone=columns["time_zone"],
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
        **kept,
    )


def keep_claims(lid: str, message: Any) -> dict[str, Any]:
    """The claims summary of a launch's message, kept for its next requests (the launch keeps
    it as it writes the message, so its own page does not read the message back)."""
    summary = claims_summary(message)
    while len(_CLAIMS) >= CLAIMS_KEPT:
        try:
            del _CLAIMS[next(iter(_CLAIMS))]
        except (KeyError, StopIteration, RuntimeError):  # another thread took it first
            break
    _CLAIMS[lid] = summary
    return summary


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
