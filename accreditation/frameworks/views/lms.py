"""The frameworks blueprint's course outcomes from the LMS (faculty): authorise Career Credit in
Canvas once (OAuth2), read the course's Canvas outcomes or Moodle competencies, revoke the
authorisation.

Canvas developer keys name the OAuth redirect URI exactly, and keys made before these pages moved
from ``/outcomes`` to ``/frameworks`` name ``/outcomes/lms/canvas/callback``: that address stays
the one Career Credit gives Canvas (and shows on the Connections page), and answers with a
permanent redirect to ``/frameworks/lms/canvas/callback`` (``OLD_ADDRESSES``)."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from connectors.errors import ExternalError
from lti_tool import netguard
from lti_tool.auth import current_launch, load_launch, public, requires
from lti_tool.errors import EXPLAINED, ConnectorError, ForbiddenError, SessionExpiredError
from lti_tool.forms import ButtonForm
from lti_tool.ratelimit import public_limit, rate_limited
from lti_tool.unit_of_work import commit_now, refuse
from lti_tool.web import launch_url

from .. import canvas_auth, lms
from . import FACULTY, bp


def _callback_url() -> str:
    """The OAuth redirect URI Canvas developer keys name (see above)."""
    return url_for("frameworks_moved.canvas_callback", _external=True)


def _timeout() -> float:
    return float(current_app.config["HTTP_TIMEOUT_S"])


@bp.get("/lms")
@requires(*FACULTY)
def lms_page() -> ResponseReturnValue:
    ctx = current_launch()
    creds = lms.connector_credentials(ctx)
    return render_template(
        "frameworks/lms.html",
        canvas_ready=bool(creds and creds.canvas_url and creds.canvas_oauth_client_id),
        moodle_ready=bool(creds and creds.moodle_url and creds.moodle_ws_token),
        authorized=canvas_auth.canvas_authorized(ctx),
        frameworks=lms.course_frameworks(ctx),
        button=ButtonForm(),
    )


@bp.post("/lms/canvas/authorize")
@requires(*FACULTY, write=True)
def canvas_authorize() -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit():
        return redirect(launch_url("frameworks.lms_page"), code=303)
    url = canvas_auth.canvas_authorization_url(ctx, _callback_url())
    return redirect(url, code=303)


@bp.get("/lms/canvas/callback")
@public  # Canvas sends the browser here; the single-use state maps to the launch server-side
@rate_limited(public_limit)
def canvas_callback() -> ResponseReturnValue:
    state = request.args.get("state", "")
    if not state:
        raise ForbiddenError("Canvas's answer had no state.", reason="oauth_state")
    lid = canvas_auth.launch_id_from_state(state)
    commit_now()  # the state is used up whatever happens next
    ctx = load_launch(lid)
    if ctx is None:
        raise SessionExpiredError(
            "Your Career Credit session ended before Canvas answered.",
            hint="Open Career Credit from your course again and authorize once more.",
            reason="no_launch",
        )
    g.launch = ctx
    if ctx.role not in FACULTY:
        raise ForbiddenError("Only instructors authorize Career Credit in Canvas.", reason="role")
    if ctx.read_only:
        raise ForbiddenError(
            "Your role in this course is read-only: a teaching assistant cannot connect "
            "Career Credit to Canvas.",
            hint="Ask the course's instructor to authorize it.",
            reason="read_only",
        )
    if request.args.get("error"):
        return render_template("frameworks/canvas_done.html", declined=True), 200
    code = request.args.get("code", "")
    if not code:
        raise ForbiddenError("Canvas's answer had no authorization code.", reason="oauth_code")
    canvas_auth.finish_canvas_authorization(
        ctx, code, _callback_url(), timeout=_timeout(), session=netguard.session()
    )
    return render_template("frameworks/canvas_done.html", declined=False)


@bp.post("/lms/canvas/revoke")
@requires(*FACULTY, write=True)
def canvas_revoke() -> ResponseReturnValue:
    ctx = current_launch()
    if ButtonForm().validate_on_submit():
        revoked = canvas_auth.revoke_canvas_authorization(ctx, netguard.session())
        flash(
            "Career Credit's access to your Canvas account is revoked."
            if revoked
            else "There was no authorization to revoke.",
            "success",
        )
    return redirect(launch_url("frameworks.lms_page"), code=303)


@bp.post("/lms/read/<system>")
@requires(*FACULTY, write=True)
def lms_read(system: str) -> ResponseReturnValue:
    ctx = current_launch()
    if not ButtonForm().validate_on_submit() or system not in ("canvas", "moodle"):
        return redirect(launch_url("frameworks.lms_page"), code=303)
    try:
        if system == "canvas":
            client = canvas_auth.canvas_client(ctx, netguard.session(), timeout=_timeout())
            result = lms.read_canvas_outcomes(ctx, client)
        else:
            result = lms.read_moodle_competencies(ctx, lms.moodle_client(ctx, netguard.session()))
    except EXPLAINED as exc:
        if not isinstance(exc, (ConnectorError, ExternalError)):
            refuse()  # a ConnectorError keeps what was written: only a refreshed token
        flash(f"{exc.message} {exc.hint}", "error")
        return redirect(launch_url("frameworks.lms_page"), code=303)
    flash(
        f"Read {result.created + result.revised + result.unchanged} outcomes: "
        f"{result.created} new, {result.revised} changed, "
        f"{result.retired} no longer in the course.",
        "success",
    )
    return redirect(launch_url("frameworks.framework", framework_id=result.framework.id), code=303)
