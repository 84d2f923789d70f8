"""Forms of the employer portal: the advisor's contact form (inside a launch), the employer
page's forms (a signed link: CSRF from the session cookie) and the offer panel's."""

from __future__ import annotations

from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from internships.forms import EMAIL
from lti_tool.forms import CheckedForm, LaunchForm, strip_text

from .models import OFFER_KINDS


class ContactForm(LaunchForm):
    """An advisor adds a person to an employer's contacts."""

    name = StringField("Name", [DataRequired(), Length(2, 200)], filters=[strip_text])
    email = EmailField(
        "Email address", [DataRequired(), EMAIL, Length(max=320)], filters=[strip_text]
    )


class PortalForm(CheckedForm):
    """A button of the employer's page: what it does and to what the hidden fields say."""

    subject = HiddenField()


class CopyForm(CheckedForm):
    """Copy a listing into a new one for the career center's approval."""

    subject = HiddenField()
    title = StringField("Title of the new listing", [DataRequired(), Length(3, 200)],
                        filters=[strip_text])  # fmt: skip
    application_deadline = DateField(
        "Applications close on (optional)",
        [Optional()],
        description="Leave empty to let the career center set it.",
    )


class ChecklistForm(CheckedForm):
    """The onboarding checklist of one of the employer's listings."""

    subject = HiddenField()
    items = TextAreaField(
        "Onboarding checklist, one item per line",
        [Length(max=5000)],
        description="The first item is the kick-off call: hours logged before it is ticked are "
        "flagged. Student and supervisor tick the items in the project's workspace.",
    )


class InviteForm(CheckedForm):
    """Invite a colleague to supervise an engagement."""

    subject = HiddenField()
    name = StringField("Your colleague's name", [DataRequired(), Length(2, 200)],
                       filters=[strip_text])  # fmt: skip
    email = EmailField(
        "Your colleague's email address",
        [DataRequired(), EMAIL, Length(max=320)],
        filters=[strip_text],
    )


class OfferForm(CheckedForm):
    """The supervisor's answer after the final evaluation."""

    would_hire = RadioField(
        "Would you hire this student or offer them further work?",
        [DataRequired(message="Answer yes or no.")],
        choices=[("yes", "Yes"), ("no", "No")],
    )
    kind = SelectField(
        "Offer",
        choices=[("", "No offer (yet)"), *OFFER_KINDS.items()],
        default="",
        description="Record an offer you made, if any; the student confirms or declines it.",
    )
    details = TextAreaField(
        "Details (optional)", [Length(max=2000)], filters=[strip_text],
        description="For example the start date, hours or pay.",
    )  # fmt: skip


class DecideForm(CheckedForm):
    """The student's confirm or decline button."""
