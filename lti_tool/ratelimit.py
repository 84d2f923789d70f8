"""Rate limits (Flask-Limiter) on everything reachable without a launch: the LTI login and
launch, the key set, Dynamic Registration and the install pages, and every public page
(signed supervisor links, employer forms).

Limits count per client address (``request.remote_addr``, the real client behind ``ProxyFix``);
the LTI login and launch also count per person (``lti_person_key``: the platform and user the
message names), so a class behind one campus address is never throttled while one person
looping is.
Storage: ``RATELIMIT_STORAGE_URI`` — ``redis://…`` in production so every worker shares the
counters (``lti_tool.settings`` makes an empty one ``LTI_STATE_REDIS_URL`` when that is set,
``swept-memory://`` otherwise: process memory, ``SweptMemoryStorage``). If Redis stops
answering, the counters fall back to process memory rather than failing requests. The limits
themselves are settings (``config/default.py``).

How a module limits its pages:

- a whole blueprint of public pages: ``limited(bp)`` — every view of it gets the public limit
  (``RATELIMIT_PUBLIC``), checked before the view runs;
- one view: ``@rate_limited(lti_limit)`` (or any callable returning a limit string) under
  ``@public``.

A limited client gets 429 with the plain error page and a ``Retry-After`` header.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from flask import Flask, current_app, make_response, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from werkzeug.exceptions import TooManyRequests

F = TypeVar("F", bound=Callable[..., Any])


def _too_many_requests(exc: RateLimitExceeded) -> ResponseReturnValue:
    from .errors import _render

    response = make_response(
        _render(
            429,
            "Too many requests",
            f"Career Credit received more requests from here than it accepts ({exc.limit.limit}).",
            "Wait a minute and try again.",
            "rate_limited",
        )
    )
    if isinstance(exc, ViewLimitExceeded):
        response.headers["Retry-After"] = str(exc.retry_after)
        response.headers["X-RateLimit-Limit"] = str(exc.limit.limit.amount)
        response.headers["X-RateLimit-Remaining"] = "0"
    elif exc.response is not None:  # Retry-After and the X-RateLimit headers
        for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"):
            if name in exc.response.headers:
                response.headers[name] = exc.response.headers[name]
    return response


class SweptMemoryStorage(MemoryStorage):
    """``memory://`` without a timer thread per hit: limits' memory storage starts a thread
    (10 ms) to expire counters whenever its last one has ended, i.e. on nearly every counted
    request of a worker. Counters expire as they are read anyway; the others are swept here,
    inline, at most once a second (the limits are per minute and longer)."""

    STORAGE_SCHEME = ["swept-memory"]  # how limits registers a scheme
    SWEEP_EVERY_S = 1.0

    def __init__(self, uri: str | None = None, **options: Any) -> None:
        super().__init__(uri, **options)
        self._swept_at = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the thread per hit
        now = time.monotonic()
        if now - self._swept_at >= self.SWEEP_EVERY_S:
            self._swept_at = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


# auto_check off: only limited views pay for the check (the launch is the hot path).
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    headers_enabled=True,
    auto_check=False,
)


def _config_limit(key: str) -> Callable[[], str]:
    def limit() -> str:
        return str(current_app.config[key])

    limit.__name__ = f"{key.lower()}_limit"
    return limit


def public_limit() -> str:
    """The limit of public pages (``SUPERVISOR_RATE_LIMIT`` still overrides it)."""
    cfg = current_app.config
    return str(cfg["SUPERVISOR_RATE_LIMIT"] or cfg["RATELIMIT_PUBLIC"])


lti_limit = _config_limit("RATELIMIT_LTI")
lti_person_limit = _config_limit("RATELIMIT_LTI_PERSON")
registration_limit = _config_limit("RATELIMIT_REGISTRATION")

# What this module limited (is_limited answers from these, not from Flask-Limiter's internals).
_LIMIT_ATTRIBUTE = "rate_limit"
_limited_blueprints: set[str] = set()


def lti_person_key() -> str:
    """Who an LTI message is for, as the counter's key: the issuer and ``login_hint`` of a login
    initiation, the issuer and ``sub`` of a launch's token (read, not yet verified: the launch
    checks the signature next; a sender that varies them still meets the per-address limit).
    The client address when the message names no one."""
    token = request.form.get("id_token")
    if token:
        claims = _unverified_claims(token)
        issuer, who = claims.get("iss"), claims.get("sub")
    else:
        issuer, who = request.values.get("iss"), request.values.get("login_hint")
    if isinstance(issuer, str) and isinstance(who, str) and issuer and who:
        # Hashed: the key reaches the counters' store and Flask-Limiter's log of a breach, and
        # an LMS user id is personal data.
        person = hashlib.sha256(f"{issuer}\n{who}".encode(errors="surrogatepass")).hexdigest()[:32]
        return f"lti-person:{person}"
    return f"lti-address:{get_remote_address()}"


def _unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a compact JWT, unverified (``{}`` when it is not one)."""
    parts = token.split(".")
    if len(parts) != 3 or len(parts[1]) > 64_000:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


@functools.lru_cache(maxsize=64)
def _items(text: str) -> tuple[RateLimitItem, ...]:
    """A limit setting parsed once per process ("120 per minute;2000 per hour")."""
    return tuple(parse_many(text))


class ViewLimitExceeded(RateLimitExceeded):
    """A view's own limit (``rate_limited``) was reached: 429 with ``Retry-After``."""

    def __init__(self, item: RateLimitItem, retry_after: int) -> None:
        TooManyRequests.__init__(self, description=str(item))
        # what the 429 page names (``exc.limit.limit``), as with Flask-Limiter's own
        self.limit = SimpleNamespace(limit=item)  # type: ignore[assignment]
        self.response = None
        self.retry_after = retry_after


def _check_view(limit: Callable[[], str], per_person: Callable[[], str] | None) -> None:
    """Count the request against the view's limits, per address and (``per_person``) per
    person: the strategy Flask-Limiter configured, in the order it would (by limit), stopping
    at the first breach. Its own request machinery cost a launch ~0.15 ms per limited request.
    While the storage is unreachable, Flask-Limiter's check runs (it falls back to memory)."""
    # Flask-Limiter's own state (read defensively: a private attribute of its 3.x series)
    if getattr(limiter, "_storage_dead", True) or not limiter.enabled:
        limiter.check()
        return
    scope, prefix = request.endpoint or "", limiter._key_prefix
    checks = [(item, get_remote_address()) for item in _items(limit())]
    if per_person is not None:
        person = lti_person_key()
        checks += [(item, person) for item in _items(per_person())]
    strategy = limiter.limiter
    try:
        for item, key in sorted(checks, key=lambda check: check[0]):
            ids = (prefix, key, scope) if prefix else (key, scope)  # as Flask-Limiter keys them
            if not strategy.hit(item, *ids):
                reset_at, _left = strategy.get_window_stats(item, *ids)
                raise ViewLimitExceeded(item, max(1, int(reset_at - time.time())))
    except ViewLimitExceeded:
        raise
    except Exception:  # the storage stopped answering: Flask-Limiter falls back to memory
        limiter.check()


def rate_limited(
    limit: Callable[[], str], *, per_person: Callable[[], str] | None = None
) -> Callable[[F], F]:
    """Limit one view per client address (and, with ``per_person``, per person the LTI message
    names: ``lti_person_key``); the check runs before the view."""

    def decorate(view: F) -> F:
        # Registered with Flask-Limiter too: its check is the fallback while the storage is down
        inner = limiter.limit(limit)(view)
        if per_person is not None:
            inner = limiter.limit(per_person, key_func=lti_person_key)(inner)

        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            _check_view(limit, per_person)
            return inner(*args, **kwargs)

        setattr(checked, _LIMIT_ATTRIBUTE, limit)
        return checked  # type: ignore[return-value]

    return decorate


def limited(bp: Any) -> None:
    """Rate-limit every view of a blueprint with the public limit."""
    limiter.limit(public_limit)(bp)
    bp.before_request(limiter.check)
    _limited_blueprints.add(bp.name)


def is_limited(app: Flask, endpoint: str) -> bool:
    """Whether a route carries a limit: its own (``rate_limited``) or its blueprint's
    (``limited``)."""
    own = getattr(app.view_functions[endpoint], _LIMIT_ATTRIBUTE, None) is not None
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
    return own or blueprint in _limited_blueprints


def _touched() -> bool:
    """Whether Flask-Limiter kept state for this request: a limit checked by it (``limited``
    blueprints, the fallback of ``rate_limited``). Its context is made on first use."""
    return hasattr(request_ctx, "_limiter_request_context")


def _only_when_touched(hook: Callable[..., Any], passes: bool) -> Callable[..., Any]:
    """Flask-Limiter's after-request (headers, conditional deductions) or teardown (its state
    reset) hook, run only for a request it kept state for: for any other it would make that
    state empty, add no header and reset it (~0.02 ms of every request)."""

    @functools.wraps(hook)
    def hooked(arg: Any = None) -> Any:
        if _touched():
            return hook(arg)
        return arg if passes else None

    return hooked


def _skip_untouched(app: Any) -> None:
    """Wrap the limiter's own after-request and teardown hooks (``_only_when_touched``); a
    version that registers them otherwise keeps them as they are."""
    after = app.after_request_funcs.get(None, [])
    for i, hook in enumerate(after):
        if getattr(hook, "func", None) is getattr(Limiter, "_Limiter__inject_headers", ()):
            after[i] = _only_when_touched(hook, passes=True)
    teardown = app.teardown_request_funcs.get(None, [])
    release = getattr(limiter, "_Limiter__release_context", None)
    for i, hook in enumerate(teardown):
        if release is not None and hook == release:
            teardown[i] = _only_when_touched(hook, passes=False)


def init_app(app: Any) -> None:
    """Bind the limiter once (Redis when configured, else process memory)."""
    if "limiter" in app.extensions:
        return
    limiter.init_app(app)
    _skip_untouched(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
