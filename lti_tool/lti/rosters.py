"""The kept course roster: pages show the members the LMS listed (NRPS) when it was last read,
with their age, and never read the LMS themselves.

- ``kept_roster(ctx)``: what is kept for the launch's course; no network.
- ``show_roster(ctx)``: the same for a page, which also hands a new read to the process's work
  pool (``lti_tool.workpool``) when nothing is kept or it is older than ``ROSTER_MAX_AGE_S``
  (or was read from another memberships URL), unless a read failed within the last minute;
  the page renders at once with what is kept.
- ``refresh_roster(ctx)``: read the roster now (the Refresh roster button, the background
  read). One refresh runs per course at a time: it claims the course's row with a conditional
  UPDATE of ``refresh_started_at`` and commits the claim before calling the LMS; a claim older
  than ``CLAIM_TIMEOUT`` (its runner died) is taken over. A failed read keeps the members
  already kept and records the connector's message.
- ``forget_person`` (an erasure hook) and ``entries_about``: a person's entries in kept rosters
  are removed when they are pseudonymised or erased, and exported with their data.

A refresh is a unit of work of its own, like a job's: it commits its claim, then its result.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, replace
from typing import Any

from flask import current_app
from sqlalchemy import Text, cast, or_, select, update

from .. import workpool
from ..actor import Actor
from ..context import LaunchContext
from ..db_helpers import insert_ignoring_conflicts
from ..errors import EXPLAINED
from ..extensions import db
from ..models import Course, User, utcnow
from . import services_client
from .roster_models import RosterSnapshot
from .services_client import Member

log = logging.getLogger("career_credit.rosters")

CLAIM_TIMEOUT = dt.timedelta(minutes=5)  # a refresh claimed longer ago than this has died
# After a failed read, pages wait this long before handing over another (the button does not):
# an LMS that is down is not asked again on every page view.
RETRY_AFTER_FAILURE = dt.timedelta(minutes=1)

# Courses of this process whose read is waiting on (or running in) the pool: a page viewed
# many times while the roster is stale hands it over once.
_pending_lock = threading.Lock()
_pending: set[tuple[int, int]] = set()


@dataclass(frozen=True)
class KeptRoster:
    """A course's roster as kept: its members, when they were read, the last read's error and
    whether a read is under way."""

    members: tuple[Member, ...] = ()
    fetched_at: dt.datetime | None = None
    error: str | None = None
    error_at: dt.datetime | None = None
    refreshing: bool = False
    stale: bool = True
    now: dt.datetime | None = None

    @property
    def kept(self) -> bool:
        """Whether the LMS's roster was read at least once."""
        return self.fetched_at is not None

    @property
    def age(self) -> str:
        """How long ago the members were read, in words ("12 minutes ago")."""
        if self.fetched_at is None:
            return "never"
        return age_in_words(self.fetched_at, self.now or utcnow())

    @property
    def failed_recently(self) -> bool:
        """Whether the last read failed less than ``RETRY_AFTER_FAILURE`` ago."""
        if self.error_at is None:
            return False
        return (self.now or utcnow()) - self.error_at < RETRY_AFTER_FAILURE

    @property
    def error_age(self) -> str:
        """How long ago the last read failed, in words."""
        if self.error_at is None:
            return ""
        return age_in_words(self.error_at, self.now or utcnow())


def age_in_words(then: dt.datetime, now: dt.datetime) -> str:
    """``now - then`` in words: "just now", "1 minute ago", "3 hours ago", "2 days ago"."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _snapshot(tenant_id: int, course_id: int) -> RosterSnapshot | None:
    return db.session.scalar(
        select(RosterSnapshot).where(
            RosterSnapshot.tenant_id == tenant_id, RosterSnapshot.course_id == course_id
        )
    )


def _members(rows: Sequence[dict[str, Any]]) -> tuple[Member, ...]:
    return tuple(Member.from_json(m) for m in rows)


def kept_roster(ctx: LaunchContext) -> KeptRoster:
    """The roster kept for the launch's course (nothing kept: empty and stale). No network."""
    now = utcnow()
    row = _snapshot(ctx.tenant_id, ctx.course_id) if ctx.course_id is not None else None
    if row is None:
        return KeptRoster(now=now)
    max_age = dt.timedelta(seconds=float(current_app.config["ROSTER_MAX_AGE_S"]))
    stale = (
        row.fetched_at is None
        or now - row.fetched_at > max_age
        or (ctx.nrps_url is not None and row.memberships_url != ctx.nrps_url)
    )
    claimed = row.refresh_started_at
    return KeptRoster(
        members=_members(row.members or []),
        fetched_at=row.fetched_at,
        error=row.last_error,
        error_at=row.error_at,
        refreshing=claimed is not None and now - claimed < CLAIM_TIMEOUT,
        stale=stale,
        now=now,
    )


def show_roster(ctx: LaunchContext) -> KeptRoster:
    """The kept roster for a page: when it is missing or stale and no read is under way, a read
    is handed to the work pool (``refreshing`` then says so); the page never waits for it."""
    kept = kept_roster(ctx)
    if not ctx.nrps_url or ctx.course_id is None or not kept.stale or kept.refreshing:
        return kept
    if kept.failed_recently:
        return kept
    return replace(kept, refreshing=refresh_later(ctx) is not None)


def refresh_later(ctx: LaunchContext) -> Future[Any] | None:
    """Hand a read of the course's roster to the process's work pool (once per course while one
    waits); None when none was handed over (``JOB_RUNNER = "off"``, or one already waits)."""
    if ctx.course_id is None:
        return None
    key = (ctx.tenant_id, ctx.course_id)
    with _pending_lock:
        if key in _pending:
            return None
        _pending.add(key)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    future = workpool.submit(app, _refresh_in_background, ctx)
    if future is None:
        _forget_pending(key)
        return None
    future.add_done_callback(lambda _done: _forget_pending(key))
    return future


def _forget_pending(key: tuple[int, int]) -> None:
    with _pending_lock:
        _pending.discard(key)


def _refresh_in_background(ctx: LaunchContext) -> str:
    try:
        return refresh_roster(ctx)
    except Exception:
        log.exception("roster refresh of course %s failed", ctx.course_id)
        raise


@dataclass(frozen=True)
class _Source:
    tenant_id: int
    course_id: int
    registration_id: int
    memberships_url: str


def refresh_roster(ctx: LaunchContext) -> str:
    """Read the course's roster from the LMS now and keep it: "refreshed", "failed" (the error
    is kept with the members already kept), "busy" (another read is under way) or
    "unavailable" (the launch names no roster). Commits its claim before calling the LMS and
    its result after."""
    if not ctx.nrps_url or ctx.course_id is None:
        return "unavailable"
    source = _Source(ctx.tenant_id, ctx.course_id, ctx.registration_id, ctx.nrps_url)
    return _refresh(source)


def _refresh(source: _Source) -> str:
    claimed_at = _claim(source)
    db.session.commit()  # the claim is seen by every other process before the LMS is called
    if claimed_at is None:
        return "busy"
    try:
        members = services_client.roster(source.registration_id, source.memberships_url)
    except EXPLAINED as exc:
        _finish(source, claimed_at, last_error=exc.message[:2000], error_at=utcnow())
        db.session.commit()
        log.info("roster of course %s not read: %s", source.course_id, type(exc).__name__)
        return "failed"
    except BaseException:
        db.session.rollback()
        _finish(source, claimed_at)  # released, so the next page or button may try again
        db.session.commit()
        raise
    _finish(
        source,
        claimed_at,
        members=[_member_json(m) for m in members],
        fetched_at=utcnow(),
        memberships_url=source.memberships_url,
        registration_id=source.registration_id,
        last_error=None,
        error_at=None,
    )
    db.session.commit()
    return "refreshed"


def _member_json(member: Member) -> dict[str, Any]:
    data = asdict(member)
    data["roles"] = list(member.roles)
    return data


def _claim(source: _Source) -> dt.datetime | None:
    """Claim the course's refresh (its row written first if there is none): the claim's time,
    or None when another fresh claim holds it. Flushes."""
    db.session.execute(
        insert_ignoring_conflicts(RosterSnapshot, ("tenant_id", "course_id")),
        {
            "tenant_id": source.tenant_id,
            "course_id": source.course_id,
            "registration_id": source.registration_id,
            "memberships_url": source.memberships_url,
            "members": [],
        },
    )
    now = utcnow()
    result = db.session.execute(
        update(RosterSnapshot)
        .where(
            RosterSnapshot.tenant_id == source.tenant_id,
            RosterSnapshot.course_id == source.course_id,
            or_(
                RosterSnapshot.refresh_started_at.is_(None),
                RosterSnapshot.refresh_started_at < now - CLAIM_TIMEOUT,
            ),
        )
        .values(refresh_started_at=now)
        .execution_options(synchronize_session=False)
    )
    return now if getattr(result, "rowcount", 0) == 1 else None


def _finish(source: _Source, claimed_at: dt.datetime, **values: Any) -> None:
    """End the claim with ``values``; nothing is written when the claim was taken over (a
    newer read owns the row now). Flushes."""
    db.session.execute(
        update(RosterSnapshot)
        .where(
            RosterSnapshot.tenant_id == source.tenant_id,
            RosterSnapshot.course_id == source.course_id,
            RosterSnapshot.refresh_started_at == claimed_at,
        )
        .values(refresh_started_at=None, **values)
        .execution_options(synchronize_session=False)
    )


def refresh_course(actor: Actor, course_id: int | None = None) -> dict[str, int]:
    """Read again the kept rosters of the actor's tenant (one course, or every course with one
    kept), from the memberships URL each was last read from: counts by outcome."""
    query = select(
        RosterSnapshot.course_id, RosterSnapshot.registration_id, RosterSnapshot.memberships_url
    ).where(RosterSnapshot.tenant_id == actor.tenant)
    if course_id is not None:
        query = query.where(RosterSnapshot.course_id == course_id)
    sources = [_Source(actor.tenant, *row) for row in db.session.execute(query).all()]
    db.session.rollback()
    counts: dict[str, int] = {}
    for source in sources:
        outcome = _refresh(source)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


# --- a person's entries (data rights) -------------------------------------------------------------


def _rosters_naming(user: User) -> list[RosterSnapshot]:
    """The kept rosters of the person's LMS in their tenant that list their LMS user id."""
    return list(
        db.session.scalars(
            select(RosterSnapshot)
            .join(Course, Course.id == RosterSnapshot.course_id)
            .where(
                RosterSnapshot.tenant_id == user.tenant_id,
                Course.issuer == user.issuer,
                # the stored JSON text names the id as json.dumps writes it; checked exactly below
                cast(RosterSnapshot.members, Text).contains(json.dumps(user.sub), autoescape=True),
            )
            .order_by(RosterSnapshot.id)
        )
    )


def entries_about(user: User) -> list[dict[str, Any]]:
    """The person's entries in kept rosters (course, when read, the entry): for their export."""
    return [
        {"course_id": row.course_id, "read_at": row.fetched_at, "entry": member}
        for row in _rosters_naming(user)
        for member in row.members or []
        if str(member.get("user_id", "")) == user.sub
    ]


def forget_person(tenant_id: int, user_id: int) -> dict[str, int]:
    """Erasure hook: remove the person's entries from every kept roster of their tenant (the
    other members stay). The LMS lists them again on its next read while it still enrols
    them, as a read of the LMS on the page would. Flushes; counts only."""
    user = db.session.get(User, user_id)
    if user is None or user.tenant_id != tenant_id:
        return {}
    removed = 0
    for row in _rosters_naming(user):
        kept = [m for m in row.members or [] if str(m.get("user_id", "")) != user.sub]
        if len(kept) != len(row.members or []):
            removed += len(row.members or []) - len(kept)
            row.members = kept
    db.session.flush()
    return {"roster_entries": removed}
