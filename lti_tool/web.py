"""Per-request plumbing: security headers, CSP nonces, the launch id in URLs, log redaction."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, g, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from . import csp_versions, form_rows, ui_marks
from .quantities import hours_text, hours_value_text
from .words import TONE_ICONS, plural, tone

# Query parameters whose values are bearer credentials: launch ids, OIDC state, nonce and
# id_token, OAuth codes, tokens, login hints, invitation tokens.
_SECRET_QUERY = re.compile(
    r"((?:lid|id_token|state|nonce|code|token|JWT|login_hint|"
    r"lti_message_hint|registration_token|invite)=)[^&\s\"]+",
    re.I,
)
# Signed links carry their capability in the path: /supervisor/<purpose>/<token>[/...] (and
# /s/<purpose>/<token>, the address of the links emailed before the area had its name).
_SECRET_PATH = re.compile(r"(/(?:supervisor|s)/[^/\s?#\"]+/)[^/\s?#&\"]+")
# Characters that end a line or drive a terminal (C0, DEL, C1, Unicode line separators); the
# first group is the colour codes werkzeug's development server wraps around its own request
# line (it escapes the request itself first), kept for its records only.
_UNSAFE = re.compile("(\x1b\\[(?:[01]|3[1-6])m)|[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    code = ord(char)
    return _NAMED_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def redact(text: str, *, keep_colour: bool = False) -> str:
    """The text safe to log: control characters escaped (one record stays one line) and bearer
    values in URLs, in the query string or a signed link's path, replaced by ``[redacted]``."""

    def escape(match: re.Match[str]) -> str:
        found = match.group(0)
        if match.group(1) and keep_colour:
            return found
        return _escape_char(found[0]) + found[1:]

    # Escape first: a value cut short at a raw newline would leave its tail unredacted.
    text = _UNSAFE.sub(escape, text)
    text = _SECRET_QUERY.sub(r"\1[redacted]", text)
    return _SECRET_PATH.sub(r"\1[redacted]", text)


def make_record_safe(record: logging.LogRecord) -> None:
    """Redact and escape a record's formatted message. A record that needed it carries the safe
    text and no arguments from here on (handlers format it as is); one that did not is left
    alone, its arguments — a tuple, or the mapping gunicorn's access log passes — intact."""
    try:
        message = record.getMessage()
        formatted = True
    except Exception:  # a format that does not fit its arguments: never dump the arguments
        message = f"{record.msg} [log arguments dropped: they do not fit the message]"
        formatted = False
    safe = redact(message, keep_colour=record.name == "werkzeug")
    if safe != message or not formatted:
        record.msg, record.args = safe, ()


class RedactFilter(logging.Filter):
    """Log lines never contain launch ids, tokens, hints or capability links, and never more
    than one line per record. ``init_app`` applies it to every record the process creates;
    the filter is there for logging configurations that name filters."""

    def filter(self, record: logging.LogRecord) -> bool:
        make_record_safe(record)
        return True


def _safe_record_factory(
    base: Callable[..., logging.LogRecord],
) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        make_record_safe(record)
        return record

    factory.career_credit_safe = True  # type: ignore[attr-defined]
    return factory


def install_log_safety() -> None:
    """Make every log record of this process safe as it is created. A record factory, not
    filters: a filter on a logger misses records its children propagate, a filter on a handler
    misses handlers configured later (gunicorn's, a logconfig, logging's last resort)."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "career_credit_safe", False):
        logging.setLogRecordFactory(_safe_record_factory(current))


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def launch_url(endpoint: str, **values: Any) -> str:
    """url_for that carries the launch id, so pages work when the iframe blocks cookies.

    A page builds a few dozen links; werkzeug's URL building was a tenth of a page's CPU. The
    address without the launch id depends only on the endpoint, its values and the application
    root, so it is built once per process (``_path_for``) and the launch id is appended, as
    url_for would append it: last, as a query argument."""
    launch = g.get("launch")
    if launch is None or "lid" in values or endpoint.startswith(".") or _special(values):
        if launch is not None:
            values.setdefault("lid", launch.launch_id)
        return url_for(endpoint, **values)
    try:
        path = _path_for(endpoint, tuple(values.items()), request.script_root)
    except TypeError:  # a value that cannot be a key (a list of repeated arguments)
        return url_for(endpoint, **values, lid=launch.launch_id)
    return f"{path}{'&' if '?' in path else '?'}lid={quote(str(launch.launch_id), safe='')}"


def configured_public_url() -> str:
    """The tool's public base URL as configured (``PUBLIC_URL``, no trailing slash), or "" when
    unset: what links made outside a request (emails from the job runner, credentials' DIDs,
    share links) are built on."""
    return str(current_app.config["PUBLIC_URL"]).strip().rstrip("/")


def _special(values: dict[str, Any]) -> bool:
    """``_external``, ``_scheme``, ``_anchor``…: addresses that depend on more than the key."""
    return any(key.startswith("_") for key in values)


@functools.lru_cache(maxsize=4096)
def _path_for(endpoint: str, items: tuple[tuple[str, Any], ...], script_root: str) -> str:
    """url_for of an endpoint and values (``script_root`` is part of the key: the same app
    behind two prefixes builds two addresses)."""
    return url_for(endpoint, **dict(items))


_MARKER = 918273645546372819


def launch_url_each(endpoint: str, key: str, **values: Any) -> Callable[[int], str]:
    """``launch_url`` for the rows of a table whose links differ only in one integer (a
    student id): the URL is built once and each row's is formatted from it (``url_for``
    cost a 300-student table a tenth of its CPU)."""
    url = launch_url(endpoint, **{key: _MARKER}, **values)
    head, found, tail = url.partition(str(_MARKER))
    if not found:  # the value does not appear as given (a converter changed it)
        return lambda value: launch_url(endpoint, **{key: value}, **values)
    return lambda value: f"{head}{int(value)}{tail}"


def _request_platform() -> tuple[str, str | None] | None:
    """The platform of a login (``iss``, ``client_id``) or launch (the id_token's unverified
    ``iss`` and ``aud``): only to choose CSP origins, never to trust anything."""
    import jwt

    issuer: Any = request.values.get("iss")
    client_id: Any = request.values.get("client_id")
    if not issuer and request.form.get("id_token"):
        try:
            claims = jwt.decode(request.form["id_token"], options={"verify_signature": False})
            issuer, client_id = claims.get("iss"), claims.get("aud")
        except (jwt.PyJWTError, AttributeError):
            issuer = None
        if isinstance(client_id, list):
            client_id = client_id[0] if len(client_id) == 1 else None
    if not _plain(issuer):
        return None  # nothing a platform sends: no lookup (a NUL or lone surrogate fails one)
    return issuer[:500], (client_id[:255] if _plain(client_id) else None)


def _plain(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and "\x00" not in value and value.isprintable()


def _csp_origins(response: Any) -> tuple[list[str], list[str]]:
    """(frame-ancestors, form-action) origins besides 'self': the tenant's platforms only —
    the launch's tenant, or on the login and launch exchange the registration the request
    names (see ``lti_tool.csp``)."""
    from . import csp

    launch = g.get("launch")
    frame = g.get("frame_origins")
    tenant: list[str] | None = None
    if launch is not None:
        tenant = csp.tenant_origins(launch.tenant_id)
    elif request.blueprint == "lti" and frame is None:
        platform = _request_platform()
        tenant = csp.exchange_origins(*platform) if platform else []
    tenant = tenant or []
    forms = list(tenant)
    deep_linking = getattr(launch, "deep_linking", None) if launch is not None else None
    if isinstance(deep_linking, dict):
        origin = csp.origin_of(deep_linking.get("deep_link_return_url"))
        if origin:
            forms.append(origin)
    if request.blueprint == "sandbox":  # the sandbox LMS posts launches to the tool
        origin = csp.origin_of(current_app.config.get("SANDBOX_TOOL_URL"))
        if origin:
            forms.append(origin)
    return (tenant if frame is None else list(frame)), list(dict.fromkeys(forms))


def _frame_src() -> str:
    if request.blueprint == "sandbox":  # the sandbox LMS frames the tool, like an LMS does
        from . import csp

        origin = csp.origin_of(current_app.config.get("SANDBOX_TOOL_URL"))
        return " ".join(["'self'", *([origin] if origin else [])])
    return "'none'"


def _security_headers(response: Any) -> Any:
    nonce = csp_nonce()
    frame_ancestors: list[str]
    form_action: list[str]
    if response.status_code in (301, 302, 303, 307, 308) or response.mimetype != "text/html":
        # nothing to show in a frame, no form: skip the lookups on the hot path
        frame_ancestors, form_action = [], []
    else:
        frame_ancestors, form_action = _csp_origins(response)
    forms = " ".join(["'self'", *form_action])
    ancestors = " ".join(["'self'", *frame_ancestors])
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
        f"img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        f"form-action {forms}; frame-src {_frame_src()}; frame-ancestors {ancestors}"
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
    from .auth import request_launch_id

    if lid := request_launch_id():  # the same launch the view will act for
        seed_csrf("csrf", lid)


def seed_csrf(purpose: str, bearer: str) -> None:
    """Derive the session's CSRF secret from a bearer value the page and its forms carry (a
    launch id, a registration invitation): a form verifies whether or not the LMS iframe keeps
    the cookie, and a token made for one value does not verify for another."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    derived = hmac.new(key, f"{purpose}:{bearer}".encode(), hashlib.sha256).hexdigest()
    if session.get("csrf_token") != derived:
        # Derived again on every request, so it need not travel in the cookie: set without
        # marking the session changed, and a page that changes nothing else sends no cookie
        # (inside an LMS iframe the browser would drop it anyway).
        changed = session.modified
        session["csrf_token"] = derived
        session.modified = changed


def public_json(text: str) -> Any:
    """A public JSON document an LMS fetches (a key set, a tool configuration), which it and
    any cache may keep for five minutes."""
    response = current_app.response_class(text, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


_FORM_TYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))


def _refuse_nul() -> None:
    """No person types a NUL character and PostgreSQL cannot store one in text: refuse a
    request carrying one (400) before any view reads it, rather than fail on the first write."""
    from .errors import AppError

    # werkzeug reads a form (and files) only from these bodies: no other request has one
    has_form = request.mimetype in _FORM_TYPES
    files = (f.filename or "" for f in request.files.values()) if has_form else ()
    if (
        "\x00" in request.path
        or any(
            "\x00" in key or "\x00" in value
            for multi in ((request.args, request.form) if has_form else (request.args,))
            for key, value in multi.items(multi=True)
        )
        or any("\x00" in name for name in files)
    ):
        raise AppError(
            "The request contained a NUL character, which no form accepts; nothing was saved.",
            hint="Remove the character (it usually comes from pasting binary data) and try again.",
            reason="invalid_characters",
        )


class KeptSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the same cookies, whose signing serializer is built once
    per secret key and fallbacks rather than twice a request (to open the session and to save
    it: ~0.03 ms of every request). A changed key or fallback list builds a new one."""

    _kept: tuple[tuple[Any, ...], Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        fallbacks = app.config["SECRET_KEY_FALLBACKS"]  # a copy: the list may change in place
        keys = (app.secret_key, tuple(fallbacks) if fallbacks else None, self.salt)
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


def init_app(app: Flask) -> None:
    """Call before CSRFProtect.init_app: the CSRF seed must run before the CSRF check."""
    if type(app.session_interface) is SecureCookieSessionInterface:  # not one set on purpose
        app.session_interface = KeptSerializerSessions()
    app.before_request(_refuse_nul)
    app.before_request(_csrf_from_launch)
    app.after_request(_security_headers)
    app.jinja_env.globals.update(csp_nonce=csp_nonce, lurl=launch_url, lurl_each=launch_url_each)
    # minutes (or hours) as hours to the quarter, the same on every page (``quantities``)
    app.jinja_env.filters.update(hours=hours_text, hours_value=hours_value_text)
    app.jinja_env.filters["plural"] = plural  # "1 student meets", "2 students meet"
    # a state's pill tone and icon (templates/_ui.html ``pill``)
    app.jinja_env.filters["tone"] = tone
    app.jinja_env.globals["TONE_ICONS"] = TONE_ICONS
    form_rows.init_app(app)  # field_row, choice_group (templates/_macros.html)
    ui_marks.init_app(app)  # icon, pill (templates/_ui.html)
    install_log_safety()
    csp_versions.install()  # the tenant's CSP origins kept per version (lti_tool.csp_versions)

    @app.context_processor
    def _launch_context() -> dict[str, Any]:
        launch = g.get("launch")
        # Inside the LMS's chrome (a launch, or the launch exchange's own pages in its frame)
        # pages show one compact header line and no footer; the header only says how to lay
        # the page out, never what it may show.
        framed = launch is not None or request.headers.get("Sec-Fetch-Dest") == "iframe"
        return {"launch": launch, "framed": framed}
