"""Demo data for ``make run`` and the sandbox: eight employers and thirty listings in every
status; the sandbox's people as tool users with profiles; applications and engagements in every
state, with hour logs, deliverables, reflections and supervisor evaluations. Idempotent:
listings are keyed by source ``import`` and a ``demo-…`` external id, applications by listing
and student, and a second run changes nothing.

The content is data (``internships/data/demo_listings.json`` and ``demo_work.json``, read by
``content``); ``listings`` seeds the employers and listings, ``people`` the sandbox's people and
their profiles, ``work`` the applications and engagements, and ``history`` (loaded by the
credit demo, ``seed_history``) the earlier terms' completed engagements."""

from __future__ import annotations

from .content import LISTINGS, WORK_PLAN
from .listings import seed_listings
from .people import ensure_sandbox_people
from .work import seed_history, seed_work

__all__ = [
    "LISTINGS",
    "WORK_PLAN",
    "ensure_sandbox_people",
    "seed_history",
    "seed_listings",
    "seed_work",
]
