"""Seed the sandbox LMS: its platform key, demo courses and people, and its registration in
the tool. Idempotent; ``ensure_sandbox`` commits."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from dataclasses import dataclass

from jwcrypto.jwk import JWK
from sqlalchemy import select

from ..actor import Actor
from ..extensions import db
from ..models import Registration, Tenant
from ..registration.services.tenants import PlatformSpec, add_platform
from .models import (
    SandboxCourse,
    SandboxEnrolment,
    SandboxKey,
    SandboxPerson,
    SandboxResourceLink,
)

TENANT_NAME = "Sandbox University"
CLIENT_ID = "career-credit-sandbox"
DEPLOYMENT_ID = "sandbox-deployment-1"
ACTOR = "sandbox"
ADVISOR_CLAIM = {"name": "career_credit_role", "value": "advisor"}
_NAMESPACE = uuid.UUID("6f1f7a52-3c1e-4be8-9d55-2b0c8a3f9e11")


@dataclass(frozen=True)
class SandboxInfo:
    issuer: str
    client_id: str
    deployment_id: str
    platform_url: str
    tool_url: str

    @property
    def auth_url(self) -> str:
        return f"{self.platform_url}/sandbox/auth"

    @property
    def token_url(self) -> str:
        return f"{self.platform_url}/sandbox/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.platform_url}/sandbox/jwks"

    @property
    def deep_link_return_url(self) -> str:
        return f"{self.platform_url}/sandbox/deep_link_return"

    @property
    def tool_login_url(self) -> str:
        return f"{self.tool_url}/lti/login"

    @property
    def tool_launch_url(self) -> str:
        return f"{self.tool_url}/lti/launch"

    @property
    def tool_jwks_url(self) -> str:
        """The tool's key set as the sandbox LMS is configured with it: the sandbox tenant's
        own (``/lti/jwks/<key_set_id>``), looked up when used."""
        key_set_id = db.session.scalar(
            select(Tenant.key_set_id)
            .join(Registration, Registration.tenant_id == Tenant.id)
            .where(Registration.issuer == self.issuer, Registration.client_id == self.client_id)
        )
        suffix = f"/{key_set_id}" if key_set_id else ""
        return f"{self.tool_url}/lti/jwks{suffix}"

    def api_url(self, course_key: str, *parts: str) -> str:
        return "/".join((f"{self.platform_url}/sandbox/api/courses/{course_key}", *parts))


def sandbox_info(tool_url: str, platform_url: str) -> SandboxInfo:
    """The sandbox's identity for these two base URLs (no database access)."""
    platform_url, tool_url = platform_url.rstrip("/"), tool_url.rstrip("/")
    return SandboxInfo(
        issuer=platform_url,
        client_id=CLIENT_ID,
        deployment_id=DEPLOYMENT_ID,
        platform_url=platform_url,
        tool_url=tool_url,
    )


NUMERIC_KINDS = ("person:", "course:")


def stable_id(key: str) -> str:
    """A stable id for a seed key. People's and courses' are numbers, as Moodle's are: its LTI
    ``sub`` is the user's id and its context id the course's id, which its web services take
    (``core_competency_list_course_competencies`` and ``..._grade_competency_in_course``,
    served by ``lti_tool.sandbox.webservice``); anything else's (resource links) is opaque."""
    value = uuid.uuid5(_NAMESPACE, key)
    if key.startswith(NUMERIC_KINDS):
        return str(1_000_000 + value.int % 9_000_000)
    return str(value)


def legacy_id(key: str) -> str:
    """The id a seed key had before people and courses took Moodle's numbers (a database
    seeded then is brought up to date by the next seed and demo load)."""
    return str(uuid.uuid5(_NAMESPACE, key))


TERM = ("Fall 2026", dt.date(2026, 8, 24), dt.date(2026, 12, 11))

COURSES = [
    # key, label, title
    ("bus-390", "BUS 390", "BUS 390 Internship Seminar"),
    ("cs-195", "CS 195", "CS 195 Professional Practice"),
]

PEOPLE = [
    # key, kind, given name, family name
    ("amara-okafor", "student", "Amara", "Okafor"),
    ("benjamin-tran", "student", "Benjamin", "Tran"),
    ("chloe-martin", "student", "Chloé", "Martin"),
    ("diego-ramirez", "student", "Diego", "Ramírez"),
    ("emily-nguyen", "student", "Emily", "Nguyen"),
    ("farah-haddad", "student", "Farah", "Haddad"),
    ("grace-kim", "student", "Grace", "Kim"),
    ("priya-raman", "faculty", "Priya", "Raman"),
    ("thomas-brooks", "faculty", "Thomas", "Brooks"),
    ("marcus-lee", "ta", "Marcus", "Lee"),
    ("jordan-ellis", "advisor", "Jordan", "Ellis"),
    ("linda-okafor", "observer", "Linda", "Okafor"),
    ("sam-whitfield", "admin", "Sam", "Whitfield"),
]

ENROLMENTS = [
    # course key, person key, role, status
    ("bus-390", "priya-raman", "instructor", "Active"),
    ("bus-390", "marcus-lee", "ta", "Active"),
    ("bus-390", "amara-okafor", "learner", "Active"),
    ("bus-390", "benjamin-tran", "learner", "Active"),
    ("bus-390", "chloe-martin", "learner", "Active"),
    ("bus-390", "diego-ramirez", "learner", "Active"),
    ("bus-390", "emily-nguyen", "learner", "Active"),
    ("bus-390", "farah-haddad", "learner", "Inactive"),  # dropped the course
    ("bus-390", "linda-okafor", "mentor", "Active"),  # Amara's parent, an observer
    ("cs-195", "thomas-brooks", "instructor", "Active"),
    ("cs-195", "priya-raman", "instructor", "Active"),
    ("cs-195", "diego-ramirez", "learner", "Active"),
    ("cs-195", "grace-kim", "learner", "Active"),
    ("cs-195", "benjamin-tran", "learner", "Active"),
]

ACCOUNT_LINK_KEY = "account-navigation"


def _email(given: str, family: str) -> str:
    ascii_given = given.replace("é", "e")
    ascii_family = family.replace("í", "i")
    return f"{ascii_given}.{ascii_family}@example.edu".lower()


def _ensure_key() -> SandboxKey:
    key = db.session.scalar(select(SandboxKey).order_by(SandboxKey.id.desc()).limit(1))
    if key is None:
        jwk = JWK.generate(kty="RSA", size=2048)
        kid = secrets.token_hex(8)
        public = json.loads(jwk.export_public())
        public.update(kid=kid, alg="RS256", use="sig")
        key = SandboxKey(
            kid=kid,
            public_jwk=public,
            private_pem=jwk.export_to_pem(private_key=True, password=None).decode(),
        )
        db.session.add(key)
        db.session.flush()
    return key


def _ensure_courses() -> dict[str, SandboxCourse]:
    courses = {c.key: c for c in db.session.scalars(select(SandboxCourse))}
    for key, label, title in COURSES:
        if key in courses:
            courses[key].context_id = stable_id(f"course:{key}")  # seeded before: Moodle's
        else:
            name, start, end = TERM
            courses[key] = SandboxCourse(
                key=key,
                context_id=stable_id(f"course:{key}"),
                label=label,
                title=title,
                term_name=name,
                term_start=start,
                term_end=end,
            )
            db.session.add(courses[key])
            db.session.add(
                SandboxResourceLink(
                    resource_link_id=stable_id(f"course-navigation:{key}"),
                    course=courses[key],
                    kind="course_navigation",
                    title="Career Credit",
                )
            )
    return courses


def _ensure_people() -> dict[str, SandboxPerson]:
    people = {p.key: p for p in db.session.scalars(select(SandboxPerson))}
    for key, kind, given, family in PEOPLE:
        if key in people:
            people[key].user_id = stable_id(f"person:{key}")  # seeded before: Moodle's
        else:
            people[key] = SandboxPerson(
                key=key,
                user_id=stable_id(f"person:{key}"),
                kind=kind,
                given_name=given,
                family_name=family,
                email=_email(given, family),
            )
            db.session.add(people[key])
    return people


def _ensure_people_and_courses() -> None:
    courses, people = _ensure_courses(), _ensure_people()
    db.session.flush()
    existing = set(
        db.session.execute(select(SandboxEnrolment.course_id, SandboxEnrolment.person_id)).all()
    )
    for course_key, person_key, role, status in ENROLMENTS:
        course, person = courses[course_key], people[person_key]
        if (course.id, person.id) not in existing:
            db.session.add(
                SandboxEnrolment(course_id=course.id, person_id=person.id, role=role, status=status)
            )
    if (
        db.session.scalar(
            select(SandboxResourceLink).where(SandboxResourceLink.kind == "account_navigation")
        )
        is None
    ):
        db.session.add(
            SandboxResourceLink(
                resource_link_id=stable_id(ACCOUNT_LINK_KEY),
                kind="account_navigation",
                title="Career Credit",
            )
        )
    db.session.flush()


def _ensure_registration(info: SandboxInfo) -> Registration:
    reg = db.session.scalar(
        select(Registration).where(
            Registration.issuer == info.issuer, Registration.client_id == info.client_id
        )
    )
    if reg is None:
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == TENANT_NAME))
        name = TENANT_NAME if tenant is None else f"Sandbox LMS at {info.platform_url}"
        reg = add_platform(
            Actor(None, ACTOR),
            PlatformSpec(
                name=name,
                issuer=info.issuer,
                client_id=info.client_id,
                auth_login_url=info.auth_url,
                auth_token_url=info.token_url,
                key_set_url=info.jwks_url,
                deployment_ids=(info.deployment_id,),
                tenant=TENANT_NAME if tenant is not None else None,
            ),
            allow_http=True,
        )
    tenant = reg.tenant
    settings = dict(tenant.settings or {})
    if (
        settings.get("advisor_claim") != ADVISOR_CLAIM
        or settings.get("institution_admin_is_tool_admin") is not True
    ):
        settings["advisor_claim"] = dict(ADVISOR_CLAIM)
        settings["institution_admin_is_tool_admin"] = True
        tenant.settings = settings  # a new dict, so the JSON column is seen as changed
    db.session.flush()
    return reg


def ensure_sandbox(tool_url: str, platform_url: str) -> SandboxInfo:
    """Create (once) the sandbox's key, courses, people, tool registration and Moodle
    web-service connection; commit."""
    info = sandbox_info(tool_url, platform_url)
    _ensure_key()
    _ensure_people_and_courses()
    from .tokens import ensure_web_service  # tokens imports this module

    ensure_web_service(info, _ensure_registration(info))
    db.session.commit()
    return info
