"""Names and Role Provisioning: paged members with case-sensitive page URLs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...extensions import db
from ..errors import ApiError
from ..models import (
    SandboxCourse,
    SandboxEnrolment,
)
from ..platform import membership_roles
from ..seed import SandboxInfo
from .common import DEFAULT_PAGE_SIZE, PAGE_TOKEN_PREFIX

NRPS_PARAMETERS = ("limit", "Limit", "pageToken", "role", "rlid")  # rlid: all members


def _page_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="sandbox-nrps-page")


def _page_request(course: SandboxCourse, args: Mapping[str, str], secret: str) -> tuple[int, int]:
    """The page asked for (limit, offset): known parameter names only, a page token signed for
    this course."""
    for name in args:
        if name not in NRPS_PARAMETERS:
            raise ApiError(
                400,
                f"Unknown query parameter {name!r}. Parameter names and page "
                "tokens are case-sensitive: follow the next-page URL exactly.",
            )
    raw_limit = args.get("Limit") or args.get("limit") or str(DEFAULT_PAGE_SIZE)
    if not raw_limit.isdigit() or not 0 < int(raw_limit) <= 1000:
        raise ApiError(400, "limit must be a whole number from 1 to 1000.")
    limit, offset = int(raw_limit), 0
    if "pageToken" in args:
        token = args["pageToken"]
        try:
            if not token.startswith(PAGE_TOKEN_PREFIX):
                raise BadSignature("prefix")
            state = _page_serializer(secret).loads(token[len(PAGE_TOKEN_PREFIX) :])
        except BadSignature as exc:
            raise ApiError(400, "pageToken is not valid (tokens are case-sensitive).") from exc
        if state.get("c") != course.key:
            raise ApiError(400, "pageToken belongs to another course.")
        offset = int(state["o"])
    return limit, offset


def _members(course: SandboxCourse, role: str | None) -> list[dict[str, Any]]:
    """The course's members as NRPS lists them, in enrolment order, of ``role`` if given."""
    enrolments = db.session.scalars(
        select(SandboxEnrolment)
        .options(joinedload(SandboxEnrolment.person))  # one query a page, not one a member
        .where(SandboxEnrolment.course_id == course.id)
        .order_by(SandboxEnrolment.id)
    ).all()
    members = []
    for enrolment in enrolments:
        roles = membership_roles(enrolment)
        if role and not any(r == role or r.endswith(f"#{role}") for r in roles):
            continue
        person = enrolment.person
        members.append(
            {
                "status": enrolment.status,
                "name": person.name,
                "given_name": person.given_name,
                "family_name": person.family_name,
                "email": person.email,
                "user_id": person.user_id,
                "roles": roles,
            }
        )
    return members


def memberships_page(
    info: SandboxInfo, course: SandboxCourse, args: Mapping[str, str], *, secret: str
) -> tuple[dict[str, Any], str | None]:
    """One page of a course's members and the next page's URL. Query parameter names and page
    tokens are case-sensitive, as on real platforms."""
    limit, offset = _page_request(course, args, secret)
    role = args.get("role")
    members = _members(course, role)
    page = members[offset : offset + limit]
    url = info.api_url(course.key, "memberships")
    body = {
        "id": url,
        "context": {"id": course.context_id, "label": course.label, "title": course.title},
        "members": page,
    }
    next_url = None
    if offset + limit < len(members):
        token = PAGE_TOKEN_PREFIX + _page_serializer(secret).dumps(
            {"c": course.key, "o": offset + limit}
        )
        next_url = f"{url}?pageToken={token}&Limit={limit}"
        if role:
            next_url += f"&role={role}"
    return body, next_url
