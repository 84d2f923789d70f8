"""Reading and saving the launch student's profile. A student only ever reads or writes their
own row: every function takes the launch context and uses its tenant and user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select

from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.services import audit

from ..vocabulary import CLASS_YEARS
from ..vocabulary import skills as vocabulary
from .models import MAX_WEEKLY_HOURS, WORK_AUTHORIZATIONS, StudentProfile

MAX_TEXT = 2000


class ProfileInvalidError(PolicyViolationError):
    """A profile field is not acceptable; ``field`` names it for the form."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, reason=f"invalid_{field_name}", field=field_name)


@dataclass
class ProfileInput:
    program: str = ""
    class_year: str = ""
    expected_graduation: dt.date | None = None
    work_authorization: str = ""
    skills: list[str] = field(default_factory=list)
    interests: str = ""
    career_goals: str = ""
    weekly_availability_hours: int | None = None


# built once (building it cost about as much as running it: the student's home reads the
# profile for its "For you" picks): a request binds ``tenant_id`` and ``user_id``
_PROFILE = select(StudentProfile).where(
    StudentProfile.tenant_id == bindparam("tenant_id"),
    StudentProfile.user_id == bindparam("user_id"),
)


def get_profile(ctx: LaunchContext) -> StudentProfile | None:
    params = {"tenant_id": ctx.tenant_id, "user_id": ctx.user_id}
    return db.session.scalar(_PROFILE, params)


def get_or_empty(ctx: LaunchContext) -> StudentProfile:
    """The launch user's profile, or an unsaved empty one (never another user's)."""
    profile = get_profile(ctx)
    return profile if profile is not None else StudentProfile.empty(ctx.tenant_id, ctx.user_id)


def validate(data: ProfileInput) -> None:
    if len(data.program.strip()) > 200:
        raise ProfileInvalidError("program", "Keep the program name under 200 characters.")
    if data.class_year and data.class_year not in CLASS_YEARS:
        raise ProfileInvalidError("class_year", "Choose one of the class years listed.")
    if data.work_authorization and data.work_authorization not in WORK_AUTHORIZATIONS:
        raise ProfileInvalidError("work_authorization", "Choose one of the options listed.")
    if data.expected_graduation is not None and not (1990 <= data.expected_graduation.year <= 2100):
        raise ProfileInvalidError("expected_graduation", "Give a real graduation date.")
    unknown = [s for s in data.skills if s not in vocabulary()]
    if unknown:
        raise ProfileInvalidError("skills", "Choose skills from the list.")
    for name in ("interests", "career_goals"):
        if len(getattr(data, name).strip()) > MAX_TEXT:
            raise ProfileInvalidError(name, f"Keep this under {MAX_TEXT:,} characters.")
    hours = data.weekly_availability_hours
    if hours is not None and not 0 <= hours <= MAX_WEEKLY_HOURS:
        raise ProfileInvalidError(
            "weekly_availability_hours", f"Give a number of hours from 0 to {MAX_WEEKLY_HOURS}."
        )


def save_profile(ctx: LaunchContext, data: ProfileInput) -> StudentProfile:
    """Validate and store the launch student's profile (audited); the caller commits."""
    if ctx.role != "student":
        raise ForbiddenError("Only students keep a profile.", reason="role")
    validate(data)
    profile = get_profile(ctx)
    created = profile is None
    if profile is None:
        profile = StudentProfile(tenant_id=ctx.tenant_id, user_id=ctx.user_id)
        db.session.add(profile)
    profile.program = data.program.strip()
    profile.class_year = data.class_year
    profile.expected_graduation = data.expected_graduation
    profile.work_authorization = data.work_authorization
    profile.skills = list(dict.fromkeys(data.skills))
    profile.interests = data.interests.strip()
    profile.career_goals = data.career_goals.strip()
    profile.weekly_availability_hours = data.weekly_availability_hours
    db.session.flush()
    audit.record(
        ctx.actor,
        "profile.create" if created else "profile.update",
        ctx.tenant_id,
        profile_id=profile.id,
        user_id=ctx.user_id,
    )
    return profile
