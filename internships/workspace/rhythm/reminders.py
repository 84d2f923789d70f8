"""Reminder emails for what is due, sent by the job runner's tick (``run_scheduled``):

- ``agreement``: the learning agreement still not accepted ``agreement_days`` after the
  acceptance (to the student);
- ``hours``: logged hours waiting ``hours_days`` for confirmation (to the supervisor, with a
  fresh confirm-hours link);
- ``milestone``: a milestone due tomorrow and not done (to the student and the supervisor);
- ``inactive``: nothing happened on an active engagement for ``no_activity_days`` (to the
  student and the supervisor; each tick first records the tenant's quiet engagements,
  ``activity.refresh_quiet``, which the advisor's at-risk flag reads too).

The thresholds are the tenant's (``settings``). Each reminder is recorded once per kind,
subject, recipient and period (the ISO week, or the milestone's due date: ``Reminder``), in
the transaction that queues its email through the outbox, so a tick run twice, or by two
runners at once, sends it once. Set-based: per tenant, one statement finds what is due of each
kind and recipient (never sent for this period), one inserts their records; then each email
(and supervisor link) is written."""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Sequence
from typing import Any

from flask import Flask, url_for
from sqlalchemy import Select, exists, insert, select
from sqlalchemy.exc import IntegrityError

from internships.models import Listing
from internships.work.models import Engagement, HourLog
from lti_tool.actor import Actor
from lti_tool.context import day_in
from lti_tool.extensions import db
from lti_tool.models import Tenant, User, utcnow
from lti_tool.notify.mail import send_emails

from ...supervisor.links import issue_link, issue_links
from ..plan.models import Milestone
from .activity import is_quiet, refresh_quiet
from .models import Reminder
from .settings import RhythmSettings, settings_of
from .texts import reminder_text

log = logging.getLogger("career_credit.reminders")

# (kind, recipient) in the order a tick sends them
STEPS = (
    ("agreement", "student"),
    ("hours", "supervisor"),
    ("milestone", "student"),
    ("milestone", "supervisor"),
    ("inactive", "student"),
    ("inactive", "supervisor"),
)
OPEN_STATES = ("active", "submitted")
BATCH = 5000  # of one kind and recipient per tenant and tick; any more go at the next tick
ACTOR_NAME = "reminders (job runner)"

_last_tick: dict[str, float] = {}


def run_scheduled(app: Flask) -> int:
    """The job runner's tick: send what is due at most every ``REMINDERS_INTERVAL_S`` seconds.
    Links in the emails are made on ``PUBLIC_URL`` (set it: without it they name localhost).
    Never raises."""
    interval = float(app.config["REMINDERS_INTERVAL_S"])
    moment = time.monotonic()
    if moment - _last_tick.get(app.name, -math.inf) < interval:
        return 0
    _last_tick[app.name] = moment
    base = str(app.config["PUBLIC_URL"]) or "http://localhost"  # unset: links say so
    with app.test_request_context("/", base_url=base):
        try:
            sent = send_due_reminders(utcnow())
        except Exception:
            db.session.rollback()
            log.exception("reminders failed; trying again at the next tick")
            return 0
    if sent:
        log.info("reminders: %d sent", sent)
    return sent


def send_due_reminders(now: dt.datetime) -> int:
    """Record every tenant's quiet engagements, then send every reminder due at ``now``
    (naive UTC) in every tenant whose reminders are on, committing each kind's batch; returns
    how many emails were queued."""
    tenants = db.session.execute(
        select(Tenant.id, Tenant.time_zone, Tenant.settings).where(
            exists().where(Engagement.tenant_id == Tenant.id, Engagement.status.in_(OPEN_STATES))
        )
    ).all()
    sent = 0
    for tenant_id, zone, stored in tenants:
        settings = settings_of(stored)
        today = day_in(now, zone)
        refresh_quiet(int(tenant_id), settings.no_activity_days, today, now)
        db.session.commit()
        if not settings.reminders:
            continue
        for kind, recipient in STEPS:
            sent += _send(kind, recipient, int(tenant_id), settings, today, now)
            db.session.commit()
    return sent


def _period(kind: str, today: dt.date) -> str:
    if kind == "milestone":
        return (today + dt.timedelta(days=1)).isoformat()  # the due date
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def _due(
    kind: str, recipient: str, tenant_id: int, settings: RhythmSettings, today: dt.date, now: Any
) -> Select[Any]:
    """The rows due of one kind for one recipient: engagement, student, subject, address."""
    to_student = recipient == "student"
    address = User.email if to_student else Engagement.supervisor_email
    greet = User.name if to_student else Engagement.supervisor_name
    subject: Any = Engagement.id
    stmt = (
        select(
            Engagement.id.label("eid"),
            Engagement.student_id.label("sid"),
            Engagement.link_nonce.label("nonce"),
            Listing.title.label("title"),
            User.name.label("student"),
            address.label("address"),
            greet.label("greet"),
        )
        .join(Listing, Listing.id == Engagement.listing_id)
        .join(User, User.id == Engagement.student_id)
        .where(Engagement.tenant_id == tenant_id, address != "")
    )
    if kind == "agreement":
        stmt = stmt.where(
            Engagement.status == "active",
            Engagement.acknowledged_at.is_(None),
            Engagement.created_at <= now - dt.timedelta(days=settings.agreement_days),
        )
    elif kind == "hours":
        waiting = exists().where(
            HourLog.engagement_id == Engagement.id,
            HourLog.status == "pending",
            HourLog.created_at <= now - dt.timedelta(days=settings.hours_days),
        )
        stmt = stmt.where(Engagement.status.in_(OPEN_STATES), waiting)
    elif kind == "milestone":
        subject = Milestone.id
        stmt = (
            stmt.join(Milestone, Milestone.engagement_id == Engagement.id)
            .add_columns(Milestone.title.label("milestone"), Milestone.due_date.label("due"))
            .where(
                Milestone.tenant_id == tenant_id,
                Milestone.due_date == today + dt.timedelta(days=1),
                Milestone.done_at.is_(None),
                Engagement.status == "active",
            )
        )
    else:  # quiet as this tick found (refresh_quiet)
        stmt = stmt.where(Engagement.status == "active", is_quiet())
    sent_before = exists().where(
        Reminder.tenant_id == tenant_id,
        Reminder.kind == kind,
        Reminder.subject_id == subject,
        Reminder.recipient == recipient,
        Reminder.period == _period(kind, today),
    )
    return stmt.add_columns(subject.label("subject")).where(~sent_before).order_by(subject)


def _send(
    kind: str,
    recipient: str,
    tenant_id: int,
    settings: RhythmSettings,
    today: dt.date,
    now: dt.datetime,
) -> int:
    rows = db.session.execute(_due(kind, recipient, tenant_id, settings, today, now).limit(BATCH))
    due = rows.all()
    if not due:
        return 0
    period = _period(kind, today)
    try:
        db.session.execute(
            insert(Reminder),
            [
                {
                    "tenant_id": tenant_id,
                    "engagement_id": row.eid,
                    "kind": kind,
                    "subject_id": row.subject,
                    "recipient": recipient,
                    "period": period,
                    "sent_at": now,
                }
                for row in due
            ],
        )
    except IntegrityError:  # another runner sent these in the meantime
        db.session.rollback()
        return 0
    links = _links(Actor.recorded(tenant_id, ACTOR_NAME), kind, recipient, due)
    send_emails(
        tenant_id,
        [
            (row.address, *reminder_text(kind, recipient, row, link, settings), row.sid)
            for row, link in zip(due, links, strict=True)
        ],
    )
    return len(due)


def _links(actor: Actor, kind: str, recipient: str, rows: Sequence[Any]) -> list[str]:
    """What each reminder links to: the student's engagement page, or a fresh supervisor link
    (confirm hours, or the project workspace), issued in one statement."""
    if recipient == "student":
        return [url_for("work.engagement", engagement_id=r.eid, _external=True) for r in rows]
    purpose = "confirm_hours" if kind == "hours" else "workspace"
    endpoint = "supervisor.hours" if purpose == "confirm_hours" else "workspace.supervisor"
    tokens = issue_links(
        actor,
        purpose,
        [(r.eid, r.nonce, r.sid, r.address) for r in rows if r.nonce is not None],
    )
    given = iter(tokens)
    # a row bulk-inserted without a nonce gets one from issue_link (rare)
    return [
        url_for(
            endpoint,
            token=next(given)
            if r.nonce is not None
            else issue_link(actor, purpose, r.eid, r.address),
            _external=True,
        )
        for r in rows
    ]
