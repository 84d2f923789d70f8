"""The student's calendar feed: a private, revocable address (only the SHA-256 of its token is
kept) serving an iCalendar of the student's milestone due dates, their engagements' start and
end, and the dates other domains add (``register_calendar_source``: the credit policy's
deadlines come from ``credit``, which this area may not import)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask.sansio.app import App
from icalendar import Calendar, Event
from sqlalchemy import bindparam, select

from internships.work.models import Engagement
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import CalendarFeed, Milestone

# engagements whose dates a feed shows
FEED_STATUSES = ("active", "submitted", "completed")


@dataclass(frozen=True)
class CalendarDate:
    """One all-day entry of a feed: ``key`` is stable (the event's UID), ``day`` its date."""

    key: str
    summary: str
    day: dt.date
    description: str = ""


# (tenant_id, student_id) -> the entries a domain adds to the student's feed
CalendarSource = Callable[[int, int], Iterable[CalendarDate]]


def register_calendar_source(app: App, name: str, source: CalendarSource) -> None:
    """Add a domain's dates to every student's calendar feed (called from its ``register``)."""
    app.extensions.setdefault("workspace_calendar_sources", {})[name] = source


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _active_statement(only_id: bool = False) -> Any:
    """The student's calendar address in use (or only its id), built once: a request binds
    ``tenant_id`` and ``student_id``."""
    return select(CalendarFeed.id if only_id else CalendarFeed).where(
        CalendarFeed.tenant_id == bindparam("tenant_id"),
        CalendarFeed.student_id == bindparam("student_id"),
        CalendarFeed.revoked_at.is_(None),
    )


def active_feed(tenant_id: int, student_id: int) -> CalendarFeed | None:
    """The student's calendar address in use, or None."""
    params = {"tenant_id": tenant_id, "student_id": student_id}
    return db.session.scalar(_active_statement(), params)


def feed_in_use() -> Any:
    """Whether the student has a calendar address in use, as a column (bound per request:
    ``tenant_id``, ``student_id``): the student's home reads it with the student's work
    (``timeline.student_work``), not in a statement of its own."""
    return _active_statement(True).exists()


def revoke_feed(actor: Actor, student_id: int) -> bool:
    """The student's calendar address stops working; whether there was one."""
    feed = active_feed(actor.tenant, student_id)
    if feed is None:
        return False
    feed.revoked_at = utcnow()
    db.session.flush()
    audit.record(actor, "workspace.calendar_revoked", student_id=student_id)
    return True


def new_feed(actor: Actor, student_id: int) -> str:
    """A new calendar address for the student (the old one stops working): its token, which
    is shown once and never stored."""
    revoke_feed(actor, student_id)
    token = secrets.token_urlsafe(32)
    db.session.add(
        CalendarFeed(tenant_id=actor.tenant, student_id=student_id, token_hash=hash_token(token))
    )
    db.session.flush()
    audit.record(actor, "workspace.calendar_created", student_id=student_id)
    return token


def feed_by_token(token: str) -> CalendarFeed | None:
    """The calendar address a token opens, or None (unknown or revoked)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
        )
    )


def feed_dates(tenant_id: int, student_id: int) -> list[CalendarDate]:
    """Every date of the student's feed: milestones, engagement start and end, and what the
    registered sources add."""
    engagements = list(
        db.session.scalars(
            select(Engagement)
            .where(
                Engagement.tenant_id == tenant_id,
                Engagement.student_id == student_id,
                Engagement.status.in_(FEED_STATUSES),
            )
            .order_by(Engagement.id)
        )
    )
    dates: list[CalendarDate] = []
    for engagement in engagements:
        title = engagement.listing.title
        if engagement.start_date:
            dates.append(
                CalendarDate(
                    f"engagement-{engagement.id}-start", f"Start: {title}", engagement.start_date
                )
            )
        if engagement.end_date:
            dates.append(
                CalendarDate(
                    f"engagement-{engagement.id}-end", f"End: {title}", engagement.end_date
                )
            )
    dates.extend(_milestone_dates(tenant_id, {e.id: e.listing.title for e in engagements}))
    sources = current_app.extensions.get("workspace_calendar_sources", {})
    for name in sorted(sources):
        dates.extend(sources[name](tenant_id, student_id))
    return sorted(dates, key=lambda d: (d.day, d.key))


def _milestone_dates(tenant_id: int, titles: dict[int, str]) -> list[CalendarDate]:
    if not titles:
        return []
    rows = db.session.scalars(
        select(Milestone).where(
            Milestone.tenant_id == tenant_id, Milestone.engagement_id.in_(titles)
        )
    )
    return [
        CalendarDate(
            f"milestone-{m.id}",
            f"{'Done: ' if m.done_at else 'Due: '}{m.title}",
            m.due_date,
            f"A milestone of {titles[m.engagement_id]}.",
        )
        for m in rows
    ]


def calendar_of(feed: CalendarFeed, host: str) -> bytes:
    """The feed as an iCalendar document: one all-day event per date."""
    calendar = Calendar()
    calendar.add("prodid", "-//Career Credit//Workspace plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Career Credit")
    stamp = utcnow().replace(tzinfo=dt.UTC)
    for date in feed_dates(feed.tenant_id, feed.student_id):
        event = Event()
        event.add("uid", f"{date.key}-{feed.tenant_id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", date.day)
        event.add("dtend", date.day + dt.timedelta(days=1))
        event.add("summary", date.summary)
        event.add("transp", "TRANSPARENT")
        if date.description:
            event.add("description", date.description)
        calendar.add_component(event)
    return bytes(calendar.to_ical())
