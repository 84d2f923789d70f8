"""Import jobs: a long listing or SIS import runs in the background while the advisor's page
shows its progress.

The job row holds the file's text (cleared when the job ends), counters, and the row-by-row
report. A runner claims a queued job with a conditional update, imports the rows in chunks and
commits after each chunk (each row is all-or-nothing in its own savepoint), so the counters the
page polls move as it goes. The lifecycle is the core's (``lti_tool.tasks``, kind "imports"):
a job whose runner died (no heartbeat for ``STALE_AFTER``) is claimed again and resumes after
the last committed chunk; imports are idempotent (by source and external id, or by student),
so a repeated row updates rather than duplicates.

Runners: a thread of the web process that queued the job (``JOB_RUNNER`` "thread" or
"celery"), re-started when the progress page sees a stale job; with ``JOB_RUNNER = "off"``
(tests, or a cron set-up) ``flask tasks run`` (or ``flask internships jobs``) runs what is
queued."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from lti_tool import tasks
from lti_tool.actor import Actor
from lti_tool.errors import NotFoundError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit

from ..models import IMPORT_KINDS, ImportJob
from .imports import ImportFormatError, ImportReport, import_listings, read_records

log = logging.getLogger("career_credit.imports")

CHUNK = 25
TASK_KIND = "imports"
is_stale = tasks.is_stale  # no runner is on it (the progress page restarts one)


def parse(kind: str, data: bytes | str, filename: str) -> list[tuple[int, dict[str, Any]]]:
    """The records of a file for an import of ``kind``; ImportFormatError when unreadable."""
    if kind == "listings":
        return read_records(data, filename)
    if kind == "profiles":
        from ..profile.imports import csv_records

        return list(csv_records(data))
    raise ValueError(f"unknown import kind {kind!r}")


def import_records(
    actor: Actor,
    kind: str,
    records: list[tuple[int, dict[str, Any]]],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a batch of records of ``kind`` (``progress(n)`` after each); flushes."""
    if kind == "listings":
        return import_listings(actor, records, progress)
    from ..profile.imports import import_profiles

    return import_profiles(actor, records, progress)


def create_job(actor: Actor, kind: str, filename: str, text: str) -> ImportJob:
    """Queue an import; the file is read now, so an unreadable one is refused at once."""
    if kind not in IMPORT_KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    records = parse(kind, text, filename)
    if not records:
        raise ImportFormatError("The file holds no rows to import.")
    job = ImportJob(
        tenant_id=actor.tenant,
        kind=kind,
        filename=filename[:255],
        content=text,
        status="queued",
        total=len(records),
        actor=actor.name,
        results=[],
    )
    db.session.add(job)
    db.session.flush()
    audit.record(actor, "import.queue", job_id=job.id, kind=kind, rows=len(records))
    return job


def get_job(tenant_id: int, job_id: int, kind: str | None = None) -> ImportJob:
    """One import job of the tenant, else NotFoundError."""
    stmt = select(ImportJob).where(ImportJob.id == job_id, ImportJob.tenant_id == tenant_id)
    if kind is not None:
        stmt = stmt.where(ImportJob.kind == kind)
    job = db.session.scalar(stmt)
    if job is None:
        raise NotFoundError("That import does not exist at your institution.")
    return job


def recent_jobs(tenant_id: int, kind: str, limit: int = 10) -> list[ImportJob]:
    """The tenant's latest imports of ``kind``, newest first."""
    return list(
        db.session.scalars(
            select(ImportJob)
            .where(ImportJob.tenant_id == tenant_id, ImportJob.kind == kind)
            .order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
            .limit(limit)
        )
    )


def _as_dict(result: Any) -> dict[str, Any]:
    return {
        "row": result.row,
        "outcome": result.outcome,
        "key": result.external_id,
        "name": result.title,
        "reason": result.reason,
        "listing_id": result.listing_id,
        "key_source": result.key_source,
        "notes": list(result.notes),
        "draft": result.draft,
    }


def run_job(job_id: int, chunk: int = CHUNK) -> ImportJob | None:
    """Claim and run one job to the end, committing after each chunk; None when another
    runner has it (or it is finished)."""
    if not tasks.claim(ImportJob, job_id):
        return None
    job = db.session.get(ImportJob, job_id)
    if job is None:
        return None
    if job.started_at is None:
        job.started_at = utcnow()
    try:
        records = parse(job.kind, job.content, job.filename)
        for start in range(job.processed, len(records), chunk):
            report = import_records(
                Actor.recorded(job.tenant_id, job.actor), job.kind, records[start : start + chunk]
            )
            job.results = [*job.results, *(_as_dict(r) for r in report.results)]
            for outcome in ("created", "updated", "unchanged", "rejected"):
                setattr(job, outcome, getattr(job, outcome) + report.count(outcome))
            job.processed = min(len(records), start + chunk)
            job.heartbeat_at = utcnow()
            db.session.commit()
    except Exception:  # a bug must end the job visibly, not leave it "running" for ever
        log.exception("import job %d failed", job_id)
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        if job is None:
            return None
        job.status = "failed"
        job.error = (
            f"The import stopped after {job.processed} of {job.total} rows; those rows are "
            "saved. Import the same file again: rows imported already are updated, not "
            "duplicated."
        )
    else:
        job.status = "done"
    job.content = ""  # the file may hold students' records: keep only the report
    job.finished_at = utcnow()
    audit.record(
        Actor.recorded(job.tenant_id, job.actor),
        "import.finish",
        job_id=job.id,
        kind=job.kind,
        status=job.status,
        created=job.created,
        updated=job.updated,
        rejected=job.rejected,
    )
    db.session.commit()
    return job


def run_queued(limit: int = 100) -> list[ImportJob]:
    """Run every queued (or stale) import, oldest first (the CLI and JOB_RUNNER = "off")."""
    return tasks.run_queued(TASK_KIND, limit)


STATUS_LABELS = tasks.status_labels(running="Importing", done="Finished")


def status_line(job: ImportJob) -> str:
    """The progress page's status line (its live region, and the progress JSON's message)."""
    return (
        f"{STATUS_LABELS[job.status]}: {job.processed} of {job.total} rows ({job.percent}%) — "
        f"{job.created} created, {job.updated} updated, {job.rejected} rejected."
    )


def describe(job: ImportJob) -> str:
    """One line about an import, for the CLI."""
    return (
        f"import {job.id} ({job.kind}, {job.filename}): {job.status}, {job.created} "
        f"created, {job.updated} updated, {job.rejected} rejected."
    )


def task_kind() -> tasks.TaskKind:
    """Imports as a kind of task (registered by the domain's ``register``)."""
    return tasks.TaskKind(TASK_KIND, ImportJob, run_job, describe, batch=100)
