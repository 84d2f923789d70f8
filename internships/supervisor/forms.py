"""Forms of the supervisor's pages (no launch: the signed link is the credential, CSRF comes
from the session cookie): the submit button of the select, hours and evaluate pages, the
evaluation's ratings, and the invited employer's listing form."""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from lti_tool.forms import CheckedForm, strip_text

from ..forms import EMAIL, LISTING_FIELDS, ListingForm
from ..work.models import RATING_LEVELS


class SupervisorForm(CheckedForm):
    """A public form on a signed-link page; CSRF from the session cookie."""

    submit = SubmitField("Submit")


RATING_CHOICES = [(str(n), name) for n, name in enumerate(RATING_LEVELS, start=1)] + [
    ("na", "Not applicable")
]


def ratings_from(
    form: dict[str, Any], competencies: list[str]
) -> dict[str, tuple[int | None, str]]:
    """``rating-<n>`` / ``comment-<n>`` fields of the evaluation, per targeted competency."""
    ratings: dict[str, tuple[int | None, str]] = {}
    for n, competency in enumerate(competencies):
        value = form.get(f"rating-{n}", "")
        comment = str(form.get(f"comment-{n}", ""))[:5000]
        if value == "na":
            ratings[competency] = (None, comment)
        elif value.isdigit():
            ratings[competency] = (int(value), comment)
    return ratings


class EmployerListingForm(CheckedForm):
    """The public form an invited employer fills in (CSRF from the session cookie: the page
    opens from an email, outside the LMS): who they are, then the listing form's own fields."""

    employer_name = StringField(
        "Organization name",
        filters=[strip_text],
        validators=[Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    employer_website = StringField(
        "Organization website",
        filters=[strip_text],
        validators=[Length(max=500)],
        render_kw={"autocomplete": "url"},
    )
    contact_name = StringField(
        "Your name",
        filters=[strip_text],
        validators=[DataRequired("Give your name."), Length(max=200)],
        render_kw={"autocomplete": "name"},
        description="You supervise the student, or tell us who does in the description.",
    )
    contact_email = EmailField(
        "Your email",
        filters=[strip_text],
        validators=[DataRequired("Give your email address."), EMAIL, Length(max=320)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send for review")
    to_input = ListingForm.to_input
    require_employer = True

    def validate_employer_name(self, field: StringField) -> None:
        if self.require_employer and len(field.data or "") < 2:
            raise ValidationError("Give your organization's name.")


for _name in LISTING_FIELDS:
    setattr(EmployerListingForm, _name, getattr(ListingForm, _name))
