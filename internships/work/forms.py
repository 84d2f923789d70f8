"""Forms of the application and engagement pages. Validators check shape only; the services
decide the rules, and their refusals are shown next to the field they name."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from internships.forms import CheckboxesField
from internships.vocabulary import COMPETENCIES
from lti_tool.forms import LaunchForm, strip_text

from .services.engagements import REFLECTION_PROMPTS, AgreementInput
from .services.uploads import DELIVERABLE_TYPES_TEXT


class ApplyForm(LaunchForm):
    statement = TextAreaField(
        "Why you, for this project",
        filters=[strip_text],
        validators=[DataRequired("Write your statement."), Length(50, 5000)],
        description="50 to 5,000 characters: what you bring and what you want to learn.",
    )
    availability = TextAreaField(
        "Your availability",
        filters=[strip_text],
        validators=[DataRequired("Say when you can work."), Length(3, 1000)],
        description="Days, times and hours a week you can give, e.g. “weekday evenings, 8 h”.",
    )
    resume = FileField("Résumé (PDF)", description="A PDF file of at most 5 MB.")
    program = StringField(
        "Your program of study", filters=[strip_text], validators=[Length(max=200)]
    )
    class_year = StringField("Your class year", filters=[strip_text], validators=[Length(max=64)])
    meets_work_authorization = BooleanField("I meet the work authorization requirement")
    consent = BooleanField("Share my statement, résumé and availability with the employer")
    submit = SubmitField("Send my application")

    def name_employer(self, employer: str) -> None:
        self.consent.label.text = f"Share my statement, résumé and availability with {employer}"


class DecideForm(LaunchForm):
    decision = RadioField(
        "Decision",
        choices=[
            ("shortlist", "Shortlist"),
            ("accept", "Accept (next: the learning agreement's terms)"),
            ("decline", "Decline"),
        ],
        validators=[InputRequired("Choose a decision.")],
    )
    override_reason = TextAreaField(
        "Reason for going over the workload limits (advisors only)",
        filters=[strip_text],
        validators=[Length(max=2000)],
        description="Only needed when accepting would break the student's workload limits; "
        "it is recorded.",
    )
    submit = SubmitField("Record decision")


class SelectionLinkForm(LaunchForm):
    email = StringField(
        "Send the link to",
        filters=[strip_text],
        validators=[Length(max=320)],
        description="Leave empty to use the employer's contact email.",
    )
    submit = SubmitField("Email the employer a link to review applicants")


class SupervisorLinkForm(LaunchForm):
    purpose = RadioField(
        "What to ask the supervisor",
        choices=[
            ("confirm_hours", "Confirm logged hours"),
            ("evaluate", "Evaluate the student"),
            ("workspace", "Open the project workspace (messages, checklist, check-ins)"),
        ],
        validators=[InputRequired("Choose what to ask.")],
    )
    submit = SubmitField("Email the supervisor a link")


class AgreementForm(LaunchForm):
    competencies = CheckboxesField(
        "Targeted career competencies", choices=[(c, c) for c in COMPETENCIES]
    )
    planned_hours = IntegerField(
        "Planned hours", validators=[InputRequired("Give the planned hours."), NumberRange(1, 400)]
    )
    supervisor_name = StringField(
        "Supervisor's name", filters=[strip_text], validators=[DataRequired(), Length(2, 200)]
    )
    supervisor_email = StringField(
        "Supervisor's email", filters=[strip_text], validators=[DataRequired(), Length(3, 320)]
    )
    start_date = DateField("Start date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    goals = TextAreaField(
        "Learning goals",
        filters=[strip_text],
        validators=[Length(max=5000)],
        description="What the student means to learn and show; the student acknowledges it.",
    )
    beyond_term = BooleanField(
        "The work runs beyond the course's term",
        description="Tick only if the dates are meant to leave the term: credit may then wait.",
    )
    submit = SubmitField("Save the learning agreement")

    def terms(self) -> AgreementInput:
        """The agreement's terms as the services take them."""
        return AgreementInput(
            competencies=list(self.competencies.data or []),
            planned_hours=self.planned_hours.data or 0,
            supervisor_name=self.supervisor_name.data or "",
            supervisor_email=self.supervisor_email.data or "",
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            goals=self.goals.data or "",
            beyond_term=bool(self.beyond_term.data),
        )


class AcceptForm(AgreementForm):
    """Accepting an applicant is setting the learning agreement's terms (from the listing's)."""

    goals = TextAreaField(
        "Learning goals",
        filters=[strip_text],
        validators=[DataRequired("Write the learning goals."), Length(10, 5000)],
        description="What the student means to learn and show; the student acknowledges it.",
    )
    milestones = TextAreaField(
        "Milestones",
        validators=[Length(max=5000)],
        description="Optional. One per line: the due date, then what is due, like "
        "“2027-02-01 First draft of the dashboard”. They join the agreement the student "
        "acknowledges; later changes need the student's and the supervisor's agreement.",
    )
    override_reason = TextAreaField(
        "Reason for going over the workload limits",
        filters=[strip_text],
        validators=[Length(max=2000)],
        description="Only needed when accepting would break the student's workload limits; "
        "it is recorded.",
    )
    submit = SubmitField("Accept and send the learning agreement")


class HoursForm(LaunchForm):
    work_date = DateField("Date", validators=[InputRequired("Give the date you worked.")])
    hours = StringField(
        "Hours",
        filters=[strip_text],
        validators=[DataRequired("Give the hours."), Length(max=10)],
        description="In quarter hours, e.g. 1.5 — at most 12 hours a day.",
    )
    description = TextAreaField(
        "What you did", filters=[strip_text], validators=[DataRequired(), Length(3, 1000)]
    )
    submit = SubmitField("Log hours")


class HourEditForm(HoursForm):
    """An open entry changed by the student; ``answer`` to the reviewer's query, if any."""

    answer = TextAreaField(
        "Your answer to the query",
        filters=[strip_text],
        validators=[Optional(), Length(max=1000)],
        description="Say what you changed or why the entry is right: the reviewer reads it.",
    )
    submit = SubmitField("Save the changes")


class DeleteHoursForm(LaunchForm):
    confirm = BooleanField(
        "Yes, delete this entry",
        validators=[DataRequired("Tick the box to confirm: a deleted entry cannot be restored.")],
    )
    submit = SubmitField("Delete the entry")


class DeliverableForm(LaunchForm):
    title = StringField("Title", filters=[strip_text], validators=[DataRequired(), Length(2, 200)])
    file = FileField("File", description=f"{DELIVERABLE_TYPES_TEXT}; at most 20 MB.")
    url = StringField(
        "Or a link",
        filters=[strip_text],
        validators=[Length(max=1000)],
        description="A web address starting with https:// (give a file or a link).",
    )
    # offered when an instructor asked for a revised version (choices set by the view)
    revises = SelectField(
        "This deliverable is", choices=[], validate_choice=False, id="deliverable-revises"
    )
    submit = SubmitField("Add deliverable")

    def revised_id(self) -> int | None:
        """The deliverable this one revises, or None for a new one."""
        value = self.revises.data or ""
        return int(value) if value.isdigit() else None


class ReflectionForm(LaunchForm):
    save = SubmitField("Save draft")
    submit = SubmitField("Submit reflection")

    def prompt_fields(self) -> list[Any]:
        return [self[key] for key, _ in REFLECTION_PROMPTS]

    def answers(self) -> dict[str, str]:
        return {key: self[key].data or "" for key, _ in REFLECTION_PROMPTS}


for _key, _prompt in REFLECTION_PROMPTS:
    setattr(
        ReflectionForm,
        _key,
        TextAreaField(_prompt, filters=[strip_text], validators=[Length(max=5000)]),
    )


class StatusForm(LaunchForm):
    action = RadioField(
        "Change the engagement's status",
        choices=[
            ("submit", "Submit: my work is done"),
            ("complete", "Mark completed"),
            ("reopen", "Reopen for the student"),
            ("cancel", "Cancel the engagement"),
        ],
        validators=[InputRequired("Choose a change.")],
    )
    submit = SubmitField("Change status")


def hour_decisions(form: dict[str, Any], log_ids: list[int]) -> dict[int, tuple[str, str]]:
    """``decision-<id>`` / ``note-<id>`` fields of the hours review table."""
    decisions = {}
    for log_id in log_ids:
        decision = form.get(f"decision-{log_id}", "")
        if decision in ("confirm", "query"):
            decisions[log_id] = (decision, str(form.get(f"note-{log_id}", ""))[:2000])
    return decisions


class CptForm(LaunchForm):
    """An advisor records a CPT approval (the choices are set by the view)."""

    student = SelectField("Student", coerce=int, validate_choice=False)
    employer = SelectField(
        "Employer",
        coerce=int,
        validate_choice=False,
        description="The approval covers every listing of this employer, unless you choose a "
        "listing below.",
    )
    listing = SelectField("Listing (optional)", coerce=int, validate_choice=False)
    start_date = DateField(
        "First day of the CPT", validators=[InputRequired("Give the first day.")]
    )
    end_date = DateField("Last day of the CPT", validators=[InputRequired("Give the last day.")])
    dso_name = StringField(
        "Authorizing DSO",
        filters=[strip_text],
        validators=[DataRequired("Give the DSO's name."), Length(2, 200)],
        description="The Designated School Official who authorized the CPT in SEVIS.",
    )
    note = TextAreaField(
        "Note (optional)",
        filters=[strip_text],
        validators=[Length(max=2000)],
        description="For example the I-20 page date. No SEVIS numbers or passport data.",
    )

    def validate_student(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose the student.")

    def validate_employer(self, field: SelectField) -> None:
        if not field.data and not self.listing.data:
            raise ValidationError("Choose the employer, or a listing.")


class CapsForm(LaunchForm):
    """The course's workload caps; empty means the institution's default."""

    max_concurrent = IntegerField(
        "Concurrent engagements per student",
        validators=[Optional(), NumberRange(1, 10, "Choose between 1 and 10.")],
    )
    max_weekly_hours = IntegerField(
        "Planned hours a week per student",
        validators=[Optional(), NumberRange(1, 60, "Choose between 1 and 60 hours.")],
    )
