"""Per-request plumbing: security headers, CSP nonces, the launch id in URLs, log redaction."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from typing import Any

from flask import Flask, current_app, g, request, session, url_for
from flask.typing import ResponseReturnValue

_REDACT = re.compile(
    r"((?:lid|id_token|state|nonce|code|token|JWT|login_hint|"
    r"lti_message_hint|registration_token|invite)=)[^&\s\"]+",
    re.I,
)


class RedactFilter(logging.Filter):
    """Access logs never contain launch ids, tokens or hints."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _REDACT.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _REDACT.sub(r"\1[redacted]", record.msg)
        return True


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def launch_url(endpoint: str, **values: Any) -> str:
    """url_for that carries the launch id, so pages work when the iframe blocks cookies."""
    launch = g.get("launch")
    if launch is not None:
        values.setdefault("lid", launch.launch_id)
    return url_for(endpoint, **values)


def _request_issuer() -> str | None:
    """The platform of a login (``iss``) or launch (the id_token's unverified ``iss``): only
    to choose frame origins, never to trust anything."""
    import jwt

    issuer = request.values.get("iss")
    if not issuer and request.form.get("id_token"):
        try:
            issuer = jwt.decode(request.form["id_token"], options={"verify_signature": False}).get(
                "iss"
            )
        except (jwt.PyJWTError, AttributeError):
            issuer = None
    if not isinstance(issuer, str) or "\x00" in issuer or not issuer.isprintable():
        return None  # nothing a platform sends: no lookup (a NUL or lone surrogate fails one)
    return issuer[:500]


def _frame_ancestors(response: Any) -> str:
    """Only the tenant's platforms may frame a page: the launch's tenant, or — on the pages of
    the login and launch exchange — the tenants of the issuer that sent the request."""
    if response.status_code in (301, 302, 303, 307, 308) or response.mimetype != "text/html":
        return "'self'"  # nothing to show in a frame: skip the lookup on the hot path
    origins = g.get("frame_origins")
    if origins is None:
        from .services.registrations import issuer_origins, platform_origins

        launch = g.get("launch")
        if launch is not None:
            origins = platform_origins(launch.tenant_id)
        elif request.blueprint == "lti":  # the login and launch exchange: who is talking?
            issuer = _request_issuer()
            origins = issuer_origins(issuer) if issuer else []
        else:
            origins = []
    return " ".join(["'self'", *origins])


def _security_headers(response: Any) -> Any:
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        f"img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action *; "
        f"frame-src *; frame-ancestors {_frame_ancestors(response)}"
    )
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if g.get("launch") is not None or request.path.startswith("/lti/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _csrf_from_launch() -> None:
    """CSRF tokens inside a launch are bound to the launch, not to the session cookie: the
    secret derives from the launch id the page and its forms carry, so a form works whether or
    not the LMS iframe keeps the cookie. The launch id is a bearer value already (whoever holds
    it acts as its user), and a token of one launch does not verify for another."""
    if request.blueprint == "lti" and request.endpoint != "lti.deep_link":
        return  # the login and launch carry no launch id (and are CSRF-exempt)
    lid = request.args.get("lid") or (request.form.get("lid") if request.method == "POST" else None)
    if not lid:
        return
    key = str(current_app.config["SECRET_KEY"]).encode()
    derived = hmac.new(key, b"csrf:" + lid.encode(), hashlib.sha256).hexdigest()
    if session.get("csrf_token") != derived:
        session["csrf_token"] = derived


def _refuse_nul() -> None:
    """No person types a NUL character and PostgreSQL cannot store one in text: refuse a
    request carrying one (400) before any view reads it, rather than fail on the first write."""
    from .errors import AppError

    files = (f.filename or "" for f in request.files.values())
    if (
        "\x00" in request.path
        or any(
            "\x00" in key or "\x00" in value
            for multi in (request.args, request.form)
            for key, value in multi.items(multi=True)
        )
        or any("\x00" in name for name in files)
    ):
        raise AppError(
            "The request contained a NUL character, which no form accepts; nothing was saved.",
            hint="Remove the character (it usually comes from pasting binary data) and try again.",
            reason="invalid_characters",
        )


def init_app(app: Flask) -> None:
    """Call before CSRFProtect.init_app: the CSRF seed must run before the CSRF check."""
    app.before_request(_refuse_nul)
    app.before_request(_csrf_from_launch)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(csp_nonce=csp_nonce, lurl=launch_url)
    logging.getLogger("werkzeug").addFilter(RedactFilter())
    logging.getLogger("gunicorn.access").addFilter(RedactFilter())

    @app.context_processor
    def _launch_context() -> dict[str, Any]:
        return {"launch": g.get("launch")}

    from .auth import public

    @app.get("/healthz")
    @public
    def healthz() -> ResponseReturnValue:
        return {"status": "ok"}
