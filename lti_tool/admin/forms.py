"""Forms of the admin pages. Their CSRF token is bound to the launch, not to the session
cookie: inside an LMS iframe the browser may drop the cookie, and the launch id then travels
in the form (``lid``). A token only validates with the launch it was issued to."""

from __future__ import annotations

import hashlib
import hmac
import re
import zoneinfo
from functools import lru_cache
from typing import Any

from flask import g
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from wtforms import BooleanField, Field, SelectField, StringField
from wtforms.csrf.core import CSRF
from wtforms.validators import Length, ValidationError

CLAIM_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_SALT = "career-credit-launch-csrf"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """IANA time zone names this server knows, sorted (read from disk once)."""
    return tuple(sorted(zoneinfo.available_timezones()))


class LaunchCSRF(CSRF):
    """A signed, expiring token that names (a hash of) the launch it was issued to."""

    def setup_form(self, form: Any) -> Any:
        self.meta = form.meta
        return super().setup_form(form)

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.meta.csrf_secret, salt=_SALT)

    @staticmethod
    def _launch_digest() -> str:
        launch = g.get("launch")
        if launch is None:
            raise RuntimeError("Launch-bound forms are only used in views behind @requires.")
        return hashlib.sha256(launch.launch_id.encode()).hexdigest()

    def generate_csrf_token(self, csrf_token_field: Field) -> str:
        return str(self._serializer().dumps(self._launch_digest()))

    def validate_csrf_token(self, form: Any, field: Field) -> None:
        if not field.data:
            raise ValidationError("The CSRF token is missing.")
        try:
            digest = self._serializer().loads(field.data, max_age=self.meta.csrf_time_limit)
        except SignatureExpired as exc:
            raise ValidationError("The CSRF token has expired.") from exc
        except BadData as exc:
            raise ValidationError("The CSRF token is invalid.") from exc
        if not isinstance(digest, str) or not hmac.compare_digest(digest,
                                                                  self._launch_digest()):
            raise ValidationError("The CSRF token belongs to another launch.")


class LaunchForm(FlaskForm):
    """A Flask-WTF form whose CSRF token is bound to the launch; a bad token is refused with
    400 (the app's CSRF page) instead of being shown as a field error."""

    class Meta:
        csrf_class = LaunchCSRF

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        if not self.is_submitted():
            return False
        valid = self.validate(extra_validators=extra_validators)
        if self.meta.csrf and self.csrf_token.errors:
            raise CSRFError(self.csrf_token.errors[0])
        return valid


class ApproveDeploymentForm(LaunchForm):
    """A button: the deployment is named by the URL."""


class RevokeAdvisorForm(LaunchForm):
    """A button: the grant is named by the URL."""


class GrantAdvisorForm(LaunchForm):
    # choices: the tenant's known people, set by the view; anything else is refused
    user = SelectField("Person", coerce=int, validate_choice=True,
                       description="People appear here after they open Career Credit from "
                                   "the LMS once.")

    def set_people(self, people: list[Any]) -> None:
        self.user.choices = [(p.id, f"{p.name or 'No name'} ({p.email or 'no email'})")
                             for p in people]


class TenantSettingsForm(LaunchForm):
    time_zone = SelectField(
        "Time zone", validate_choice=False,
        description="Dates and deadlines are shown in this time zone.")
    advisor_claim_name = StringField(
        "Custom claim name", filters=[lambda v: v.strip() if isinstance(v, str) else v],
        description="A launch whose custom claim has this name and the value below makes "
                    "the person a career advisor. Leave both empty for no rule.")
    advisor_claim_value = StringField(
        "Custom claim value", filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Length(max=255, message="Use at most 255 characters.")],
        description="For example advisor.")
    institution_admin_is_tool_admin = BooleanField(
        "Institution Administrators are tool administrators",
        description="People with the LMS's institution Administrator role may open these "
                    "pages. If you turn this off, nobody (you included) can reach them from "
                    "the LMS until an operator turns it on again.")
    confirm_admin_lockout = BooleanField(
        "I understand that turning this off ends my access to these pages",
        description="Needed only when you turn the setting above off.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_zone.choices = list(time_zones())

    def validate_time_zone(self, field: SelectField) -> None:
        if field.data not in time_zones():
            raise ValidationError("Choose a time zone from the list, for example "
                                  "America/Chicago.")

    def validate_confirm_admin_lockout(self, field: BooleanField) -> None:
        turning_off = (self.institution_admin_is_tool_admin.object_data
                       and not self.institution_admin_is_tool_admin.data)
        if turning_off and not field.data:
            raise ValidationError("Tick this box to confirm, or leave institution "
                                  "Administrators as tool administrators.")

    def validate_advisor_claim_name(self, field: StringField) -> None:
        if not field.data:
            if self.advisor_claim_value.data:
                raise ValidationError("Enter the claim name too, or clear the value.")
        elif not CLAIM_NAME.fullmatch(field.data):
            raise ValidationError("Use 1 to 64 letters, digits or underscores, for example "
                                  "career_credit_role.")

    def validate_advisor_claim_value(self, field: StringField) -> None:
        if self.advisor_claim_name.data and not field.data:
            raise ValidationError("Enter the value the claim must have, or clear the name.")
