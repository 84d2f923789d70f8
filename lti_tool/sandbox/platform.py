"""The sandbox as an LTI 1.3 platform, on top of lti1p3platform: its roles and claims, the
glue lti1p3platform needs, its key set, and the login URL it frames. Its signing keys, kept
per process, are in ``signing``; the OIDC authorization endpoint that signs the id_token is in
``authorization``, the deep-linking return that places resource links and line items in
``deep_link_return``."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from sqlalchemy import and_, bindparam, delete, insert, select

from ..extensions import db
from ..models import utcnow
from .errors import SandboxError
from .models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxLaunchHint,
    SandboxPerson,
    SandboxResourceLink,
)
from .purges import purges
from .seed import SandboxInfo
from .signing import NEWEST_KID, PlatformKey, current_key

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
# Deep Linking adds content to a course: instructors only. A TA's launches are read-only in
# Career Credit (lti_tool.roles), whose picker would refuse it, so the sandbox does not offer it.
DEEP_LINKERS = ("instructor",)
HINT_LIFETIME = dt.timedelta(hours=8)
STORAGE_TARGET = "_parent"  # the launch page itself answers the platform-storage messages
ID_TOKEN_LIFETIME_S = 300


def membership_roles(enrolment: SandboxEnrolment) -> list[str]:
    """LIS roles of an enrolment, as the NRPS service and the launch both send them."""
    return list(MEMBERSHIP_ROLES[enrolment.role])


# --- lti1p3platform glue ---------------------------------------------------------------------


class SandboxRegistration(Registration):
    """lti1p3platform's registration with the key's id and public JWK; the tool's key set URL
    is looked up only when lti1p3platform asks for it (a launch never does)."""

    def __init__(self, key: PlatformKey, info: SandboxInfo) -> None:
        self._kid = key.kid
        self._public_jwk = key.public_jwk
        self._info = info

    def get_kid(self) -> str:
        return self._kid

    def get_jwks(self) -> list[dict[str, Any]]:
        return [dict(self._public_jwk)]

    def get_tool_key_set_url(self) -> str:
        return self._info.tool_jwks_url


class SandboxPlatformConf(LTI1P3PlatformConfAbstract):
    """The platform configuration for one sandbox issuer."""

    def init_platform_config(self, **kwargs: Any) -> None:
        self.info: SandboxInfo = kwargs["info"]
        self.key: PlatformKey = kwargs["key"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        info = self.info
        reg = SandboxRegistration(self.key, info)
        (
            reg.set_iss(info.issuer)
            .set_client_id(info.client_id)
            .set_deployment_id(info.deployment_id)
            .set_launch_url(info.tool_launch_url)
            .set_deeplink_launch_url(info.tool_launch_url)
            .set_oidc_login_url(info.tool_login_url)
            .set_platform_private_key(self.key.private_key)
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


def platform_conf(info: SandboxInfo, key: PlatformKey | None = None) -> SandboxPlatformConf:
    """lti1p3platform's configuration for this issuer, registration loaded (with ``key``, or
    the newest key)."""
    conf = SandboxPlatformConf(info=info, key=key or current_key())
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


# A launch's reads, built once (each launch page runs them).
_PERSON = select(SandboxPerson, NEWEST_KID).where(SandboxPerson.key == bindparam("key"))
# The course with the person's enrolment and the course's navigation link (what a launch
# without a resource link id opens, as _COURSE_LINK finds it)
_COURSE = (
    select(SandboxCourse, SandboxEnrolment, SandboxResourceLink)
    .outerjoin(
        SandboxEnrolment,
        and_(
            SandboxEnrolment.course_id == SandboxCourse.id,
            SandboxEnrolment.person_id == bindparam("person_id"),
        ),
    )
    .outerjoin(
        SandboxResourceLink,
        and_(
            SandboxResourceLink.course_id == SandboxCourse.id,
            SandboxResourceLink.kind == "course_navigation",
        ),
    )
    .where(SandboxCourse.key == bindparam("key"))
    .limit(1)
)
_LINK = select(SandboxResourceLink).limit(1)
_LINK_BY_ID = _LINK.where(SandboxResourceLink.resource_link_id == bindparam("resource_link_id"))
_ACCOUNT_LINK = _LINK.where(SandboxResourceLink.kind == "account_navigation")
_COURSE_LINK = _LINK.where(
    SandboxResourceLink.kind == "course_navigation",
    SandboxResourceLink.course_id == bindparam("course_id"),
)


def _person(key: str | None) -> tuple[SandboxPerson, str | None]:
    """The person, and the newest platform key's kid (read with it: one statement)."""
    row = db.session.execute(_PERSON, {"key": key or ""}).first()
    if row is None:
        raise SandboxError(f"There is no sandbox person {key!r}.", parameter="person")
    return row[0], row[1]


def _course(
    key: str | None, person: SandboxPerson
) -> tuple[SandboxCourse, SandboxEnrolment | None, SandboxResourceLink | None]:
    """The course, the person's enrolment in it and its navigation link, if any (one
    statement)."""
    row = db.session.execute(_COURSE, {"key": key or "", "person_id": person.id}).first()
    if row is None:
        raise SandboxError(f"There is no sandbox course {key!r}.", parameter="course")
    return row[0], row[1], row[2]


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
    navigation: SandboxResourceLink | None = None,
) -> SandboxResourceLink:
    """The link launched: by its id, else the account's or the course's navigation link
    (``navigation``: the course's, as read with the course)."""
    if navigation is not None and course is not None and not resource_link_id:
        return navigation
    if resource_link_id:
        link = db.session.scalar(_LINK_BY_ID, {"resource_link_id": resource_link_id})
    elif course is None:
        link = db.session.scalar(_ACCOUNT_LINK)
    else:
        link = db.session.scalar(_COURSE_LINK, {"course_id": course.id})
    if link is None or (resource_link_id and course is not None and link.course_id != course.id):
        raise SandboxError(
            f"There is no resource link {resource_link_id!r} in this course.",
            parameter="resource_link",
        )
    return link


def _launch_course(
    person: SandboxPerson, course_key: str | None, message: str, resource_link_id: str | None
) -> tuple[SandboxCourse | None, SandboxResourceLink | None]:
    """The course a person launches from (None for an account-level person) and its
    navigation link, refused where an LMS would not launch: not enrolled, dropped, or Deep
    Linking by a non-instructor."""
    course: SandboxCourse | None = None
    navigation: SandboxResourceLink | None = None
    if person.kind in ACCOUNT_KINDS:
        if message == "deep_link" or resource_link_id:
            raise SandboxError(
                f"{person.name} launches from account navigation only.", parameter="person"
            )
    else:
        course, enrolment, navigation = _course(course_key, person)
        if enrolment is None:
            raise SandboxError(
                f"{person.name} is not enrolled in {course.title}.", parameter="person"
            )
        if enrolment.status != "Active":
            raise SandboxError(
                f"{person.name} has dropped {course.title}; an LMS does not "
                "launch tools for inactive enrollments.",
                parameter="person",
            )
        if message == "deep_link" and enrolment.role not in DEEP_LINKERS:
            who = "a teaching assistant, who" if enrolment.role == "ta" else "not an instructor and"
            raise SandboxError(
                f"Only the course's instructors can add content with Deep Linking: "
                f"{person.name} is {who} can only open Career Credit in the course.",
                parameter="message",
            )
    return course, navigation


_hints = SandboxLaunchHint.__table__


def purge_expired_hints() -> None:
    """Delete the launch hints older than ``HINT_LIFETIME`` (at most once a minute per
    process: an older hint is refused by its age anyway)."""
    if not purges.due("launch_hint"):
        return
    db.session.execute(
        delete(SandboxLaunchHint).where(SandboxLaunchHint.created_at < utcnow() - HINT_LIFETIME)
    )


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
    person, newest_kid = _person(person_key)
    if message not in ("resource", "deep_link"):
        raise SandboxError("message must be resource or deep_link.", parameter="message")
    course, navigation = _launch_course(person, course_key, message, resource_link_id)
    link = _resource_link(course, resource_link_id, navigation)
    purge_expired_hints()
    hint = secrets.token_urlsafe(24)
    db.session.execute(
        insert(_hints).values(
            hint=hint,
            person_id=person.id,
            course_id=course.id if course is not None else None,
            resource_link_id=link.id,
            message_type=message,
            deep_link_data=secrets.token_urlsafe(24) if message == "deep_link" else None,
        )
    )
    login = SandboxLogin(None, platform_conf(info, current_key(newest_kid)))
    login.set_lti_message_hint(hint=hint)
    login.set_launch_url(info.tool_launch_url)
    url = login.prepare_preflight_url(person.key)
    if platform_storage:
        url += "&" + urlencode({"lti_storage_target": STORAGE_TARGET})
    return LaunchStart(
        login_url=url, person=person, course=course, resource_link=link, message_type=message
    )
