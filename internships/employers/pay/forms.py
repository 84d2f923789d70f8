"""Forms of the pay area: the pay panel's (marking a payment, confirming or disputing it,
resolving a dispute, when payment is due) and the advisor's pages (clearing an overdue
payment, the grace days). The panel's forms serve a launch and the supervisor's link alike:
CSRF is the app's (the session, or the launch id the page carries)."""

from __future__ import annotations

from decimal import Decimal

from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from internships.services.listing_rules import CURRENCIES
from lti_tool.forms import CheckedForm, LaunchForm, strip_text

from .services.payments import MAX_SCHEDULE_DAYS
from .services.terms import MAX_GRACE_DAYS

RESOLUTION_LABELS = {
    "received": "The student received the payment (it stands as paid)",
    "not_received": "The payment did not reach the student (it no longer counts)",
}


def cents(value: Decimal | None) -> int:
    """Minor units of an amount typed in major units (2 decimals)."""
    return int((value or Decimal(0)).scaleb(2).to_integral_value())


class MarkPaymentForm(CheckedForm):
    """The employer marks a payment made."""

    amount = DecimalField(
        "Amount paid",
        id="pay-amount",
        places=2,
        validators=[
            InputRequired(message="Enter the amount paid."),
            NumberRange(min=Decimal("0.01"), message="Enter the amount paid, more than zero."),
        ],
        description="In the engagement's currency, like 250.00.",
    )
    currency = SelectField(
        "Currency", id="pay-currency", choices=[(c, c) for c in CURRENCIES], default="USD"
    )
    paid_on = DateField(
        "Date paid",
        id="pay-paid-on",
        validators=[InputRequired(message="Enter the date you paid.")],
    )
    reference = StringField(
        "Reference (optional)",
        id="pay-reference",
        filters=[strip_text],
        validators=[Optional(), Length(max=200, message="Keep the reference to 200 characters.")],
        description="A transfer or check number, if it helps the student find the payment.",
    )


class PaymentAnswerForm(CheckedForm):
    """The student confirms a payment (no note) or disputes it (a note)."""

    payment_id = HiddenField(validators=[InputRequired()])
    note = TextAreaField(
        "What is wrong with this payment?",
        filters=[strip_text],
        validators=[Optional(), Length(max=5000)],
    )


class ResolveForm(CheckedForm):
    """An advisor resolves a disputed payment."""

    payment_id = HiddenField(validators=[InputRequired()])
    resolution = RadioField(
        "What did you find?",
        choices=list(RESOLUTION_LABELS.items()),
        validators=[InputRequired(message="Choose what you found.")],
    )
    note = TextAreaField(
        "Your notes",
        filters=[strip_text],
        validators=[InputRequired(message="Write your notes."), Length(max=5000)],
        description="The student reads them; the payment's record keeps them.",
    )


class DueRuleForm(CheckedForm):
    """An advisor sets when payment is due."""

    due_rule = RadioField(
        "Payment is due",
        id="pay-due-rule",
        choices=[
            ("completion", "On completion (the agreement's end date)"),
            ("schedule", "On a schedule, from the start date"),
        ],
        validators=[InputRequired(message="Choose when payment is due.")],
    )
    schedule_days = IntegerField(
        "Days between payments (on a schedule)",
        id="pay-schedule-days",
        validators=[
            Optional(),
            NumberRange(
                min=1, max=MAX_SCHEDULE_DAYS, message=f"Give 1 to {MAX_SCHEDULE_DAYS} days."
            ),
        ],
        description="For example 14 for every two weeks.",
    )


class ClearOverdueForm(LaunchForm):
    """An advisor clears an overdue payment with a note."""

    overdue_id = HiddenField(validators=[InputRequired()])
    note = TextAreaField(
        "Why it is cleared",
        filters=[strip_text],
        validators=[InputRequired(message="Write why it is cleared."), Length(max=5000)],
    )


class GraceDaysForm(LaunchForm):
    """The institution's grace days before a payment is overdue."""

    grace_days = IntegerField(
        "Grace days past a due date",
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(min=0, max=MAX_GRACE_DAYS, message=f"Give 0 to {MAX_GRACE_DAYS} days."),
        ],
        description="A payment not made this many days after it was due is overdue: the "
        "employer and the advisors are told, and the employer cannot publish new listings "
        "until an advisor clears it.",
    )
