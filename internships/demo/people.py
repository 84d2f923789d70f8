"""The sandbox LMS's people and courses as tool-side users, courses and enrolments, exactly as
their first launch would make them (same ``sub`` and context id, from lti_tool.sandbox.seed; a
later launch upserts the same rows), so every page has data before anyone launches; their
student profiles; and the launch context demo actions run under."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from lti_tool.extensions import db

from .content import PROFILES

ENROLMENT_ROLES = {"learner": "student", "instructor": "faculty", "ta": "faculty"}


def _issuer(tenant_id: int) -> str:
    """People and courses are per LMS: the demo's belong to the LMS the tenant launches from
    (its newest registration's issuer, the sandbox for `make run`)."""
    from lti_tool.models import Registration

    return (
        db.session.scalar(
            select(Registration.issuer)
            .where(Registration.tenant_id == tenant_id)
            .order_by(Registration.id.desc())
            .limit(1)
        )
        or ""
    )


def _courses(tenant_id: int, issuer: str) -> dict[str, Any]:
    from lti_tool.models import Course
    from lti_tool.sandbox import seed

    courses: dict[str, Course] = {}
    for key, label, title in seed.COURSES:
        context_id = seed.stable_id(f"course:{key}")
        course = None
        for wanted in (context_id, seed.legacy_id(f"course:{key}")):
            course = course or db.session.scalar(
                select(Course).where(
                    Course.tenant_id == tenant_id,
                    Course.issuer == issuer,
                    Course.context_id == wanted,
                )
            )
        if course is not None:
            course.context_id = context_id  # made before the sandbox took Moodle's ids
        if course is None:
            course = new_course(tenant_id, issuer, context_id, (label, title), seed.TERM)
        courses[key] = course
    return courses


def new_course(
    tenant_id: int,
    issuer: str,
    context_id: str,
    names: tuple[str, str],
    term: tuple[str, Any, Any],
) -> Any:
    """A demo course (added, not flushed): ``names`` its label and title, ``term`` its name,
    first and last day."""
    from lti_tool.models import Course

    (label, title), (term_name, start, end) = names, term
    course = Course(
        tenant_id=tenant_id,
        issuer=issuer,
        context_id=context_id,
        title=title,
        label=label,
        term_name=term_name,
        term_start=start.isoformat(),
        term_end=end.isoformat(),
    )
    db.session.add(course)
    return course


def _users(tenant_id: int, issuer: str) -> dict[str, Any]:
    from lti_tool.models import User
    from lti_tool.sandbox import seed

    users: dict[str, User] = {}
    for key, _kind, given, family in seed.PEOPLE:
        sub = seed.stable_id(f"person:{key}")
        user = None
        for wanted in (sub, seed.legacy_id(f"person:{key}")):
            user = user or db.session.scalar(
                select(User).where(
                    User.tenant_id == tenant_id, User.issuer == issuer, User.sub == wanted
                )
            )
        if user is not None:
            user.sub = sub  # made before the sandbox took Moodle's ids
        if user is None:
            user = User(
                tenant_id=tenant_id,
                issuer=issuer,
                sub=sub,
                name=f"{given} {family}",
                email=seed._email(given, family),
            )
            db.session.add(user)
        users[key] = user
    return users


def _enrol(tenant_id: int, users: dict[str, Any], courses: dict[str, Any]) -> None:
    from lti_tool.models import Enrolment
    from lti_tool.sandbox import seed

    for course_key, person_key, role, status in seed.ENROLMENTS:
        tool_role = ENROLMENT_ROLES.get(role)
        if tool_role is None or status != "Active":
            continue  # observers see nothing; a dropped student never launches
        course, user = courses[course_key], users[person_key]
        exists = db.session.scalar(
            select(Enrolment.id).where(
                Enrolment.course_id == course.id, Enrolment.user_id == user.id
            )
        )
        if exists is None:
            db.session.add(
                Enrolment(tenant_id=tenant_id, course_id=course.id, user_id=user.id, role=tool_role)
            )


def ensure_sandbox_people(tenant_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Users, courses and enrolments for the sandbox LMS's people, keyed by seed key; existing
    rows (from launches) are kept."""
    issuer = _issuer(tenant_id)
    courses = _courses(tenant_id, issuer)
    users = _users(tenant_id, issuer)
    db.session.flush()
    _enrol(tenant_id, users, courses)
    db.session.flush()
    return users, courses


def demo_context(tenant_id: int, user: Any, role: str, course: Any = None) -> Any:
    """A launch context for demo actions (services take one; no launch row is needed)."""
    from lti_tool.context import LaunchContext
    from lti_tool.models import Tenant

    tenant = db.session.get(Tenant, tenant_id)
    return LaunchContext(
        launch_id="demo-data",
        tenant_id=tenant_id,
        tenant_name=tenant.name if tenant else "",
        time_zone=tenant.time_zone if tenant else "UTC",
        registration_id=0,
        user_id=user.id,
        user_name=user.name,
        user_email=user.email,
        course_id=course.id if course is not None else None,
        course_title=course.title if course is not None else "",
        role=role,
        read_only=False,
        is_tool_admin=False,
        message_type="LtiResourceLinkRequest",
        nrps_url=None,
        ags_lineitems_url=None,
        ags_lineitem_url=None,
        ags_scopes=(),
        deep_linking=None,
        placement=None,
        expires_at=dt.datetime(2100, 1, 1),
    )


def seed_profiles(tenant_id: int, users: dict[str, Any]) -> None:
    """A student profile for each demo student who has none."""
    from ..profile.models import StudentProfile
    from ..profile.services import ProfileInput, save_profile

    for key, profile in PROFILES.items():
        user = users[key]
        exists = db.session.scalar(
            select(StudentProfile.id).where(
                StudentProfile.tenant_id == tenant_id, StudentProfile.user_id == user.id
            )
        )
        if exists is None:
            save_profile(
                demo_context(tenant_id, user, "student"),
                ProfileInput(
                    program=profile.program,
                    class_year=profile.class_year,
                    work_authorization=profile.work_authorization,
                    skills=list(profile.skills),
                    interests=profile.interests,
                    career_goals=f"Build experience in {profile.interests}.",
                    weekly_availability_hours=profile.weekly_availability_hours,
                ),
            )
