"""The sandbox LMS's OIDC authorization endpoint: the tool's authentication request checked as
a platform must, and the signed launch (resource link or deep linking) posted back to the tool."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import utcnow
from .errors import SandboxError
from .models import (
    SandboxEnrolment,
    SandboxLaunchHint,
    SandboxLineItem,
    SandboxPerson,
    SandboxResourceLink,
)
from .platform import (
    AGS_CLAIM,
    CLAIM,
    COURSE_OFFERING,
    DL_CLAIM,
    HINT_LIFETIME,
    ID_TOKEN_LIFETIME_S,
    INSTITUTION_ROLES,
    MEMBERSHIP_ROLES,
    LaunchForm,
    ParamsRequest,
    SandboxMessageLaunch,
    platform_conf,
)
from .seed import SandboxInfo
from .signing import NEWEST_KID, current_key
from .tokens import AGS_SCOPES

EXPECTED = {
    "scope": "openid",
    "response_type": "id_token",
    "response_mode": "form_post",
    "prompt": "none",
}


def _refuse(parameter: str, problem: str) -> SandboxError:
    return SandboxError(
        f"The authentication request's {parameter} parameter {problem}.", parameter=parameter
    )


@dataclass(frozen=True)
class AuthRequest:
    """A valid authentication request: its launch hint (person, course and resource link
    loaded), the person's enrolment role in the course, the line item bound to the resource
    link and the newest platform key's kid, all read in one statement."""

    hint: SandboxLaunchHint
    role: str | None
    line_item_id: int | None
    newest_kid: str | None


# The login hint's person, the launch hint (its person, course and link joined), the person's
# role in the course, the link's line item and the newest key's kid: one statement.
_ROLE = (
    select(SandboxEnrolment.role)
    .where(
        SandboxEnrolment.course_id == SandboxLaunchHint.course_id,
        SandboxEnrolment.person_id == SandboxLaunchHint.person_id,
    )
    .correlate(SandboxLaunchHint)
    .scalar_subquery()
)
_BOUND_ITEM = (
    select(SandboxLineItem.id)
    .where(SandboxLineItem.resource_link_id == SandboxLaunchHint.resource_link_id)
    .correlate(SandboxLaunchHint)
    .order_by(SandboxLineItem.id)
    .limit(1)
    .scalar_subquery()
)
_AUTH_ROWS = (
    select(SandboxPerson, SandboxLaunchHint, _ROLE, _BOUND_ITEM, NEWEST_KID)
    .outerjoin(SandboxLaunchHint, SandboxLaunchHint.hint == bindparam("hint"))
    .options(
        joinedload(SandboxLaunchHint.person),
        joinedload(SandboxLaunchHint.course),
        joinedload(SandboxLaunchHint.resource_link),
    )
    .where(SandboxPerson.key == bindparam("login_hint"))
)


def validate_auth_request(info: SandboxInfo, params: dict[str, str]) -> AuthRequest:
    """Check an OIDC authentication request strictly; the launch hint it is for, with what
    the id_token needs besides."""
    for name, expected in EXPECTED.items():
        if params.get(name) != expected:
            raise _refuse(name, f"must be {expected!r}, got {params.get(name)!r}")
    if params.get("client_id") != info.client_id:
        raise _refuse("client_id", f"names an unknown client {params.get('client_id')!r}")
    if params.get("redirect_uri") != info.tool_launch_url:
        raise _refuse(
            "redirect_uri",
            f"must be exactly the registered launch URL "
            f"{info.tool_launch_url}, got {params.get('redirect_uri')!r}",
        )
    row = db.session.execute(
        _AUTH_ROWS,
        {
            "login_hint": params.get("login_hint", ""),
            "hint": params.get("lti_message_hint") or "",
        },
    ).first()
    if row is None:
        raise _refuse("login_hint", f"is not a known person ({params.get('login_hint')!r})")
    person, hint, role, line_item_id, newest_kid = row
    for name in ("nonce", "state"):
        if not params.get(name):
            raise _refuse(name, "is missing")
    if hint is None or hint.created_at < utcnow() - HINT_LIFETIME:
        raise _refuse("lti_message_hint", "is unknown or has expired; start the launch again")
    if hint.person_id != person.id:
        raise _refuse("login_hint", "does not match the person the launch was started for")
    return AuthRequest(hint, role, line_item_id, newest_kid)


def _custom_claim(hint: SandboxLaunchHint) -> dict[str, str]:
    custom: dict[str, str] = {}
    if hint.course is not None:
        course = hint.course
        custom.update(
            term_name=course.term_name,
            term_start=course.term_start.isoformat(),
            term_end=course.term_end.isoformat(),
        )
    custom.update({str(k): str(v) for k, v in (hint.resource_link.custom or {}).items()})
    if hint.person.kind == "advisor":
        custom["career_credit_role"] = "advisor"  # sent only from the advisor placement
    return custom


def _roles(request: AuthRequest) -> list[str]:
    roles = list(INSTITUTION_ROLES[request.hint.person.kind])
    if request.hint.course is not None and request.role is not None:
        roles = list(MEMBERSHIP_ROLES[request.role]) + roles  # as membership_roles gives them
    return roles


def bound_line_item(link: SandboxResourceLink) -> SandboxLineItem | None:
    """The line item placed together with a resource link, if any."""
    return db.session.scalar(
        select(SandboxLineItem)
        .where(SandboxLineItem.resource_link_id == link.id)
        .order_by(SandboxLineItem.id)
        .limit(1)
    )


def authorize(info: SandboxInfo, params: dict[str, str]) -> LaunchForm:
    """Answer a valid authentication request with the signed id_token form."""
    request = validate_auth_request(info, params)
    hint = request.hint
    person, course, link = hint.person, hint.course, hint.resource_link
    key = current_key(request.newest_kid)
    launch = SandboxMessageLaunch(ParamsRequest(params), platform_conf(info, key))
    launch.set_id_token_expiration(ID_TOKEN_LIFETIME_S)
    launch.set_user_data(
        person.user_id, _roles(request), full_name=person.name, email_address=person.email
    )
    if hint.message_type != "deep_link":  # a deep-linking request has no resource link yet
        launch.set_resource_link_claim(link.resource_link_id, title=link.title or None)
    launch.set_launch_presentation_claim("iframe", return_url=f"{info.platform_url}/sandbox")
    launch.set_custom_parameters_claim(_custom_claim(hint))
    launch.set_extra_claims(
        {
            "given_name": person.given_name,
            "family_name": person.family_name,
            f"{CLAIM}tool_platform": {
                "guid": f"{info.issuer}/sandbox",
                "name": "Career Credit Sandbox LMS",
                "product_family_code": "career-credit-sandbox",
                "version": "1.0",
            },
        }
    )
    if course is not None:
        launch.set_launch_context_claim(
            course.context_id, [COURSE_OFFERING], course.title, course.label
        )
        launch.set_nrps(info.api_url(course.key, "memberships"))
        ags: dict[str, Any] = {
            "scope": list(AGS_SCOPES),
            "lineitems": info.api_url(course.key, "line_items"),
        }
        if request.line_item_id is not None:  # the line item bound_line_item(link) gives
            ags["lineitem"] = info.api_url(course.key, "line_items", str(request.line_item_id))
        # Built by hand: lti1p3platform offers lineitem *or* lineitem.readonly and, with a
        # single line item, mutates the scope list while iterating over it.
        launch.set_extra_claims({AGS_CLAIM: ags})
    if hint.message_type == "deep_link":
        launch.set_dl(
            info.deep_link_return_url,
            title=f"Add Career Credit to {course.title}" if course else "",
            accept_types={"ltiResourceLink"},
        )
        dl_claims: dict[str, Any] = launch._deep_linking_launch_data or {}
        settings = dl_claims[f"{DL_CLAIM}deep_linking_settings"]
        settings.update(
            accept_types=["ltiResourceLink"],
            accept_presentation_document_targets=["iframe", "window"],
            accept_multiple=True,
            auto_create=True,
            data=hint.deep_link_data,
        )
        settings.pop("text", None)
    form: LaunchForm = launch.lti_launch()
    return form
