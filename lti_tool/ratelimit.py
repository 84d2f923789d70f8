"""Rate limits (Flask-Limiter) on everything reachable without a launch: the LTI login and
launch, the key set, Dynamic Registration and the install pages, and every public page
(signed supervisor links, employer forms).

Limits count per client address (``request.remote_addr``, the real client behind ``ProxyFix``).
Storage: ``RATELIMIT_STORAGE_URI`` — ``redis://…`` in production so every worker shares the
counters (defaults to ``LTI_STATE_REDIS_URL`` when that is set), ``memory://`` otherwise. If
Redis stops answering, the counters fall back to process memory rather than failing requests.

How a module limits its pages:

- a whole blueprint of public pages: ``limited(bp)`` — every view of it gets the public limit
  (``RATELIMIT_PUBLIC``), checked before the view runs;
- one view: ``@rate_limited(lti_limit)`` (or any callable returning a limit string) under
  ``@public``.

A limited client gets 429 with the plain error page and a ``Retry-After`` header.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, make_response
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_qualified_name, get_remote_address

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_PUBLIC = "60 per minute;600 per day"
# Generous: a lecture hall behind one campus NAT address opens the tool at the same minute.
DEFAULT_LTI = "1000 per minute;20000 per hour"
DEFAULT_REGISTRATION = "30 per minute;300 per day"


def _too_many_requests(exc: RateLimitExceeded) -> ResponseReturnValue:
    from .errors import _render

    response = make_response(
        _render(
            429,
            "Too many requests",
            f"This address has sent more requests than Career Credit accepts ({exc.limit.limit}).",
            "Wait a minute and try again.",
            "rate_limited",
        )
    )
    if exc.response is not None:  # Retry-After and the X-RateLimit headers
        for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"):
            if name in exc.response.headers:
                response.headers[name] = exc.response.headers[name]
    return response


# auto_check off: only limited views pay for the check (the launch is the hot path).
limiter = Limiter(
    key_func=get_remote_address,
    default_limits=[],
    headers_enabled=True,
    auto_check=False,
)


def _config_limit(key: str, default: str) -> Callable[[], str]:
    def limit() -> str:
        return str(current_app.config.get(key) or default)

    limit.__name__ = f"{key.lower()}_limit"
    return limit


def public_limit() -> str:
    """The limit of public pages (``SUPERVISOR_RATE_LIMIT`` still overrides it)."""
    cfg = current_app.config
    return str(cfg.get("SUPERVISOR_RATE_LIMIT") or cfg.get("RATELIMIT_PUBLIC") or DEFAULT_PUBLIC)


lti_limit = _config_limit("RATELIMIT_LTI", DEFAULT_LTI)
registration_limit = _config_limit("RATELIMIT_REGISTRATION", DEFAULT_REGISTRATION)


def rate_limited(limit: Callable[[], str]) -> Callable[[F], F]:
    """Limit one view; the check runs before the view."""

    def decorate(view: F) -> F:
        inner = limiter.limit(limit)(view)

        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            limiter.check()
            return inner(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def limited(bp: Any) -> None:
    """Rate-limit every view of a blueprint with the public limit."""
    limiter.limit(public_limit)(bp)
    bp.before_request(limiter.check)


def is_limited(app: Flask, endpoint: str) -> bool:
    """Whether a route carries a limit (its own or its blueprint's)."""
    manager = limiter.limit_manager
    name = get_qualified_name(app.view_functions[endpoint])
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else ""
    return name in manager._decorated_limits or blueprint in manager._blueprint_limits


def init_app(app: Any) -> None:
    """Bind the limiter once (Redis when configured, else process memory)."""
    if "limiter" in app.extensions:
        return
    cfg = app.config
    if not cfg.get("RATELIMIT_STORAGE_URI"):
        cfg["RATELIMIT_STORAGE_URI"] = cfg.get("LTI_STATE_REDIS_URL") or "memory://"
    cfg.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
