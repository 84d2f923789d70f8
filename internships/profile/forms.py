"""The student's profile form."""

from __future__ import annotations

from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, NumberRange, Optional

from lti_tool.forms import LaunchForm, LongSelect, strip_text

from ..forms import skill_choices, upload_field
from ..vocabulary import CLASS_YEARS
from .models import MAX_WEEKLY_HOURS, WORK_AUTHORIZATIONS, StudentProfile
from .services import MAX_TEXT, ProfileInput


class ProfileForm(LaunchForm):
    program = StringField(
        "Program",
        filters=[strip_text],
        validators=[Length(max=200)],
        description="For example “BS Economics”.",
    )
    class_year = SelectField(
        "Class year", choices=[("", "Not given")] + [(c, c) for c in CLASS_YEARS]
    )
    expected_graduation = DateField("Expected graduation", validators=[Optional()])
    work_authorization = SelectField(
        "Work authorization",
        choices=[("", "Not given")] + [(w, w) for w in WORK_AUTHORIZATIONS],
        description="Some listings are open only to students with a given work authorization.",
    )
    skills = SelectMultipleField(
        "Skills",
        choices=skill_choices,
        widget=LongSelect(multiple=True),
    )
    interests = TextAreaField("Interests", filters=[strip_text], validators=[Length(max=MAX_TEXT)])
    career_goals = TextAreaField(
        "Career goals", filters=[strip_text], validators=[Length(max=MAX_TEXT)]
    )
    weekly_availability_hours = IntegerField(
        "Hours a week you can work",
        validators=[Optional(), NumberRange(0, MAX_WEEKLY_HOURS)],
        description=f"From 0 to {MAX_WEEKLY_HOURS}.",
    )

    @classmethod
    def for_profile(cls, profile: StudentProfile) -> ProfileForm:
        return cls(
            formdata=None,
            program=profile.program,
            class_year=profile.class_year,
            expected_graduation=profile.expected_graduation,
            work_authorization=profile.work_authorization,
            skills=list(profile.skills or []),
            interests=profile.interests,
            career_goals=profile.career_goals,
            weekly_availability_hours=profile.weekly_availability_hours,
        )

    def to_input(self) -> ProfileInput:
        return ProfileInput(
            program=self.program.data or "",
            class_year=self.class_year.data or "",
            expected_graduation=self.expected_graduation.data,
            work_authorization=self.work_authorization.data or "",
            skills=list(self.skills.data or []),
            interests=self.interests.data or "",
            career_goals=self.career_goals.data or "",
            weekly_availability_hours=self.weekly_availability_hours.data,
        )


class SisImportForm(LaunchForm):
    file = upload_field(
        "Student records file (CSV)",
        ["csv"],
        "Exported from the student information system, with the header below. At most 5 MB.",
    )
