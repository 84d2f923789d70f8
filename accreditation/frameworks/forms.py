"""Forms of the frameworks pages (CSRF from the app-wide check, bound to the launch)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from lti_tool.forms import LaunchForm, strip_text

from .catalog import TEMPLATES
from .services import CODE_MAX, NAME_MAX, STATEMENT_MAX


class ItemForm(LaunchForm):
    """Add an item, or change one (a change of text adds a version)."""

    name = StringField(
        "Name",
        filters=[strip_text],
        validators=[
            DataRequired("Give the item a name."),
            Length(max=NAME_MAX, message=f"Use at most {NAME_MAX} characters."),
        ],
    )
    statement = TextAreaField(
        "Description",
        filters=[strip_text],
        validators=[Length(max=STATEMENT_MAX, message=f"Use at most {STATEMENT_MAX} characters.")],
        description="What a student who has met it can do, in a sentence or two.",
    )
    human_coding = StringField(
        "Code",
        filters=[strip_text],
        validators=[Length(max=CODE_MAX, message=f"Use at most {CODE_MAX} characters.")],
        description="Optional: the short code your program uses, for example SO3 or LG2.1.",
    )
    parent_id = SelectField(
        "Under",
        coerce=int,
        validate_choice=True,
        description="Leave at the top level, or choose the goal it belongs to.",
    )


class StatusForm(LaunchForm):
    """A button: retire or restore the item named by the URL."""

    status = HiddenField(validators=[DataRequired()])


class TemplateForm(LaunchForm):
    template = SelectField(
        "Template",
        choices=[(key, spec.title) for key, spec in TEMPLATES.items()],
        validate_choice=True,
    )
    title = StringField(
        "Framework title",
        filters=[strip_text],
        validators=[Length(max=300, message="Use at most 300 characters.")],
        description="For example: BS Computer Science student outcomes.",
    )
    program = StringField(
        "Program",
        filters=[strip_text],
        validators=[Length(max=200, message="Use at most 200 characters.")],
    )


class ImportForm(LaunchForm):
    file = FileField(
        "CASE package file",
        validators=[FileAllowed(["json"], "Choose a .json file.")],
        description="A CFPackage JSON file (CASE 1.0 or 1.1).",
    )
    url = StringField(
        "Or the package's address at a CASE provider",
        filters=[strip_text],
        validators=[Optional(), Length(max=1000, message="Use at most 1000 characters.")],
        description="For example https://case.example.org/ims/case/v1p0/CFPackages/<identifier>.",
    )
    kind = SelectField(
        "It holds",
        choices=[("program", "Program outcomes"), ("competencies", "Competencies")],
        validate_choice=True,
    )

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        has_file = bool(self.file.data and getattr(self.file.data, "filename", ""))
        if ok and has_file == bool(self.url.data):
            self.url.errors = [*self.url.errors, "Choose a file or give an address (one of them)."]
            return False
        return ok


class CrosswalkForm(LaunchForm):
    """The crosswalk grid: one checkbox per (course outcome, competency/program outcome)."""

    align = SelectMultipleField("Alignments", validate_choice=False)

    def validate_align(self, field: SelectMultipleField) -> None:
        for value in field.data or []:
            row, _, col = str(value).partition("-")
            if not (row.isdigit() and col.isdigit()):
                raise ValidationError("Reload the page and try again.")

    @property
    def cells(self) -> set[tuple[int, int]]:
        return {
            (int(r), int(c)) for r, _, c in (str(v).partition("-") for v in self.align.data or [])
        }
