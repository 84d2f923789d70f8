"""Forms of the workspace plan: the checklist templates (advisors), ticking an item, proposing
and answering milestone changes, attaching a deliverable, the calendar address. Validators
check shape only; the services decide the rules and name the field a refusal is about.

The panel forms serve the engagement page (a launch) and the supervisor's page (a signed link)
alike: ``CheckedForm``, whose CSRF token comes from the launch id or the session cookie."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from lti_tool.forms import CheckedForm, LaunchForm, strip_text

from .services.checklists import MAX_ITEMS, MAX_LABEL
from .services.milestones import MAX_TITLE


class ChecklistTemplateForm(LaunchForm):
    items = TextAreaField(
        "Checklist items, one per line",
        filters=[strip_text],
        validators=[InputRequired("Enter at least one item, one per line.")],
        description=f"At most {MAX_ITEMS} items of at most {MAX_LABEL} characters each.",
    )
    kickoff_first = BooleanField(
        "The first item is the kick-off call",
        default=True,
        description="Hours logged before the kick-off item is ticked are flagged.",
    )


class TickForm(CheckedForm):
    position = IntegerField(validators=[InputRequired()])
    done = HiddenField(validators=[AnyOf(["1", "0"])])


class MilestoneForm(CheckedForm):
    """Propose a new milestone (``milestone`` empty) or a change to one."""

    milestone = HiddenField()
    title = StringField(
        "Milestone",
        filters=[strip_text],
        validators=[InputRequired("Enter what the milestone is."), Length(max=MAX_TITLE)],
        description="What is due, e.g. “Draft survey questions”.",
    )
    due_date = DateField(
        "Due date", validators=[InputRequired("Enter the due date, like 2026-12-31.")]
    )


class ChangeAnswerForm(CheckedForm):
    """Agree to, decline or withdraw a proposed change (which: the button pressed)."""

    change = IntegerField(validators=[InputRequired()])
    answer = HiddenField(validators=[AnyOf(["agree", "close"])])


class RemoveForm(CheckedForm):
    milestone = IntegerField(validators=[InputRequired()])


class AttachForm(CheckedForm):
    milestone = IntegerField(validators=[InputRequired()])
    deliverable = SelectField(
        "Deliverable that answers it", choices=[], validators=[Optional()], coerce=str
    )
