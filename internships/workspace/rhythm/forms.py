"""Forms of the rhythm area: the student's weekly check-in, the supervisor's confirmation,
and the institution's reminder settings."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lti_tool.forms import CheckedForm, LaunchForm, strip_text

from .checkins import PROMPTS, Answers
from .settings import LIMITS, NAMES, RhythmSettings

TEXT_MAX = 2000


class CheckInForm(LaunchForm):
    done = TextAreaField(
        PROMPTS["done"],
        filters=[strip_text],
        validators=[DataRequired("Say what you got done."), Length(max=TEXT_MAX)],
        id="checkin-done",
    )
    next = TextAreaField(
        PROMPTS["next"],
        filters=[strip_text],
        validators=[DataRequired("Say what you will do next."), Length(max=TEXT_MAX)],
        id="checkin-next",
    )
    blocked = RadioField(
        PROMPTS["blocked"],
        choices=[("no", "No, nothing is blocking me"), ("yes", "Yes, something is blocking me")],
        validators=[InputRequired("Say whether anything is blocking you.")],
        id="checkin-blocked",
    )
    blocker = TextAreaField(
        "What is blocking you?",
        filters=[strip_text],
        validators=[Length(max=TEXT_MAX)],
        description="Needed when something is blocking you: your supervisor and advisor see it.",
        id="checkin-blocker",
    )

    def validate_blocker(self, field: Any) -> None:
        if self.blocked.data == "yes" and not field.data:
            from wtforms.validators import ValidationError

            raise ValidationError("Say what is blocking you.")

    def answers(self) -> Answers:
        return Answers(
            done=self.done.data or "",
            next=self.next.data or "",
            blocked=self.blocked.data == "yes",
            blocker=self.blocker.data or "",
        )


class ReviewForm(CheckedForm):
    """The supervisor's confirmation of one check-in (a public page: CSRF from the cookie)."""

    checkin_id = HiddenField(validators=[DataRequired("Choose a check-in.")])
    comment = TextAreaField(
        "Comment (optional)",
        filters=[strip_text],
        validators=[Optional(), Length(max=TEXT_MAX)],
    )

    def checkin(self) -> int | None:
        value = str(self.checkin_id.data or "")
        return int(value) if value.isdigit() else None


def _days(name: str, description: str) -> IntegerField:
    low, high = LIMITS[name]
    return IntegerField(
        NAMES[name],
        validators=[
            InputRequired("Give a whole number."),
            NumberRange(low, high, f"Use a number from {low} to {high}."),
        ],
        description=description,
    )


class SettingsForm(LaunchForm):
    reminders = BooleanField("Send reminder emails")
    agreement_days = _days(
        "agreement_days",
        "Remind the student when the learning agreement is still not accepted this many days "
        "after acceptance.",
    )
    hours_days = _days(
        "hours_days",
        "Remind the supervisor, with a fresh confirmation link, when logged hours have waited "
        "this many days.",
    )
    no_activity_days = _days(
        "no_activity_days",
        "Remind the student and the supervisor when nothing happened on a project for this "
        "many days; the advisor's at-risk flag uses the same number.",
    )

    def to_settings(self) -> RhythmSettings:
        return RhythmSettings(
            reminders=bool(self.reminders.data),
            **{name: int(getattr(self, name).data) for name in LIMITS},
        )
