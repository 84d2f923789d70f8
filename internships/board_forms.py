"""Forms of the board pages: the search and filters (a GET), the pin and unpin buttons, and
the listing import. Validators check shape only; the services decide the rules."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    Form,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import Length, NumberRange, Optional

from lti_tool.forms import LaunchForm, strip_text

from .forms import CheckboxesField, skill_choices
from .services.board import SORTS, BoardQuery
from .vocabulary import COMPETENCIES


class BoardFilterForm(Form):
    """The board's search and filters, read from the query string (no CSRF: a GET)."""

    q = StringField("Search", filters=[strip_text], validators=[Length(max=200)])
    skills = SelectMultipleField("Skills")
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.skills.choices = skill_choices()

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
    file = FileField(
        "Listings file",
        validators=[
            FileRequired("Choose a file to import."),
            FileAllowed(["json", "jsonld", "csv"], "Choose a .json, .jsonld or .csv file."),
        ],
        description="schema.org JobPosting JSON-LD, or CSV with the documented header. "
        "At most 5 MB.",
    )
