"""Deep Linking 2.0: faculty place the listings board or a gradable credit item."""

from __future__ import annotations

from flask import render_template
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from pylti1p3.registration import Registration as LtiRegistration
from wtforms import BooleanField
from wtforms.validators import ValidationError

from lti_tool.forms import CheckedForm

from .. import keys
from ..context import DEPLOYMENT_ID, LaunchContext
from ..errors import LaunchError
from ..extensions import db
from ..models import Launch, Registration
from . import ags

BOARD = "board"
CREDIT = "credit"
CREDIT_SCORE_MAXIMUM = 100


class PickerForm(CheckedForm):
    board = BooleanField("Micro-internship board — students browse and apply to listings")
    credit = BooleanField("Micro-internship credit — a gradebook column for the credit you award")

    def validate_credit(self, field: BooleanField) -> None:
        if not (self.board.data or field.data):
            raise ValidationError("Choose at least one item to add to the course.")

    def chosen(self) -> list[str]:
        return [name for name in (BOARD, CREDIT) if getattr(self, name).data]


class _SigningRegistration(LtiRegistration):
    def __init__(self, kid: str) -> None:
        super().__init__()
        self._kid = kid

    def get_kid(self) -> str:
        return self._kid


def resources(chosen: list[str], launch_url: str) -> list[DeepLinkResource]:
    """Content items for what faculty chose; the credit item carries a line item."""
    items = []
    if BOARD in chosen:
        items.append(
            DeepLinkResource()
            .set_url(launch_url)
            .set_title("Micro-internship board")
            .set_custom_params({"cc_placement": BOARD})
        )
    if CREDIT in chosen:
        line_item = (
            LineItem()
            .set_label("Micro-internship credit")
            .set_score_maximum(CREDIT_SCORE_MAXIMUM)
            .set_resource_id(ags.OWN_RESOURCE_ID)
            .set_tag(ags.OWN_TAG)
        )
        items.append(
            DeepLinkResource()
            .set_url(launch_url)
            .set_title("Micro-internship credit")
            .set_custom_params({"cc_placement": CREDIT})
            .set_lineitem(line_item)
        )
    return items


def response_jwt(ctx: LaunchContext, chosen: list[str], launch_url: str) -> tuple[str, str]:
    """The signed deep-linking response and the platform URL it must be posted to."""
    launch = db.session.get(Launch, ctx.launch_id)
    reg = db.session.get(Registration, ctx.registration_id)
    if launch is None or reg is None:
        raise LaunchError(
            "This launch is no longer known; open the LMS dialog again.", reason="no_launch"
        )
    signing = keys.signing_key(reg.tenant_id)
    registration = (
        _SigningRegistration(signing.kid)
        .set_issuer(reg.issuer)
        .set_client_id(reg.client_id)
        .set_tool_private_key(signing.private_key)  # type: ignore[arg-type]  # PyJWT's key
    )
    settings = dict(ctx.deep_linking or {})
    if not isinstance(settings.get("deep_link_return_url"), str):
        raise LaunchError("The deep-linking request named no return URL.", reason="invalid_message")
    deployment_id = launch.message[DEPLOYMENT_ID]
    link = DeepLink(registration, deployment_id, settings)  # type: ignore[arg-type]
    return link.get_response_jwt(resources(chosen, launch_url)), settings["deep_link_return_url"]


def response_page(ctx: LaunchContext, chosen: list[str], launch_url: str) -> str:
    token, return_url = response_jwt(ctx, chosen, launch_url)
    return render_template("lti/deep_link_return.html", jwt=token, return_url=return_url)
