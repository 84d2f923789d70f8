"""Issuing in the background: the tick hook and the "credentials" task kind.

The job runner's tick (``run_scheduled``, at most every ``CREDENTIALS_ISSUE_INTERVAL_S``
seconds, 60 by default, and at the next tick after an evaluation, an award or a completed
engagement is committed) issues a tenant's missing credentials itself when there are few
(``INLINE_LIMIT``); when there are more (a course's bulk award of hundreds of students) it
queues one ``CredentialBatch`` for the tenant, a task of the core's lifecycle
(``lti_tool.tasks``: claim, heartbeat, resume when its runner died) that issues them in chunks,
committing each and writing its counters as it goes. ``flask credentials issue --tenant``
runs the same task in the foreground."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.orm import Session, object_session

from credit.models import CreditAward
from internships.work.models import Engagement, SupervisorEvaluation
from lti_tool import tasks
from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import CredentialBatch
from .sync import AUTOMATIC, SyncResult, pending_by_tenant, pending_count, sync_tenant

log = logging.getLogger("career_credit.credentials")

TASK_KIND = "credentials"
INLINE_LIMIT = 20  # more than this waits for a background task with progress
CHUNK = 25  # credentials per commit and progress beat


def queue_batch(actor: Actor) -> CredentialBatch:
    """The tenant's queued or running batch, or a new one (flushes; the caller commits)."""
    tenant_id = actor.tenant
    open_batch = db.session.scalar(
        select(CredentialBatch)
        .where(
            CredentialBatch.tenant_id == tenant_id,
            CredentialBatch.status.in_((tasks.QUEUED, tasks.RUNNING)),
        )
        .order_by(CredentialBatch.id)
        .limit(1)
    )
    if open_batch is not None:  # running, or waiting for a runner (a stale one is resumed)
        return open_batch
    batch = CredentialBatch(tenant_id=tenant_id, actor=actor.name, status=tasks.QUEUED)
    db.session.add(batch)
    db.session.flush()
    return batch


def run_batch(batch_id: int) -> CredentialBatch | None:
    """Claim one batch and issue what its tenant is missing; None when another runner has it."""
    if not tasks.claim(CredentialBatch, batch_id, started_at=utcnow()):
        return None
    batch = db.session.get(CredentialBatch, batch_id)
    if batch is None:
        return None
    actor = Actor.recorded(batch.tenant_id, batch.actor)
    total = batch.processed + pending_count(batch.tenant_id)
    base = SyncResult(batch.issued, batch.revoked)
    tasks.beat(CredentialBatch, batch_id, total=total)

    def progress(result: SyncResult) -> None:
        db.session.commit()  # each chunk stands on its own: a resumed batch goes on from here
        tasks.beat(
            CredentialBatch,
            batch_id,
            processed=base.issued + base.revoked + result.issued + result.revoked,
            issued=base.issued + result.issued,
            revoked=base.revoked + result.revoked,
        )

    try:
        result = sync_tenant(actor, chunk=CHUNK, progress=progress)
    except Exception:  # a bug must end the batch visibly, not leave it "running" for ever
        log.exception("credential batch %d failed", batch_id)
        db.session.rollback()
        batch = db.session.get(CredentialBatch, batch_id)
        if batch is None:
            return None
        db.session.refresh(batch)
        batch.status, batch.error = tasks.FAILED, "Issuing stopped; it resumes at the next try."
    else:
        db.session.commit()
        batch = db.session.get(CredentialBatch, batch_id)
        if batch is None:
            return None
        db.session.refresh(batch)
        batch.status = tasks.DONE
        batch.issued, batch.revoked = base.issued + result.issued, base.revoked + result.revoked
        batch.processed = batch.issued + batch.revoked
        batch.total = max(batch.total, batch.processed)
    batch.finished_at = utcnow()
    audit.record(
        actor, "credentials.batch", batch_id=batch.id, status=batch.status, issued=batch.issued
    )
    db.session.commit()
    return batch


STATUS_LABELS = tasks.status_labels(running="Issuing", done="Issued")


def status_line(batch: CredentialBatch) -> str:
    """What the batch's progress says."""
    return (
        f"{STATUS_LABELS[batch.status]}: {batch.processed} of {batch.total} credentials "
        f"({batch.percent}%)."
    )


def describe(batch: CredentialBatch) -> str:
    """One line about a batch, for the CLI."""
    return (
        f"credentials batch {batch.id}: {batch.status}, {batch.issued} issued, "
        f"{batch.revoked} revoked, {batch.processed} of {batch.total}."
    )


def task_kind() -> tasks.TaskKind:
    """Credential batches as a kind of task (registered by the area's ``register``)."""
    return tasks.TaskKind(TASK_KIND, CredentialBatch, run_batch, describe, batch=20)


def issue_due(app: Flask) -> SyncResult:
    """Every tenant's missing credentials: issued here when few, else queued as a batch and
    started on the worker pool. Commits."""
    total = SyncResult()
    for tenant_id, pending in pending_by_tenant().items():
        actor = Actor(tenant_id, AUTOMATIC)
        if pending.total <= INLINE_LIMIT:
            # not the queries of work it has none of
            result = sync_tenant(actor, kinds=pending.kinds)
            if result.issued or result.revoked:
                audit.record(
                    actor, "credentials.sync", issued=result.issued, revoked=result.revoked
                )
            db.session.commit()
            total += result
            continue
        batch = queue_batch(actor)
        db.session.commit()
        if batch.status == tasks.QUEUED or tasks.is_stale(batch):
            tasks.start(app, TASK_KIND, batch.id)  # the claim keeps it to one runner
    return total


_last_tick: dict[str, float] = {}


def run_scheduled(app: Flask) -> int:
    """The job runner's tick: issue what is missing at most every
    ``CREDENTIALS_ISSUE_INTERVAL_S`` seconds. Never raises."""
    interval = float(app.config["CREDENTIALS_ISSUE_INTERVAL_S"])
    now = time.monotonic()
    if now - _last_tick.get(app.name, -interval) < interval:
        return 0
    _last_tick[app.name] = now
    with app.app_context():
        try:
            result = issue_due(app)
        except Exception:
            db.session.rollback()
            log.exception("credential issuing failed; trying again at the next tick")
            return 0
        if result.issued or result.revoked:
            log.info("credentials: %d issued, %d revoked", result.issued, result.revoked)
        return result.issued


# What makes a credential due lifts the throttle when it is committed, so it is issued at the
# runner's next tick rather than a minute later (issuing stays idempotent either way): an
# evaluation or an award written, an award approved, an engagement completed.
def _note_due(_mapper: Any, _connection: Any, target: Any) -> None:
    if isinstance(target, Engagement) and target.status != "completed":
        return
    session = object_session(target)
    if session is not None:
        session.info["credentials_due"] = True


def _due_committed(session: Session) -> None:
    if session.info.pop("credentials_due", False):
        _last_tick.clear()
        from lti_tool.jobs import kick

        kick()


def _due_rolled_back(session: Session) -> None:
    session.info.pop("credentials_due", None)


def listen_for_due_work() -> None:
    """Install the listeners above (once per process)."""
    listeners: tuple[tuple[Any, str, Any], ...] = (
        (SupervisorEvaluation, "after_insert", _note_due),
        (CreditAward, "after_insert", _note_due),
        (CreditAward, "after_update", _note_due),
        (Engagement, "after_update", _note_due),
        (Session, "after_commit", _due_committed),
        (Session, "after_rollback", _due_rolled_back),
    )
    for target, name, listener in listeners:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
