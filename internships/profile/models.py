"""The student profile: one row per student and tenant, edited by the student only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.extensions import Model
from lti_tool.models import utcnow

WORK_AUTHORIZATIONS = (
    "US citizen/permanent resident",
    "F-1 (CPT needed for credit-bearing off-campus work)",
    "Other",
)
MAX_WEEKLY_HOURS = 40


class StudentProfile(Model):
    """What a student tells the tool about themselves; ``skills`` are vocabulary ids."""

    __tablename__ = "student_profile"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id"))
    program: Mapped[str] = mapped_column(String(200), default="")
    class_year: Mapped[str] = mapped_column(String(64), default="")
    expected_graduation: Mapped[dt.date | None] = mapped_column(default=None)
    work_authorization: Mapped[str] = mapped_column(String(100), default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    interests: Mapped[str] = mapped_column(Text, default="")
    career_goals: Mapped[str] = mapped_column(Text, default="")
    weekly_availability_hours: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @classmethod
    def empty(cls, tenant_id: int, user_id: int) -> StudentProfile:
        """A student's profile with nothing filled in yet (not added to the session)."""
        return cls(
            tenant_id=tenant_id,
            user_id=user_id,
            program="",
            class_year="",
            work_authorization="",
            skills=[],
            interests="",
            career_goals="",
        )

    @property
    def is_empty(self) -> bool:
        return not (
            self.program
            or self.class_year
            or self.skills
            or self.interests
            or self.career_goals
            or self.weekly_availability_hours
        )
