"""A task's lifecycle, the same for every kind: claim with a heartbeat, resume of a task whose
runner died, counters written as the work goes, the per-person count of tasks in progress.

``model`` is the kind's table (an ``ImportJob``, an ``AttainmentExport``…): any mapped class
with ``id``, ``tenant_id``, ``actor``, ``status``, ``created_at`` and ``heartbeat_at``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update

from ..actor import Actor
from ..extensions import db
from ..models import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
STALE_AFTER = dt.timedelta(minutes=2)


def status_labels(*, running: str, done: str) -> dict[str, str]:
    """What a kind's pages call each state: its own words for running and done."""
    return {QUEUED: "Waiting to start", RUNNING: running, DONE: done, FAILED: "Stopped"}


def unattended(model: Any, now: dt.datetime) -> ColumnElement[bool]:
    """Queued, or running without a heartbeat for STALE_AFTER: what a runner may claim."""
    return or_(
        model.status == QUEUED,
        (model.status == RUNNING) & (model.heartbeat_at < now - STALE_AFTER),
    )


def is_stale(job: Any, now: dt.datetime | None = None) -> bool:
    """Queued with no runner on it yet, or running without a heartbeat for STALE_AFTER: no
    runner is on it."""
    now = now or utcnow()
    beat_at = job.heartbeat_at or job.created_at
    return (job.status == QUEUED and now - job.created_at > STALE_AFTER / 4) or (
        job.status == RUNNING and now - beat_at > STALE_AFTER
    )


def claim(model: Any, task_id: int, **values: Any) -> bool:
    """Take the task for this runner (status running, a heartbeat now, and ``values``) if no
    other runner has it; commits, so the claim holds before the work starts."""
    now = utcnow()
    result = db.session.execute(
        update(model)
        .where(model.id == task_id, unattended(model, now))
        .values(status=RUNNING, heartbeat_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def beat(model: Any, task_id: int, **values: Any) -> None:
    """A heartbeat with counters, in a transaction of its own (the progress page polls them
    while the runner's own transaction is still open)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(model).where(model.id == task_id).values(heartbeat_at=utcnow(), **values)
        )


def due_ids(model: Any, limit: int) -> list[int]:
    """The ids of the queued (or stale) tasks of a kind, oldest first; ends the read
    transaction, so each task is then claimed in its own."""
    ids = list(
        db.session.scalars(
            select(model.id).where(unattended(model, utcnow())).order_by(model.id).limit(limit)
        )
    )
    db.session.rollback()
    return ids


def count_in_progress(actor: Actor, model: Any) -> int:
    """The person's tasks of a kind that are queued or running (a stale one does not count)."""
    now = utcnow()
    return int(
        db.session.scalar(
            select(func.count(model.id)).where(
                model.tenant_id == actor.tenant,
                model.actor == actor.name,
                or_(
                    model.status == QUEUED,
                    (model.status == RUNNING) & (model.heartbeat_at >= now - STALE_AFTER),
                ),
            )
        )
        or 0
    )
