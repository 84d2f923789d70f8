"""Forms of the admin pages (CSRF from the app-wide check, which also works from the launch
id when the LMS iframe blocks the session cookie — see ``lti_tool.web``)."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache
from typing import Any

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, ValidationError

from ..forms import LaunchForm, strip_text
from ..lti.frame_origins import clean_origin

CLAIM_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA time zone names this server knows, sorted (read from disk once)."""
    return tuple(sorted(zoneinfo.available_timezones()))


class StrictDeploymentsForm(LaunchForm):
    """Switch a registration (named by the URL) to strict or open deployments."""

    strict = RadioField(choices=[("1", "strict"), ("0", "open")], validators=[InputRequired()])


class PersonField(IntegerField):
    """A person's id, chosen from the search results (a radio button per person)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(CHOOSE_PERSON) from None


CHOOSE_PERSON = "Choose a person from the search results."


class GrantAdvisorForm(LaunchForm):
    """Grant the advisor role to a person found by the page's search (``q`` keeps the search
    so that a refused grant shows the same results again)."""

    user = PersonField("Person", validators=[InputRequired(message=CHOOSE_PERSON)])
    q = HiddenField(filters=[strip_text])

    def validate_user(self, field: PersonField) -> None:
        if field.data is not None and not 1 <= field.data < 2**31:  # never an id
            raise ValidationError(CHOOSE_PERSON)


class TenantSettingsForm(LaunchForm):
    time_zone = SelectField(
        "Time zone",
        validate_choice=False,
        description="Dates and deadlines are shown in this time zone.",
    )
    advisor_claim_name = StringField(
        "Custom claim name",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description="A launch whose custom claim has this name and the value below makes "
        "the person a career advisor. Leave both empty for no rule.",
    )
    advisor_claim_value = StringField(
        "Custom claim value",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Length(max=255, message="Use at most 255 characters.")],
        description="For example advisor.",
    )
    institution_admin_is_tool_admin = BooleanField(
        "Institution Administrators are Career Credit administrators",
        description="People with the LMS's institution Administrator role may open these "
        "pages. If you turn this off, nobody (you included) can reach them from "
        "the LMS until an operator turns it on again.",
    )
    confirm_admin_lockout = BooleanField(
        "I understand that turning this off ends my access to these pages",
        description="Needed only when you turn the setting above off.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = list(time_zones())

    def validate_time_zone(self, field: SelectField) -> None:
        if field.data not in time_zones():
            raise ValidationError("Choose a time zone from the list, for example America/Chicago.")

    def validate_confirm_admin_lockout(self, field: BooleanField) -> None:
        turning_off = (
            self.institution_admin_is_tool_admin.object_data
            and not self.institution_admin_is_tool_admin.data
        )
        if turning_off and not field.data:
            raise ValidationError(
                "Tick this box to confirm, or leave institution "
                "Administrators as Career Credit administrators."
            )

    def validate_advisor_claim_name(self, field: StringField) -> None:
        if not field.data:
            if self.advisor_claim_value.data:
                raise ValidationError("Enter the claim name too, or clear the value.")
        elif not CLAIM_NAME.fullmatch(field.data):
            raise ValidationError(
                "Use 1 to 64 letters, digits or underscores, for example career_credit_role."
            )

    def validate_advisor_claim_value(self, field: StringField) -> None:
        if self.advisor_claim_name.data and not field.data:
            raise ValidationError("Enter the value the claim must have, or clear the name.")


DATA_RIGHTS_ACTIONS = [
    ("export", "Export: download everything held about the person (JSON and their files)"),
    (
        "pseudonymise",
        "Pseudonymize: replace their name, email and LMS id with a pseudonym, delete their "
        "free text and files; hours, ratings and credit stay in the reports",
    ),
    (
        "erase",
        "Erase: delete the person, their records and files; the audit trail keeps the pseudonym",
    ),
]


class DataRightsForm(LaunchForm):
    person = StringField(
        "Email address or LMS user id",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            InputRequired(message="Enter the person's email address or LMS user id."),
            Length(max=500, message="Use at most 500 characters."),
        ],
        description="The person must have opened Career Credit from the LMS at least once.",
    )
    action = RadioField(
        "What to do",
        choices=DATA_RIGHTS_ACTIONS,
        validators=[InputRequired(message="Choose what to do.")],
    )


class ConfirmDataRightsForm(LaunchForm):
    user_id = HiddenField(validators=[InputRequired()])
    action = HiddenField(validators=[AnyOf([a for a, _ in DATA_RIGHTS_ACTIONS])])
    confirm = BooleanField(
        "I have checked that this is the right person, and I understand that this cannot be undone",
    )

    def validate_confirm(self, field: BooleanField) -> None:
        if self.action.data in ("pseudonymise", "erase") and not field.data:
            raise ValidationError("Tick this box to confirm, or go back.")


class RetentionForm(LaunchForm):
    files_days = IntegerField(
        "Keep résumés and deliverable files for (days after the engagement ends)",
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(min=1, max=36500, message="Enter between 1 and 36500 days."),
        ],
        description="Résumés of applications that led to no engagement are kept this long "
        "after the application last changed.",
    )
    audit_days = IntegerField(
        "Keep audit entries for (days)",
        validators=[
            InputRequired(message="Enter a number of days."),
            NumberRange(min=30, max=36500, message="Enter between 30 and 36500 days."),
        ],
        description="2555 days is about seven years.",
    )


class FrameOriginForm(LaunchForm):
    """An LMS address that may show Career Credit inside its pages."""

    origin = StringField(
        "LMS address",
        filters=[strip_text],
        validators=[Length(max=300, message="Use at most 300 characters.")],
        description="The address your LMS's pages are on, for example "
        "https://canvas.school.edu (scheme and host only, no path).",
    )

    def validate_origin(self, field: StringField) -> None:
        try:
            field.data = clean_origin(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class FrameOriginActionForm(LaunchForm):
    """A button (allow, remove): the origin is a hidden field."""

    origin = HiddenField(validators=[InputRequired(), Length(max=300)])


class ConnectionsForm(LaunchForm):
    canvas_url = StringField(
        "Canvas address",
        filters=[strip_text],
        validators=[Length(max=500, message="Use at most 500 characters.")],
        description="For example https://school.instructure.com. Leave empty for a Moodle site.",
    )
    canvas_oauth_client_id = StringField(
        "Canvas API developer key: client id",
        filters=[strip_text],
        validators=[Length(max=255, message="Use at most 255 characters.")],
        description="The ID of an API developer key whose redirect URI is this tool's Canvas "
        "callback address shown below.",
    )
    canvas_oauth_client_secret = PasswordField(
        "Canvas API developer key: secret",
        filters=[strip_text],
        description="Leave empty to keep the stored secret.",
    )
    clear_canvas_secret = BooleanField("Remove the stored Canvas key (client id and secret)")
    moodle_url = StringField(
        "Moodle address",
        filters=[strip_text],
        validators=[Length(max=500, message="Use at most 500 characters.")],
        description="For example https://moodle.example.edu.",
    )
    moodle_ws_token = PasswordField(
        "Moodle web-service token",
        filters=[strip_text],
        description="Leave empty to keep the stored token.",
    )
    clear_moodle_token = BooleanField("Remove the stored Moodle token")


_ID = [InputRequired(), NumberRange(min=1, max=2**31 - 1)]


class LinkForm(LaunchForm):
    """Link identity ``user_id`` to ``primary_id`` (both named by the page's buttons)."""

    user_id = IntegerField(validators=_ID)
    primary_id = IntegerField(validators=_ID)
