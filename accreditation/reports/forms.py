"""Forms of the advisor reports. Validators check shape only; the services decide the rules.
The student table's filters are a GET form read straight from the query string (no CSRF:
reading changes nothing)."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lti_tool.forms import LaunchForm, strip_text
from lti_tool.limits import bounded_int

from .services.risk import LIMITS, Thresholds
from .services.students import StudentQuery


def _int(value: str | None) -> int | None:
    return bounded_int(value)  # an id or a page: nothing a database column cannot hold


def student_query(args: MultiDict[str, str], **preset: Any) -> StudentQuery:
    """The table's filters from a query string (unknown or malformed values are ignored)."""
    values: dict[str, Any] = {
        "q": args.get("q", ""),
        "program": args.get("program", ""),
        "course_id": _int(args.get("course")),
        "term": args.get("term", "")[:255],
        "employer_id": _int(args.get("employer")),
        "employer_name": args.get("employer_name", ""),
        "state": args.get("state", ""),
        "risk": args.get("risk", ""),
        "page": _int(args.get("page")) or 1,
    }
    values.update(preset)
    return StudentQuery(**values).normalised()


def _threshold(label: str, name: str, description: str) -> IntegerField:
    low, high = LIMITS[name]
    return IntegerField(
        label,
        validators=[
            InputRequired("Give a whole number."),
            NumberRange(low, high, f"Use a number from {low} to {high}."),
        ],
        description=description,
    )


class ThresholdsForm(LaunchForm):
    inactive_days = _threshold(
        "Days without hours",
        "inactive_days",
        "Flag an active engagement when no hours were worked for this many days.",
    )
    deadline_days = _threshold(
        "Days before the end date",
        "deadline_days",
        "Flag an engagement this close to its end date ...",
    )
    deadline_min_percent = _threshold(
        "Minimum share of planned hours (percent)",
        "deadline_min_percent",
        "... when fewer than this share of its planned hours are logged.",
    )
    lowest_level = _threshold(
        "Lowest acceptable rating level",
        "lowest_level",
        "Flag a supervisor rating at or below this level (1 is the lowest of 4).",
    )
    evaluation_overdue_days = _threshold(
        "Days after the end date without an evaluation",
        "evaluation_overdue_days",
        "Flag an engagement whose supervisor has not evaluated it this long after it ended.",
    )
    agreement_days = _threshold(
        "Days to acknowledge the learning agreement",
        "agreement_days",
        "Flag an accepted student who has not acknowledged the agreement after this many days.",
    )

    def to_thresholds(self) -> Thresholds:
        return Thresholds(**{name: int(getattr(self, name).data) for name in LIMITS})


class NoteForm(LaunchForm):
    body = TextAreaField(
        "Follow-up note",
        filters=[strip_text],
        validators=[DataRequired("Write the note."), Length(2, 4000)],
        description="Private to career advisors: the student and instructors never see it.",
    )
    follow_up_on = DateField(
        "Follow up on (optional)",
        validators=[Optional()],
        description="A date to come back to this student.",
    )


class ShareForm(LaunchForm):
    message = TextAreaField(
        "Message to the student (optional)",
        filters=[strip_text],
        validators=[Length(max=2000)],
        description="The student is notified and can open the report from their home.",
    )
