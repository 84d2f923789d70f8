"""Registration endpoints (``/registration``, blueprint ``registration``, templates
``registration/``): Dynamic Registration (``/registration/register``), the Canvas developer-key
JSON, the Moodle values page, and the admin's "create a registration link" button.

Their first addresses, under ``/lti``, were pasted into LMSs and emailed in invitations: they
answer a permanent redirect here (``OLD_ADDRESSES``)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from wtforms import HiddenField
from wtforms.validators import DataRequired

from lti_tool.forms import CheckedForm

from .. import netguard
from ..auth import current_launch, public, requires
from ..errors import AppError, NotFoundError
from ..extensions import csrf, db
from ..forms import ButtonForm
from ..models import Tenant
from ..ratelimit import rate_limited, registration_limit
from ..redirects import moved
from ..unit_of_work import refuse
from ..web import public_json, seed_csrf
from . import kits, services

bp = Blueprint("registration", __name__, url_prefix="/registration")
OLD_ADDRESSES = moved(
    "registration_moved",
    "/lti",
    {
        "/register": "registration.register",
        "/register/invitations": "registration.invite",
        "/config/canvas.json": "registration.canvas_json",
        "/config/moodle": "registration.moodle",
    },
    registration_limit,
)
_HOST = re.compile(r"[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


class ConfirmForm(CheckedForm):
    """The administrator's confirmation; the platform's details are fetched again on POST."""

    invite = HiddenField(validators=[DataRequired()])
    openid_configuration = HiddenField(validators=[DataRequired()])
    registration_token = HiddenField()


def _csrf_from_invitation(invite: str | None) -> None:
    """As inside launches (``web._csrf_from_launch``), the CSRF secret derives from the bearer
    value the page carries — here the invitation — so the confirmation works in an LMS iframe
    that drops the tool's cookie."""
    if invite:
        seed_csrf("csrf-invite", invite)


def _urls(key_set_id: str | None = None) -> kits.ToolUrls:
    return kits.tool_urls(request.url_root, key_set_id)


def _tenant_key_set(required: bool) -> str | None:
    """The ``?tenant=<key_set_id>`` of a public install page: the kits name that tenant's own
    key set. The legacy key set is never offered to a new install (it would let one
    institution's registration sign for another's LMS)."""
    key_set_id = request.args.get("tenant", "")[:64]
    if key_set_id and db.session.scalar(select(Tenant.id).where(Tenant.key_set_id == key_set_id)):
        return key_set_id
    if required or key_set_id:
        raise NotFoundError(
            "This install link names no institution known to Career Credit."
            if key_set_id
            else "The Canvas configuration is per institution: the link must name one.",
            hint="Copy the link from Career Credit's administration pages (Install in another "
            "LMS), or "
            "ask the operator for 'flask --app lti_tool registration show-config --lms canvas "
            "--tenant NAME'.",
            reason="no_tenant",
        )
    return None


@bp.before_request
@OLD_ADDRESSES.before_request
def _framable_by_platform() -> None:
    # Canvas shows the registration page in an iframe of the institution's own domain, which
    # the tool cannot know in advance; the page needs a valid invitation to do anything.
    if request.endpoint in (
        "registration.register",
        "registration.register_confirm",
        "registration_moved.register",
    ):
        origins = ["https:"]
        config_url = request.values.get("openid_configuration", "")
        try:
            parts = urlsplit(config_url)
        except ValueError:  # "http://[": not a URL; the view refuses it
            parts = None
        # only a plain host[:port] goes into the header (no ";", spaces or quotes)
        if parts and parts.scheme in ("http", "https") and _HOST.fullmatch(parts.netloc):
            origins.append(f"{parts.scheme}://{parts.netloc}")
        g.frame_origins = origins


@bp.app_context_processor
def _admin_helpers() -> dict[str, Any]:
    def install_kit() -> dict[str, Any]:
        key_set_id = services.tenant_key_set_id(current_launch().tenant_id)
        urls = _urls(key_set_id)
        return {"urls": urls, "values": kits.moodle_values(urls), "key_set_id": key_set_id}

    return {"registration_invite_form": ButtonForm, "install_kit": install_kit}


@bp.get("/register")
@public
@rate_limited(registration_limit)
def register() -> ResponseReturnValue:
    args = request.args
    _csrf_from_invitation(args.get("invite"))
    preview = services.preview_registration(
        args.get("invite"),
        args.get("openid_configuration"),
        args.get("registration_token"),
        _urls(),
        allow_private=netguard.allow_private_hosts(netguard.REGISTRATION_SETTINGS),
    )
    form = ConfirmForm(
        formdata=None,
        data={
            "invite": args.get("invite"),
            "openid_configuration": args.get("openid_configuration"),
            "registration_token": args.get("registration_token", ""),
        },
    )
    return render_template("registration/confirm.html", preview=preview, form=form)


@bp.post("/register")
@csrf.exempt  # checked by the form, against the invitation-derived secret
@public
@rate_limited(registration_limit)
def register_confirm() -> ResponseReturnValue:
    _csrf_from_invitation(request.form.get("invite"))
    form = ConfirmForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            raise CSRFError(form.csrf_token.errors[0])
        raise services.DynamicRegistrationError(
            "The confirmation was incomplete.", reason="form_invalid"
        )
    try:
        outcome = services.register_with_platform(
            form.invite.data,
            form.openid_configuration.data,
            form.registration_token.data or None,
            _urls(),
            allow_private=netguard.allow_private_hosts(netguard.REGISTRATION_SETTINGS),
        )
    except AppError:
        refuse()  # nothing of a refused registration stays, whatever the error page reads
        raise
    return render_template("registration/done.html", outcome=outcome)


@bp.post("/register/invitations")
@requires("admin", tool_admin=True)
def invite() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        raise services.DynamicRegistrationError(
            "The request was incomplete.", reason="form_invalid"
        )
    invitation, token = services.create_invitation(ctx.actor)
    return render_template(
        "registration/invited.html",
        url=services.registration_url(_urls(), token),
        invitation=invitation,
    )


@bp.get("/config/canvas.json")
@public
@rate_limited(registration_limit)
def canvas_json() -> ResponseReturnValue:
    urls = _urls(_tenant_key_set(required=True))
    return public_json(json.dumps(kits.canvas_developer_key(urls), indent=2))


@bp.get("/config/moodle")
@public
@rate_limited(registration_limit)
def moodle() -> ResponseReturnValue:
    key_set_id = _tenant_key_set(required=False)
    urls = _urls(key_set_id)
    return render_template(
        "registration/moodle.html",
        values=kits.moodle_values(urls),
        urls=urls,
        key_set_id=key_set_id,
    )
