"""The sandbox as an LTI 1.3 platform, on top of lti1p3platform: the login URL it frames, the
OIDC authorization endpoint that signs the id_token, its key set, and the deep-linking
return that places resource links and line items."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from sqlalchemy import delete, select

from ..extensions import db
from ..models import utcnow
from .errors import SandboxError
from .models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxKey,
    SandboxLaunchHint,
    SandboxLineItem,
    SandboxPerson,
    SandboxResourceLink,
)
from .seed import SandboxInfo
from .tokens import AGS_SCOPES, KeySetError, consume_once, verify_tool_jwt

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LEARNER = f"{LIS}membership#Learner"
INSTRUCTOR = f"{LIS}membership#Instructor"
TEACHING_ASSISTANT = f"{LIS}membership/Instructor#TeachingAssistant"
MENTOR = f"{LIS}membership#Mentor"
STUDENT = f"{LIS}institution/person#Student"
FACULTY = f"{LIS}institution/person#Faculty"
STAFF = f"{LIS}institution/person#Staff"
ADMINISTRATOR = f"{LIS}institution/person#Administrator"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"

MEMBERSHIP_ROLES = {
    "learner": [LEARNER],
    "instructor": [INSTRUCTOR],
    "ta": [INSTRUCTOR, TEACHING_ASSISTANT],  # Canvas sends both for a TA
    "mentor": [MENTOR],
}
INSTITUTION_ROLES = {
    "student": [STUDENT],
    "faculty": [FACULTY],
    "ta": [],
    "observer": [],
    "advisor": [STAFF],
    "admin": [ADMINISTRATOR],
}
ACCOUNT_KINDS = ("advisor", "admin")  # launched from account navigation: no course context
DEEP_LINKERS = ("instructor", "ta")
HINT_LIFETIME = dt.timedelta(hours=8)
STORAGE_TARGET = "_parent"  # the launch page itself answers the platform-storage messages
ID_TOKEN_LIFETIME_S = 300


def membership_roles(enrolment: SandboxEnrolment) -> list[str]:
    """LIS roles of an enrolment, as the NRPS service and the launch both send them."""
    return list(MEMBERSHIP_ROLES[enrolment.role])


# --- lti1p3platform glue ---------------------------------------------------------------------


class SandboxRegistration(Registration):
    """lti1p3platform's registration with the stored key id and public JWK."""

    def __init__(self, key: SandboxKey) -> None:
        self._kid = key.kid
        self._public_jwk = dict(key.public_jwk)

    def get_kid(self) -> str:
        return self._kid

    def get_jwks(self) -> list[dict[str, Any]]:
        return [dict(self._public_jwk)]


class SandboxPlatformConf(LTI1P3PlatformConfAbstract):
    """The platform configuration for one sandbox issuer."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.info: SandboxInfo = kwargs["info"]
        self.key: SandboxKey = kwargs["key"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        info = self.info
        reg = SandboxRegistration(self.key)
        (
            reg.set_iss(info.issuer)
            .set_client_id(info.client_id)
            .set_deployment_id(info.deployment_id)
            .set_launch_url(info.tool_launch_url)
            .set_deeplink_launch_url(info.tool_launch_url)
            .set_oidc_login_url(info.tool_login_url)
            .set_platform_private_key(self.key.private_pem)
            .set_tool_key_set_url(info.tool_jwks_url)
        )
        return reg


class ParamsRequest(Request):
    """lti1p3platform's request, built from plain parameters (services never see Flask's)."""

    def build_metadata(self, request: Any) -> TRequest:
        params = dict(request)
        return {
            "method": "POST",
            "form_data": params,
            "get_data": params,
            "headers": {},
            "content_type": None,
            "path": "/sandbox/auth",
            "json": None,
        }


@dataclass(frozen=True)
class LaunchForm:
    """The auto-posted form that carries the id_token to the tool."""

    action: str
    id_token: str
    state: str


class SandboxMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> LaunchForm:
        return LaunchForm(
            action=launch_data["launch_url"],
            id_token=launch_data["id_token"],
            state=launch_data["state"],
        )


class SandboxLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


def current_key() -> SandboxKey:
    """The sandbox's signing key (a ``SandboxError`` before the first seed)."""
    key = db.session.scalar(select(SandboxKey).order_by(SandboxKey.id.desc()).limit(1))
    if key is None:
        raise SandboxError(
            "The sandbox has no platform key yet: run "
            "`flask --app lti_tool sandbox seed` or open /sandbox first."
        )
    return key


def platform_conf(info: SandboxInfo) -> SandboxPlatformConf:
    """lti1p3platform's configuration for this issuer, registration loaded."""
    conf = SandboxPlatformConf(info=info, key=current_key())
    conf.get_registration()
    return conf


def platform_jwks(info: SandboxInfo) -> dict[str, list[dict[str, Any]]]:
    """The sandbox's public key set."""
    return dict(platform_conf(info).get_jwks())


# --- starting a launch -----------------------------------------------------------------------


@dataclass(frozen=True)
class LaunchStart:
    login_url: str
    person: SandboxPerson
    course: SandboxCourse | None
    resource_link: SandboxResourceLink
    message_type: str


def _person(key: str | None) -> SandboxPerson:
    person = db.session.scalar(select(SandboxPerson).where(SandboxPerson.key == (key or "")))
    if person is None:
        raise SandboxError(f"There is no sandbox person {key!r}.", parameter="person")
    return person


def _course(key: str | None) -> SandboxCourse:
    course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == (key or "")))
    if course is None:
        raise SandboxError(f"There is no sandbox course {key!r}.", parameter="course")
    return course


def find_enrolment(course: SandboxCourse, person: SandboxPerson) -> SandboxEnrolment | None:
    """The person's enrolment in the course, if any."""
    return db.session.scalar(
        select(SandboxEnrolment).where(
            SandboxEnrolment.course_id == course.id, SandboxEnrolment.person_id == person.id
        )
    )


def _resource_link(
    course: SandboxCourse | None,
    resource_link_id: str | None,
) -> SandboxResourceLink:
    query = select(SandboxResourceLink)
    if resource_link_id:
        query = query.where(SandboxResourceLink.resource_link_id == resource_link_id)
    elif course is None:
        query = query.where(SandboxResourceLink.kind == "account_navigation")
    else:
        query = query.where(
            SandboxResourceLink.kind == "course_navigation",
            SandboxResourceLink.course_id == course.id,
        )
    link = db.session.scalar(query.limit(1))
    if link is None or (resource_link_id and course is not None and link.course_id != course.id):
        raise SandboxError(
            f"There is no resource link {resource_link_id!r} in this course.",
            parameter="resource_link",
        )
    return link


def _launch_course(
    person: SandboxPerson, course_key: str | None, message: str, resource_link_id: str | None
) -> SandboxCourse | None:
    """The course a person launches from (None for an account-level person), refused where an
    LMS would not launch: not enrolled, dropped, or Deep Linking by a non-instructor."""
    course: SandboxCourse | None = None
    if person.kind in ACCOUNT_KINDS:
        if message == "deep_link" or resource_link_id:
            raise SandboxError(
                f"{person.name} launches from account navigation only.", parameter="person"
            )
    else:
        course = _course(course_key)
        enrolment = find_enrolment(course, person)
        if enrolment is None:
            raise SandboxError(
                f"{person.name} is not enrolled in {course.title}.", parameter="person"
            )
        if enrolment.status != "Active":
            raise SandboxError(
                f"{person.name} has dropped {course.title}; an LMS does not "
                "launch tools for inactive enrolments.",
                parameter="person",
            )
        if message == "deep_link" and enrolment.role not in DEEP_LINKERS:
            raise SandboxError(
                "Only the course's instructors can add content with Deep Linking.",
                parameter="message",
            )
    return course


def start_launch(
    info: SandboxInfo,
    *,
    course_key: str | None,
    person_key: str | None,
    message: str = "resource",
    resource_link_id: str | None = None,
    platform_storage: bool = True,
) -> LaunchStart:
    """Remember what a launch is for (the opaque ``lti_message_hint``) and build the tool's
    third-party login URL the sandbox frames. With ``platform_storage`` the login carries
    ``lti_storage_target=_parent``: the launch page answers ``lti.put_data``/``lti.get_data``
    postMessages, as Canvas does, for browsers that block the tool's cookies in the iframe."""
    person = _person(person_key)
    if message not in ("resource", "deep_link"):
        raise SandboxError("message must be resource or deep_link.", parameter="message")
    course = _launch_course(person, course_key, message, resource_link_id)
    link = _resource_link(course, resource_link_id)
    db.session.execute(
        delete(SandboxLaunchHint).where(SandboxLaunchHint.created_at < utcnow() - HINT_LIFETIME)
    )
    hint = SandboxLaunchHint(
        hint=secrets.token_urlsafe(24),
        person=person,
        course=course,
        resource_link=link,
        message_type=message,
        deep_link_data=secrets.token_urlsafe(24) if message == "deep_link" else None,
    )
    db.session.add(hint)
    db.session.flush()
    login = SandboxLogin(None, platform_conf(info))
    login.set_lti_message_hint(hint=hint.hint)
    login.set_launch_url(info.tool_launch_url)
    url = login.prepare_preflight_url(person.key)
    if platform_storage:
        url += "&" + urlencode({"lti_storage_target": STORAGE_TARGET})
    return LaunchStart(
        login_url=url, person=person, course=course, resource_link=link, message_type=message
    )


# --- the OIDC authorization endpoint ---------------------------------------------------------

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


def validate_auth_request(info: SandboxInfo, params: dict[str, str]) -> SandboxLaunchHint:
    """Check an OIDC authentication request strictly; the launch hint it is for."""
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
    person = db.session.scalar(
        select(SandboxPerson).where(SandboxPerson.key == params.get("login_hint", ""))
    )
    if person is None:
        raise _refuse("login_hint", f"is not a known person ({params.get('login_hint')!r})")
    for name in ("nonce", "state"):
        if not params.get(name):
            raise _refuse(name, "is missing")
    hint = db.session.get(SandboxLaunchHint, params.get("lti_message_hint") or "")
    if hint is None or hint.created_at < utcnow() - HINT_LIFETIME:
        raise _refuse("lti_message_hint", "is unknown or has expired; start the launch again")
    if hint.person_id != person.id:
        raise _refuse("login_hint", "does not match the person the launch was started for")
    return hint


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


def _roles(hint: SandboxLaunchHint) -> list[str]:
    roles = list(INSTITUTION_ROLES[hint.person.kind])
    if hint.course is not None:
        enrolment = find_enrolment(hint.course, hint.person)
        if enrolment is not None:
            roles = membership_roles(enrolment) + roles
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
    hint = validate_auth_request(info, params)
    person, course, link = hint.person, hint.course, hint.resource_link
    launch = SandboxMessageLaunch(ParamsRequest(params), platform_conf(info))
    launch.set_id_token_expiration(ID_TOKEN_LIFETIME_S)
    launch.set_user_data(
        person.user_id, _roles(hint), full_name=person.name, email_address=person.email
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
        item = bound_line_item(link)
        if item is not None:
            ags["lineitem"] = info.api_url(course.key, "line_items", str(item.id))
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


# --- the deep-linking return -----------------------------------------------------------------


@dataclass
class Placement:
    course: SandboxCourse
    person: SandboxPerson
    links: list[SandboxResourceLink] = field(default_factory=list)
    line_items: dict[int, SandboxLineItem] = field(default_factory=dict)


def _dl_refuse(reason: str) -> SandboxError:
    return SandboxError(f"The deep-linking response was refused: {reason}.", parameter="JWT")


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _dl_refuse(f"lineItem.{name} must be a number greater than 0")
    return float(value)


def accept_deep_link_response(info: SandboxInfo, token: str | None, *, timeout: float) -> Placement:
    """Verify a tool's LtiDeepLinkingResponse and place its content items in the course."""
    if not token:
        raise _dl_refuse("the JWT form field is missing")
    try:
        claims = verify_tool_jwt(
            info,
            token,
            audience=info.issuer,
            timeout=timeout,
            require=("exp", "iat", "iss", "aud", "nonce"),
        )
    except jwt.InvalidAudienceError as exc:
        raise _dl_refuse(f"aud must be the sandbox issuer {info.issuer} ({exc})") from exc
    except jwt.InvalidIssuerError as exc:
        raise _dl_refuse(f"iss must be the client id {info.client_id}") from exc
    except (jwt.InvalidTokenError, KeySetError) as exc:
        raise _dl_refuse(f"invalid JWT ({exc})") from exc
    if claims.get("azp") not in (None, info.client_id):
        raise _dl_refuse("azp must be the client id")
    if claims.get(f"{CLAIM}message_type") != "LtiDeepLinkingResponse":
        raise _dl_refuse("message_type must be LtiDeepLinkingResponse")
    if claims.get(f"{CLAIM}version") != "1.3.0":
        raise _dl_refuse("version must be 1.3.0")
    if claims.get(f"{CLAIM}deployment_id") != info.deployment_id:
        raise _dl_refuse(f"deployment_id must be {info.deployment_id}")
    data = claims.get(f"{DL_CLAIM}data")
    hint = (
        db.session.scalar(select(SandboxLaunchHint).where(SandboxLaunchHint.deep_link_data == data))
        if isinstance(data, str) and data
        else None
    )
    if hint is None or hint.course is None:
        raise _dl_refuse("data does not match any deep-linking request the sandbox sent")
    expires = dt.datetime.fromtimestamp(int(claims["exp"]) + 60, dt.UTC).replace(tzinfo=None)
    if not consume_once("dl_nonce", str(claims["nonce"]), expires):
        raise _dl_refuse("the nonce was already used (replayed response)")
    items = claims.get(f"{DL_CLAIM}content_items", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise _dl_refuse("content_items must be a list of objects")
    for item in items:
        if item.get("type") != "ltiResourceLink":
            raise _dl_refuse(f"content item type {item.get('type')!r} is not accepted")
    return _place(hint, items)


def _place(hint: SandboxLaunchHint, items: list[dict[str, Any]]) -> Placement:
    course = hint.course
    if course is None:
        raise _dl_refuse("the deep-linking request had no course")
    placement = Placement(course=course, person=hint.person)
    for content in items:
        custom = content.get("custom")
        link = SandboxResourceLink(
            resource_link_id=secrets.token_hex(16),
            course=course,
            kind="placed",
            title=str(content.get("title") or "Career Credit"),
            url=str(content["url"]) if content.get("url") else None,
            custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        )
        db.session.add(link)
        placement.links.append(link)
        spec = content.get("lineItem")
        if isinstance(spec, dict):
            db.session.add(
                SandboxLineItem(
                    course=course,
                    label=str(spec.get("label") or link.title),
                    score_maximum=_number(spec.get("scoreMaximum"), "scoreMaximum"),
                    resource_id=_text(spec.get("resourceId")),
                    tag=_text(spec.get("tag")),
                    resource_link=link,
                )
            )
    db.session.flush()
    for link in placement.links:
        line_item = bound_line_item(link)
        if line_item is not None:
            placement.line_items[link.id] = line_item
    return placement


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
