"""Forms of the attainment pages (CSRF from the app-wide check, bound to the launch)."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lti_tool.forms import LaunchForm, strip_text

from .exports import MAX_SAMPLE
from .services import MAX_NOTE_CHARS


class NoteForm(LaunchForm):
    """A closing-the-loop note on one outcome."""

    framework_id = HiddenField()
    item_id = SelectField("Outcome", coerce=int)
    term = SelectField("In response to the results of", choices=[("", "No particular term")])
    body = TextAreaField(
        "What the program will change",
        filters=[strip_text],
        validators=[
            DataRequired("Write what the program will change."),
            Length(max=MAX_NOTE_CHARS, message=f"Use at most {MAX_NOTE_CHARS} characters."),
        ],
    )


class TargetsForm(LaunchForm):
    """The framework's target level and coverage threshold; per-outcome targets are added by
    ``targets_form``."""

    level = SelectField("Target level for every outcome", coerce=int)
    min_evidence = IntegerField(
        "Flag an outcome with fewer rated observations than",
        validators=[InputRequired("Give a number."), NumberRange(min=1, max=100000)],
    )


def targets_form(outcomes: list[tuple[int, str]], scale: list[str], **kwargs: Any) -> TargetsForm:
    """The targets form for a framework's outcomes (one optional level per outcome)."""
    levels = [(n, f"{n} — {name}") for n, name in enumerate(scale, start=1)]

    class Form(TargetsForm):
        pass

    for item_id, name in outcomes:
        setattr(
            Form,
            f"item_{item_id}",
            SelectField(name, choices=[("", "Same as the framework"), *levels], default=""),
        )
    form = Form(**kwargs)
    form.level.choices = levels
    return form


class ExportForm(LaunchForm):
    """Ask for an accreditation export."""

    framework_id = SelectField("Outcomes of", coerce=int)
    program = SelectField("Students of the program", choices=[("", "All programs")])
    term_from = SelectField("From term", choices=[("", "The first term")])
    term_to = SelectField("To term", choices=[("", "The latest term")])
    sample_per_stratum = IntegerField(
        "Evidence rows sampled per outcome and measure",
        default=20,
        validators=[InputRequired("Give a number."), NumberRange(min=1, max=MAX_SAMPLE)],
    )
    seed = StringField(
        "Sample seed",
        filters=[strip_text],
        validators=[Optional(), Length(max=64, message="Use at most 64 characters.")],
        description="The same seed draws the same sample again; leave empty for a new one.",
    )
    pseudonymize = BooleanField("Replace student names with stable pseudonyms")
