"""Credit forms: the course policy, decisions, bulk award, institution defaults."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from internships.forms import CheckboxesField
from internships.work.models import RATING_LEVELS
from lti_tool.forms import LaunchForm, strip_text

from .models import APPROVAL_CHAINS, GRADING_MODES, SECOND_APPROVERS

_RATINGS = [("", "No minimum")] + [(str(i), name) for i, name in enumerate(RATING_LEVELS, 1)]


def _none_if_blank(value: Any) -> Any:
    return None if value in ("", None) else value


class PolicyForm(LaunchForm):
    hours_per_credit = IntegerField(
        "Hours of approved work per credit",
        validators=[InputRequired("Enter the hours per credit."), NumberRange(min=1, max=400)],
        description="45 is the usual US norm for experiential credit.",
    )
    max_credits = IntegerField(
        "Credits a student may earn in this course",
        validators=[InputRequired("Enter the credits."), NumberRange(min=0)],
    )
    allow_stacking = BooleanField(
        "Several engagements may add up toward one credit",
        description="Micro-internships are often 5 to 40 hours; stacking lets short ones count.",
    )
    require_agreement = BooleanField("Require an acknowledged learning agreement")
    require_evaluation = BooleanField("Require the supervisor's final evaluation")
    require_reflection = BooleanField("Require the student's reflection")
    min_rating = SelectField(
        "Minimum supervisor rating on every competency",
        choices=_RATINGS,
        coerce=str,
        validate_choice=True,
    )
    grading_mode = SelectField(
        "Grading mode", choices=list(GRADING_MODES.items()), validate_choice=True
    )
    points_possible = IntegerField(
        "Points possible (points mode)",
        default=100,
        validators=[InputRequired("Enter the points possible."), NumberRange(min=1, max=10000)],
    )
    deadline = DateField(
        "Deadline for hours to count",
        validators=[Optional()],
        description="Optional. Hours worked after this day do not count toward credit.",
    )
    approval_chain = SelectField(
        "Who approves credit", choices=list(APPROVAL_CHAINS.items()), validate_choice=True
    )
    second_approver = SelectField(
        "Second approver (two-step approval)",
        choices=list(SECOND_APPROVERS.items()),
        validate_choice=True,
    )


class AwardForm(LaunchForm):
    idempotency_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    credits = IntegerField(
        "Credits to award",
        validators=[InputRequired("Enter the credits to award."), NumberRange(min=1, max=30)],
    )
    score = DecimalField(
        "Grade",
        places=None,
        validators=[Optional(), NumberRange(min=0)],
        description="Points or percent, as the course's grading mode says.",
    )
    comment = TextAreaField(
        "Comment for the student and the gradebook (optional)",
        filters=[strip_text],
        validators=[Length(max=1000)],
    )


class CorrectionForm(AwardForm):
    supersedes_id = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(
        "Why you are correcting the award",
        filters=[strip_text],
        validators=[DataRequired("Say why you are correcting the award."), Length(max=1000)],
    )


class MessageForm(LaunchForm):
    """Ask for changes: what the student is to change (the parts it reopens; choices set by
    the view from the student's work) and why. Its box and the Deny form's share the review
    page and the field name ``message``: each has an id of its own, so each label names its
    own box."""

    parts = CheckboxesField(
        "What the student is to change (exactly this reopens, even on a finished engagement)",
        id="changes-parts",
        choices=[],
        validate_choice=False,  # the service checks the parts against the student's work
    )
    message = TextAreaField(
        "Message to the student",
        id="changes-message",
        filters=[strip_text],
        validators=[DataRequired("Write a message for the student."), Length(max=4000)],
    )


class AnswerForm(LaunchForm):
    """The student's answer to a request for changes."""

    answer = TextAreaField(
        "What you changed, for your instructor",
        filters=[strip_text],
        validators=[
            DataRequired("Tell your instructor what you changed."),
            Length(min=3, max=4000, message="Write 3 to 4,000 characters."),
        ],
    )


class DenyForm(LaunchForm):
    message = TextAreaField(
        "Reason the student will see",
        id="deny-message",
        filters=[strip_text],
        validators=[DataRequired("Say why credit is denied."), Length(max=4000)],
    )
    # a destructive decision: confirmed on the form itself (it works without scripts)
    confirm = BooleanField(
        "Yes, deny credit: the student is told at once",
        id="deny-confirm",
        validators=[DataRequired("Tick the box to confirm that credit is denied.")],
    )


class DeclineForm(LaunchForm):
    reason = TextAreaField(
        "Reason for the instructor",
        filters=[strip_text],
        validators=[DataRequired("Say why you decline."), Length(max=4000)],
    )


class BulkAwardForm(LaunchForm):
    idempotency_key = HiddenField(validators=[DataRequired(), Length(min=16, max=64)])
    student_ids = HiddenField(validators=[DataRequired()])
    score = DecimalField(
        "Grade for everyone listed",
        places=None,
        validators=[Optional(), NumberRange(min=0)],
        description="Points or percent, as the course's grading mode says. Not used for pass/fail.",
    )
    confirm = BooleanField(
        "I have checked the list above", validators=[DataRequired("Tick the box to confirm.")]
    )


class ChooseCourseForm(LaunchForm):
    course_id = SelectField("Counts toward", coerce=int, validate_choice=True)


class DefaultsForm(LaunchForm):
    hours_per_credit = IntegerField(
        "Hours of approved work per credit",
        validators=[InputRequired(), NumberRange(min=1, max=400)],
    )
    max_credits = IntegerField(
        "Credits a course offers by default", validators=[InputRequired(), NumberRange(min=0)]
    )
    credit_limit = IntegerField(
        "Most credits any one course may offer",
        validators=[InputRequired(), NumberRange(min=0, max=30)],
    )
    allow_stacking = BooleanField("Several engagements may add up toward one credit")
    require_agreement = BooleanField("Require an acknowledged learning agreement")
    require_evaluation = BooleanField("Require the supervisor's final evaluation")
    require_reflection = BooleanField("Require the student's reflection")
    grading_mode = SelectField(
        "Grading mode", choices=list(GRADING_MODES.items()), validate_choice=True
    )
    approval_chain = SelectField(
        "Who approves credit", choices=list(APPROVAL_CHAINS.items()), validate_choice=True
    )


def min_rating_value(form: PolicyForm) -> int | None:
    return int(form.min_rating.data) if _none_if_blank(form.min_rating.data) else None
