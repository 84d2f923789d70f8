"""LTI endpoints: third-party initiated login, launch, JWKS, and the deep-linking picker."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from .. import csp
from ..auth import current_launch, keep_claims, public, requires
from ..context import MESSAGE_TYPE
from ..errors import LaunchError, NotFoundError
from ..extensions import csrf, db
from ..home import landing_endpoint
from ..keys import jwks, tenant_jwks
from ..models import Tenant
from ..ratelimit import lti_limit, lti_person_limit, rate_limited
from ..tenants import set_up_tenant
from ..unit_of_work import commit_now
from ..web import public_json
from . import deep_linking, frame_origins, landing, service_hosts
from .launch import CookiesBlockedError, StorageCheckNeeded, ToolMessageLaunch
from .launches import record_launch
from .login import login

bp = Blueprint("lti", __name__, url_prefix="/lti")


def _framed() -> bool:
    return request.headers.get("Sec-Fetch-Dest") in ("iframe", "frame")


def _framing_origin() -> str | None:
    """The origin of the page that posted the login or launch. The tool's own storage-check
    form (``lti/storage_launch.html``) carries the origin its launch POST came from. Set by the
    browser, or by whoever posts: it decides which page is shown and what the admin page
    offers, never what is allowed."""
    origin = csp.normal_origin(request.headers.get("Origin"))
    if origin is not None and origin == csp.normal_origin(request.host_url):
        origin = csp.normal_origin(request.form.get("lti_frame_origin"))
    return origin


def _open_exchange_page_to_unknown_framer() -> None:
    """The login and launch exchange's own pages (platform storage, new window) hold nothing
    for the page around them and offer no action but continuing: framed by an origin the
    request's registration does not know, they may be framed by any, so the person sees them
    rather than the browser's "refused to connect". Framed by a known origin, or not framed,
    the strict list stays."""
    if not _framed():
        return
    from ..web import _request_platform

    origin = _framing_origin()
    platform = _request_platform()
    known = csp.exchange_origins(*platform) if platform else []
    if origin is None or origin not in known:
        g.frame_origins = ["*"]


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@public
@rate_limited(lti_limit, per_person=lti_person_limit)
def oidc_login() -> ResponseReturnValue:
    params = request.values.to_dict()
    response = login(params, url_for("lti.launch", _external=True))
    if response.status_code == 200:  # the platform-storage page, shown in the LMS frame
        _open_exchange_page_to_unknown_framer()
    return response


@bp.post("/launch")
@csrf.exempt
@public
@rate_limited(lti_limit, per_person=lti_person_limit)
def launch() -> ResponseReturnValue:
    message = ToolMessageLaunch()
    try:
        message.validate()
    except StorageCheckNeeded as need:
        _open_exchange_page_to_unknown_framer()
        return render_template(
            "lti/storage_launch.html",
            target=need.target,
            origin=need.origin,
            id_token=request.form.get("id_token", ""),
            state=request.form.get("state", ""),
            frame_origin=_framing_origin() or "",
        )
    except CookiesBlockedError as blocked:
        _open_exchange_page_to_unknown_framer()
        return render_template(
            "lti/new_window.html", restart_url=blocked.restart_url, reason=blocked.reason
        ), 400
    except LaunchError:
        commit_now()  # keep the consumed state and any deployment recorded for approval
        raise
    reg = message.registration
    framing = _framing_origin()
    frame_origins.learn_from_launch(reg, message.body, framing)
    service_hosts.learn_from_launch(reg, message.body)
    if _framed() and framing is not None and not frame_origins.frames_tenant(reg, framing):
        # The LMS page around this launch is on an origin the tenant does not allow: the real
        # page would be refused by the browser. This page (no personal data, one link) may be
        # framed by any origin; every other page keeps the tenant's list.
        frame_origins.record_seen(reg, framing)
        g.frame_origins = ["*"]
        return render_template(
            "lti/unknown_origin.html",
            restart_url=message.restart_url(),
            frame_origin=framing,
            reason="unknown_frame_origin",
        )
    record = record_launch(reg, message.body, current_app.config["LTI_LAUNCH_LIFETIME_S"])
    set_up_tenant(reg.tenant_id)  # the domains' built-ins, for tenants older than a hook
    lid = record.id
    session["lid"] = lid
    session.permanent = True
    if message.body.get(MESSAGE_TYPE) == "LtiDeepLinkingRequest":
        return redirect(url_for("lti.deep_link", lid=lid), code=303)  # its picker posts to itself
    placement = keep_claims(lid, record.message)["placement"]
    return landing.page(landing_endpoint(record.role, placement), lid)


@bp.get("/launch")
@public
@rate_limited(lti_limit)
def launch_get() -> ResponseReturnValue:
    raise LaunchError(
        "The launch endpoint only accepts the LMS's form POST.",
        reason="not_a_launch",
        hint="Open Career Credit from your course in the LMS.",
    )


def _key_set_response(key_set: dict) -> ResponseReturnValue:
    return public_json(current_app.json.dumps(key_set))


@bp.get("/jwks")
@public
@rate_limited(lti_limit)
def key_set() -> ResponseReturnValue:
    """The installation's legacy key set (tenants registered before keys were per tenant)."""
    return _key_set_response(jwks())


@bp.get("/jwks/<key_set_id>")
@public
@rate_limited(lti_limit)
def tenant_key_set(key_set_id: str) -> ResponseReturnValue:
    """One tenant's key set: the only keys its LMS should trust."""
    tenant = db.session.scalar(select(Tenant).where(Tenant.key_set_id == key_set_id[:64]))
    if tenant is None:
        raise NotFoundError(
            "There is no key set at this address.",
            hint="Copy the key set URL from Career Credit's administration pages or from "
            "'flask --app lti_tool registration show-config --tenant NAME'.",
        )
    return _key_set_response(tenant_jwks(tenant))  # reads only: the key is made with the tenant


@bp.route("/deep_link", methods=["GET", "POST"])
@requires("faculty", write=True)
def deep_link() -> ResponseReturnValue:
    ctx = current_launch()
    if not ctx.is_deep_linking:
        raise LaunchError(
            "This page is only reached from the LMS's 'add content' dialog.",
            reason="not_deep_linking",
        )
    form = deep_linking.PickerForm()
    if form.validate_on_submit():
        return deep_linking.response_page(ctx, form.chosen(), url_for("lti.launch", _external=True))
    return render_template("lti/deep_link.html", form=form)
