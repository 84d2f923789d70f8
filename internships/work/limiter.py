"""Rate limiting of the public pages (signed supervisor links, employer forms): the core's
limiter (``lti_tool.ratelimit``), re-exported so this package's blueprints say
``limited(bp)``.

``limited(bp)`` gives every view of a blueprint the public limit (``RATELIMIT_PUBLIC``, default
"60 per minute;600 per day" per client address; ``SUPERVISOR_RATE_LIMIT`` still overrides it).
A limited client gets 429 with the plain error page. Storage is ``RATELIMIT_STORAGE_URI``
(``redis://…`` when several processes serve the app)."""

from __future__ import annotations

from lti_tool.ratelimit import init_app, limited, limiter, public_limit

__all__ = ["init_app", "limited", "limiter", "public_limit"]
