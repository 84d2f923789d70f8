"""Rate limiting of the public pages (signed supervisor links) with Flask-Limiter.

In-memory storage by default (one process); set RATELIMIT_STORAGE_URI (``redis://…``) when
several processes serve the app. SUPERVISOR_RATE_LIMIT sets the limit (default
"60 per minute;600 per day" per client address). A limited client gets 429 with a plain page."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

DEFAULT_LIMIT = "60 per minute;600 per day"

# auto_check off: only the blueprints that are limited pay for the check (``limited(bp)``),
# not every request of the app (the LTI launch is the hot path).
limiter = Limiter(
    key_func=get_remote_address, default_limits=[], headers_enabled=True, auto_check=False
)


def limited(bp: Any) -> None:
    """Rate-limit every view of a blueprint with the public limit."""
    limiter.limit(public_limit)(bp)
    bp.before_request(limiter.check)


def public_limit() -> str:
    return str(current_app.config.get("SUPERVISOR_RATE_LIMIT") or DEFAULT_LIMIT)


def init_app(app: Any) -> None:
    """Bind the limiter (explicit in-memory storage unless RATELIMIT_STORAGE_URI is set)."""
    if "limiter" in app.extensions:
        return
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
