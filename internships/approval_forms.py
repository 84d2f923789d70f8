"""Forms of a listing's review for approval: approve (an unpaid one with the seven factors
justified), or send back or reject with a reason."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from lti_tool.forms import LaunchForm, strip_text

from .services.listing_rules import MIN_JUSTIFICATION
from .vocabulary import UNPAID_FACTORS


class ReturnListingForm(LaunchForm):
    """Send back or reject a listing that waits for approval, with the reason its maker reads."""

    outcome = RadioField(
        "What to do instead",
        choices=[
            ("send_back", "Send it back for changes (it returns to draft)"),
            ("reject", "Reject it (it is closed)"),
        ],
        validators=[InputRequired("Choose to send it back or to reject it.")],
    )
    reason = TextAreaField(
        "Reason (whoever made the listing reads it)",
        id="return-reason",
        filters=[strip_text],
        validators=[DataRequired("Give the reason."), Length(min=10, max=2000)],
    )


class ApproveForm(LaunchForm):
    note = TextAreaField(
        "Approval note",
        filters=[strip_text],
        validators=[Length(max=2000)],
        description="Why this listing may go ahead (kept in the record).",
    )
    require_factors = False

    def factor_fields(self) -> list[Any]:
        return [self[f"factor_{key}"] for key, _ in UNPAID_FACTORS]

    def justification(self) -> dict[str, str]:
        return {key: self[f"factor_{key}"].data or "" for key, _ in UNPAID_FACTORS}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        if self.require_factors:
            for field in self.factor_fields():
                if len(field.data or "") < MIN_JUSTIFICATION:
                    field.errors = [
                        *field.errors,
                        f"Write at least {MIN_JUSTIFICATION} characters for this factor.",
                    ]
                    ok = False
        return ok


for _key, _label in UNPAID_FACTORS:
    setattr(
        ApproveForm,
        f"factor_{_key}",
        TextAreaField(_label, filters=[strip_text], validators=[Length(max=2000)]),
    )
