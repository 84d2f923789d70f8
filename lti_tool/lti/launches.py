"""Turn a validated launch into rows: tenant data upserted from the claims in one transaction,
with set-based statements (the launch is the hot path), and a launch id for the browser."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import bindparam, select

from ..context import AGS, CONTEXT, CUSTOM, DEPLOYMENT_ID, RESOURCE_LINK, ROLES, term_from_custom
from ..db_helpers import upsert
from ..errors import LaunchError
from ..extensions import db
from ..models import (
    AdvisorClaimSeen,
    AdvisorGrant,
    IdentityLink,
    Launch,
    Registration,
    User,
    utcnow,
)
from ..roles import ADMIN, ADVISOR, OBSERVER, RoleDecision, advisor_rule_applies, decide
from . import launch_rows
from .launch_rows import CourseLaunch, Upsert

if TYPE_CHECKING:
    from .toolconf import RegistrationRef

_users, _links = User.__table__, IdentityLink.__table__
# An identity is (tenant, issuer, sub): the issuer, not the registration, so that a re-install
# (a new client id attached to the same tenant) keeps its people and courses, while a second
# LMS of the tenant that sends the same sub or context id gets identities and courses of its own.
_GRANTED = (
    select(AdvisorGrant.__table__.c.id)
    .join(_users, _users.c.id == AdvisorGrant.__table__.c.user_id)
    .where(
        AdvisorGrant.__table__.c.tenant_id == bindparam("t"),
        _users.c.tenant_id == bindparam("t"),
        _users.c.issuer == bindparam("iss"),
        _users.c.sub == bindparam("sub"),
    )
)
# A course-less launch of a linked identity acts as its primary user (and the primary's grant).
_LINKED_GRANTED = (
    select(AdvisorGrant.__table__.c.id)
    .join(_links, _links.c.primary_user_id == AdvisorGrant.__table__.c.user_id)
    .join(_users, _users.c.id == _links.c.user_id)
    .where(
        AdvisorGrant.__table__.c.tenant_id == bindparam("t"),
        _links.c.tenant_id == bindparam("t"),
        _users.c.tenant_id == bindparam("t"),
        _users.c.issuer == bindparam("iss"),
        _users.c.sub == bindparam("sub"),
    )
)
_GRANTED_OR_LINKED = _GRANTED.union_all(_LINKED_GRANTED)
_PRIMARY = select(_links.c.primary_user_id).where(
    _links.c.user_id == bindparam("u"), _links.c.tenant_id == bindparam("t")
)
_LAUNCH_INSERT = Launch.__table__.insert()


def _claim(body: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = body.get(name)
    return value if isinstance(value, kind) else default


def _text(value: Any, limit: int) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _url(value: Any, limit: int = 1000) -> str | None:
    """A URL claim as stored: a string that fits its column, else nothing (never cut short)."""
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


def _refuse_anonymous(body: dict[str, Any]) -> str:
    """The launch's user id (``sub``); a launch without one is refused."""
    sub = _text(body.get("sub"), 255)
    if not sub:
        raise LaunchError(
            "The launch identifies no user (no 'sub' claim); anonymous launches are not supported.",
            reason="anonymous",
        )
    return sub


def _decide_role(
    registration: Registration | RegistrationRef,
    body: dict[str, Any],
    sub: str,
    context: dict[str, Any] | None,
    has_course: bool,
) -> RoleDecision:
    """The launch's role from its claims, then from an explicit advisor grant where the claims
    alone leave it open; a role with no page is refused."""
    tenant = registration.tenant
    custom: dict[str, Any] = _claim(body, CUSTOM, dict, {})
    roles: list[Any] = _claim(body, ROLES, list, [])
    settings = tenant.settings or {}
    link_claim = body.get(RESOURCE_LINK)
    link_id = _text(link_claim.get("id"), 255) if isinstance(link_claim, dict) else None

    def decided(advisor_granted: bool) -> RoleDecision:
        return decide(
            roles,
            custom,
            settings,
            advisor_granted=advisor_granted,
            has_context=context is not None,
            resource_link_id=link_id,
        )

    decision = decided(False)
    if decision.role in (None, OBSERVER, ADMIN):  # only then can an explicit grant decide
        query = _GRANTED if has_course else _GRANTED_OR_LINKED
        granted = db.session.connection().execute(
            query, {"t": tenant.id, "iss": registration.issuer, "sub": sub}
        )
        if granted.first() is not None:
            decision = decided(True)
    if decision.role is None:
        raise LaunchError(
            "Your role in this course has no page in Career Credit (roles sent: "
            f"{', '.join(str(r).rsplit('#', 1)[-1] for r in roles) or 'none'}).",
            reason="unsupported_role",
            hint="Career Credit serves students, instructors, teaching assistants, career "
            "advisors, observers and administrators. Ask your LMS administrator.",
        )
    return decision


def _user_row(
    registration: Registration | RegistrationRef, body: dict[str, Any], sub: str, now: dt.datetime
) -> Upsert:
    """The launching identity (tenant, issuer, sub) with its name and email as sent."""
    name = _text(body.get("name"), 500) or " ".join(
        filter(None, [_text(body.get("given_name"), 200), _text(body.get("family_name"), 200)])
    )
    return Upsert(
        ("tenant_id", "issuer", "sub"),
        {
            "tenant_id": registration.tenant_id,
            "issuer": registration.issuer,
            "sub": sub,
            "name": name,
            "email": _text(body.get("email"), 500),
            "updated_at": now,
        },
        ("name", "email", "updated_at"),
    )


def _course_rows(
    registration: Registration | RegistrationRef,
    body: dict[str, Any],
    context: dict[str, Any],
    role: str | None,
    now: dt.datetime,
) -> tuple[Upsert, Upsert, Upsert | None]:
    """The launch's course, the user's enrolment in it and the resource link launched from
    (the enrolment and the link without the ids the writing fills in)."""
    tenant_id = registration.tenant_id
    term_name, term_start, term_end = term_from_custom(_claim(body, CUSTOM, dict, {}))
    course = Upsert(
        ("tenant_id", "issuer", "context_id"),
        {
            "tenant_id": tenant_id,
            "issuer": registration.issuer,
            "context_id": _text(context.get("id"), 255),
            "title": _text(context.get("title"), 500),
            "label": _text(context.get("label"), 255),
            "term_name": term_name,
            "term_start": term_start,
            "term_end": term_end,
            "updated_at": now,
        },
        ("title", "label", "term_name", "term_start", "term_end", "updated_at"),
    )
    enrolment = Upsert(
        ("course_id", "user_id"),
        {"tenant_id": tenant_id, "role": role, "last_launch_at": now},
        ("role", "last_launch_at"),
    )
    link = body.get(RESOURCE_LINK)
    if not (isinstance(link, dict) and _text(link.get("id"), 255)):
        return course, enrolment, None
    ags = body.get(AGS) or {}
    return (
        course,
        enrolment,
        Upsert(
            ("course_id", "resource_link_id"),
            {
                "tenant_id": tenant_id,
                "resource_link_id": _text(link.get("id"), 255),
                "title": _text(link.get("title"), 500),
                "lineitem_url": _url(ags.get("lineitem") if isinstance(ags, dict) else None),
                "updated_at": now,
            },
            ("title", "lineitem_url", "updated_at"),
        ),
    )


class RecordedLaunch(NamedTuple):
    """What the launch view reads of the launch it recorded (no ORM object: the row is
    written with one Core INSERT)."""

    id: str
    tenant_id: int
    role: str
    message: dict[str, Any]


def record_launch(
    registration: Registration | RegistrationRef, body: dict[str, Any], lifetime_s: int
) -> RecordedLaunch:
    """Upsert course, user, enrolment and resource link from the claims; return the launch."""
    tenant = registration.tenant
    sub = _refuse_anonymous(body)
    context: dict[str, Any] | None = _claim(body, CONTEXT, dict, None)
    has_course = context is not None and bool(_text(context.get("id"), 255))
    decision = _decide_role(registration, body, sub, context, has_course)
    now = utcnow()
    launch_id = secrets.token_urlsafe(32)
    message = {k: v for k, v in body.items() if k != "nonce"} | {
        DEPLOYMENT_ID: body.get(DEPLOYMENT_ID)
    }
    launch = {
        "id": launch_id,
        "tenant_id": tenant.id,
        "registration_id": registration.id,
        "role": decision.role,
        "read_only": decision.read_only,
        "is_tool_admin": decision.is_tool_admin,
        "message": message,
        "created_at": now,
        "expires_at": now + dt.timedelta(seconds=lifetime_s),
    }
    user = _user_row(registration, body, sub, now)
    if context is not None and has_course:
        course, enrolment, link = _course_rows(registration, body, context, decision.role, now)
        user_id, _ = launch_rows.write(CourseLaunch(user, course, enrolment, link, launch))
    else:
        user_id = upsert(User, user.keys, user.values, user.update)
        # Only without a course: inside one, enrolments, rosters and grades must name the user
        # id this LMS knows, so the identity stays its own there.
        primary = db.session.connection().execute(_PRIMARY, {"u": user_id, "t": tenant.id})
        user_id = primary.scalar() or user_id
        db.session.connection().execute(_LAUNCH_INSERT, launch | {"user_id": user_id})
    if decision.role == ADVISOR:
        _note_claim_advisor(tenant.id, tenant.settings or {}, body, user_id, context, now)
    return RecordedLaunch(launch_id, tenant.id, str(decision.role), message)


def _note_claim_advisor(
    tenant_id: int,
    settings: dict[str, Any],
    body: dict[str, Any],
    user_id: int,
    context: dict[str, Any] | None,
    now: dt.datetime,
) -> None:
    """An advisor launch the claim rule decided (not a grant) keeps its person in
    ``advisor_claim_seen``, so the advisors page lists them after the launch is gone."""
    custom: dict[str, Any] = _claim(body, CUSTOM, dict, {})
    link_claim = body.get(RESOURCE_LINK)
    link_id = _text(link_claim.get("id"), 255) if isinstance(link_claim, dict) else None
    if not advisor_rule_applies(custom, settings, context is not None, link_id):
        return
    rule = settings["advisor_claim"]
    upsert(
        AdvisorClaimSeen,
        ["tenant_id", "user_id"],
        {
            "tenant_id": tenant_id,
            "user_id": user_id,
            "claim_name": str(rule["name"])[:255],
            "claim_value": str(rule.get("value") or "")[:255],
            "last_launch_at": now,
        },
        ["claim_name", "claim_value", "last_launch_at"],
    )
