"""Forms of the internships area: the board's search and filters, writing a listing, approving,
completing an imported draft, closing; employer invitations; the listing import. (The invited
employer's public form is the supervisor area's.) Validators check shape only; the services
decide the rules (and their refusals are shown next to the field they name)."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    Form,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
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
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from lti_tool.forms import LaunchForm, LongSelect, one_message_per_problem, strip_text

from .models import Listing
from .services.board import SORTS, BoardQuery
from .services.listing_rules import CURRENCIES, ListingInput
from .vocabulary import CLASS_YEARS, COMPETENCIES, skills

EMAIL = Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Give an email address like name@example.org."
)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes (rendered inside a fieldset by the templates)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def skill_choices() -> list[tuple[str, str]]:
    """The shipped skills by label (a field's ``choices``, read when a form is made): a copy
    of the list sorted once (the vocabulary is read once, so its order never changes)."""
    return list(_sorted_skills())


@functools.cache
def _sorted_skills() -> tuple[tuple[str, str], ...]:
    return tuple((s.id, s.label) for s in sorted(skills().values(), key=lambda s: s.label.lower()))


def estimated_hours_field(description: str = "") -> IntegerField:
    """A listing's estimated hours, 1 to 400 (the listing form's, and a draft's completion)."""
    return IntegerField(
        "Estimated hours",
        validators=[
            InputRequired("Estimate the hours of work."),
            NumberRange(1, 400, "Estimate between 1 and 400 hours."),
        ],
        description=description,
    )


def upload_field(label: str, extensions: list[str], description: str) -> FileField:
    """A required import file of one of ``extensions`` (the listing and SIS imports)."""
    names = [f".{extension}" for extension in extensions]
    kinds = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    return FileField(
        label,
        validators=[
            FileRequired("Choose a file to import."),
            FileAllowed(extensions, f"Choose a {kinds} file."),
        ],
        description=description,
    )


class BoardFilterForm(Form):
    """The board's search and filters, read from the query string (no CSRF: a GET)."""

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        if not valid:
            one_message_per_problem(self)
        return valid

    q = StringField("Search", filters=[strip_text], validators=[Length(max=200)])
    skills = SelectMultipleField("Skills", choices=skill_choices, widget=LongSelect(multiple=True))
    competencies = CheckboxesField("Competencies", choices=[(c, c) for c in COMPETENCIES])
    min_hours = IntegerField("At least (hours)", validators=[Optional(), NumberRange(0, 1000)])
    max_hours = IntegerField("At most (hours)", validators=[Optional(), NumberRange(0, 1000)])
    paid_only = BooleanField("Paid only")
    min_rate = DecimalField(
        "Minimum hourly pay", places=2, validators=[Optional(), NumberRange(0, 10000)]
    )
    remote_only = BooleanField("Remote only")
    deadline_after = DateField("Deadline on or after", validators=[Optional()])
    sort = SelectField(
        "Sort by", choices=list(SORTS.items()), default="relevance", validate_choice=False
    )
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(1, 100000)])

    def to_query(self) -> BoardQuery:
        """The query; a filter whose value is invalid is left out (its error is shown)."""
        self.validate()

        def ok(field: Any) -> Any:
            return None if field.errors else field.data

        rate = ok(self.min_rate)
        return BoardQuery(
            text=ok(self.q) or "",
            skills=tuple(ok(self.skills) or ()),
            competencies=tuple(ok(self.competencies) or ()),
            min_hours=ok(self.min_hours),
            max_hours=ok(self.max_hours),
            paid_only=bool(self.paid_only.data),
            min_rate_cents=int(rate * 100) if rate else None,
            remote_only=bool(self.remote_only.data),
            deadline_after=ok(self.deadline_after),
            sort=self.sort.data if self.sort.data in SORTS else "relevance",
            page=ok(self.page) or 1,
        )


class ImportForm(LaunchForm):
    file = upload_field(
        "Listings file",
        ["json", "jsonld", "csv"],
        "schema.org JobPosting JSON-LD, or CSV with the documented header. At most 5 MB.",
    )


class ListingForm(LaunchForm):
    employer = SelectField(
        "Employer",
        coerce=int,
        validate_choice=False,
        description="Choose an employer, or add a new one below.",
    )
    new_employer = StringField(
        "New employer name",
        filters=[strip_text],
        validators=[Length(max=200)],
        description="Leave empty when you chose an employer above.",
    )
    title = StringField(
        "Title",
        filters=[strip_text],
        validators=[DataRequired("Give the listing a title."), Length(min=3, max=200)],
    )
    summary = TextAreaField(
        "Summary",
        filters=[strip_text],
        validators=[Length(max=500)],
        description="One or two sentences shown on the board.",
    )
    description_md = TextAreaField(
        "Description",
        validators=[Length(max=20000)],
        description="Markdown: **bold**, lists, links.",
    )
    deliverables = TextAreaField(
        "Deliverables",
        filters=[strip_text],
        validators=[Length(max=5000)],
        description="What the student hands in.",
    )
    skills = SelectMultipleField(
        "Skills",
        choices=skill_choices,
        widget=LongSelect(multiple=True),
    )
    tags = StringField("Tags", filters=[strip_text], description="Separate tags with commas.")
    competencies = CheckboxesField(
        "Career competencies it builds", choices=[(c, c) for c in COMPETENCIES]
    )
    estimated_hours = estimated_hours_field()
    application_deadline = DateField("Application deadline", validators=[Optional()])
    work_start = DateField("Work starts", validators=[Optional()])
    work_end = DateField("Work ends", validators=[Optional()])
    compensation_type = RadioField(
        "Compensation",
        default="fixed",
        choices=[("fixed", "Fixed fee"), ("hourly", "Hourly rate"), ("unpaid", "Unpaid")],
    )
    pay_amount = DecimalField(
        "Amount",
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("100000"))],
        description="The whole fee, or the rate per hour. Empty when unpaid.",
    )
    currency = SelectField("Currency", choices=[(c, c) for c in CURRENCIES], default="USD")
    location_type = RadioField(
        "Where the work happens",
        default="remote",
        choices=[("remote", "Remote"), ("hybrid", "Hybrid"), ("onsite", "On site")],
    )
    location = StringField(
        "Place",
        filters=[strip_text],
        validators=[Length(max=200)],
        description="City, campus or address (hybrid and on site).",
    )
    openings = IntegerField(
        "Openings",
        default=1,
        validators=[InputRequired("Say how many students can take it."), NumberRange(1, 100)],
    )
    programs = StringField(
        "Programs",
        filters=[strip_text],
        description="Eligible programs, separated by commas; empty for all.",
    )
    class_years = CheckboxesField("Class years", choices=[(c, c) for c in CLASS_YEARS])
    work_authorization = TextAreaField(
        "Work authorization notes",
        filters=[strip_text],
        validators=[Length(max=1000)],
        description="For example: F-1 students need a recorded CPT approval.",
    )
    save_draft = SubmitField("Save as draft")
    publish = SubmitField("Publish")

    def __init__(
        self, *args: Any, employers: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.employer.choices = [(0, "Choose an employer"), *(employers or [])]

    def validate_new_employer(self, field: StringField) -> None:
        if not field.data and not self.employer.data:
            raise ValidationError("Choose an employer or give a new employer's name.")

    def to_input(self, employer_id: int) -> ListingInput:
        pay = self.pay_amount.data
        return ListingInput(
            employer_id=employer_id,
            title=self.title.data or "",
            estimated_hours=self.estimated_hours.data or 0,
            compensation_type=self.compensation_type.data or "",
            location_type=self.location_type.data or "",
            pay_amount_cents=round(pay * 100) if pay is not None else None,
            currency=self.currency.data or "",
            summary=self.summary.data or "",
            description_md=self.description_md.data or "",
            deliverables=self.deliverables.data or "",
            skills=list(self.skills.data or []),
            tags=_split(self.tags.data),
            competencies=list(self.competencies.data or []),
            application_deadline=self.application_deadline.data,
            work_start=self.work_start.data,
            work_end=self.work_end.data,
            location=self.location.data or "",
            openings=self.openings.data or 0,
            programs=_split(self.programs.data),
            class_years=list(self.class_years.data or []),
            work_authorization=self.work_authorization.data or "",
        )


def listing_form_data(listing: Listing) -> dict[str, Any]:
    """A listing as the edit form's initial data."""
    pay = listing.pay_amount_cents
    eligibility = listing.eligibility or {}
    return {
        "employer": listing.employer_id,
        "title": listing.title,
        "summary": listing.summary,
        "description_md": listing.description_md,
        "deliverables": listing.deliverables,
        "skills": listing.skills,
        "tags": ", ".join(listing.tags),
        "competencies": listing.competencies,
        # 0: an imported draft that states no hours yet (the field starts empty)
        "estimated_hours": listing.estimated_hours or None,
        "application_deadline": listing.application_deadline,
        "work_start": listing.work_start,
        "work_end": listing.work_end,
        "compensation_type": listing.compensation_type,
        "pay_amount": Decimal(pay) / 100 if pay else None,
        "currency": listing.currency,
        "location_type": listing.location_type,
        "location": listing.location,
        "openings": listing.openings,
        "programs": ", ".join(eligibility.get("programs", [])),
        "class_years": eligibility.get("class_years", []),
        "work_authorization": eligibility.get("work_authorization", ""),
    }


class CompleteDraftForm(LaunchForm):
    """What an advisor adds to an imported draft before it goes to the board (or the
    approval queue)."""

    estimated_hours = estimated_hours_field(
        "The whole project's hours, 1 to 400 (a fixed fee is divided by them to check the pay "
        "floor)."
    )
    submit = SubmitField("Submit the listing")


class CloseListingForm(LaunchForm):
    """Two buttons: the listing is filled, or closed."""

    status = RadioField(
        "Take this listing off the board",
        choices=[("filled", "Every opening is filled"), ("closed", "Close it without filling")],
        validators=[InputRequired("Choose filled or closed.")],
    )


# The listing's own fields (the invited employer's public form has them too).
LISTING_FIELDS = (
    "title", "summary", "description_md", "deliverables", "skills", "tags", "competencies",
    "estimated_hours", "application_deadline", "work_start", "work_end", "compensation_type",
    "pay_amount", "currency", "location_type", "location", "openings", "programs",
    "class_years", "work_authorization",
)  # fmt: skip


class InvitationForm(LaunchForm):
    employer = SelectField(
        "Employer",
        coerce=int,
        validate_choice=False,
        description="Bind the invitation to a known employer, or leave it open: the employer "
        "then names itself on the form.",
    )
    email = EmailField(
        "Employer's email",
        filters=[strip_text],
        validators=[DataRequired("Give the address to send the invitation to."), EMAIL],
    )
    days = IntegerField(
        "Link valid for (days)",
        default=14,
        validators=[InputRequired("Say how long the link works."), NumberRange(1, 60)],
    )
    message = TextAreaField(
        "Personal message (optional)",
        filters=[strip_text],
        validators=[Length(max=2000)],
        description="Added to the email above the link.",
    )

    def __init__(
        self, *args: Any, employers: list[tuple[int, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.employer.choices = [(0, "Any employer (they name themselves)"), *(employers or [])]
