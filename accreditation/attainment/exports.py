"""Accreditation exports: a zip for one framework, program and term range, built by a job.

The zip holds ``evidence.csv`` (every evidence row in scope), ``attainment.csv`` and
``attainment_by_term.csv``, ``coverage.csv``, ``closing_the_loop.csv``, ``sample.csv`` (a
stratified random sample of evidence), ``summary.pdf`` (tables and charts) and ``README.txt``
(what each file holds and how the sample was drawn).

**The sample.** Strata are outcome and measure (direct, indirect). Each evidence row gets the key
BLAKE2b-64(``seed:evidence id``); within each stratum the ``k`` rows with the smallest keys are
taken. Keys are uniform and independent of one another, so this is a simple random sample
without replacement per stratum (all rows when a stratum has ``k`` or fewer); the same seed and
the same evidence give the same sample, whatever order the database returns rows in.

**Pseudonyms.** With the option on, students appear as ``S-`` + the first 16 hex digits of
HMAC-SHA256(app secret, ``tenant id:user id``): stable across exports (a student keeps their
pseudonym), not reversible without the secret; names and emails are not written.

**Cells.** Every text cell goes through ``lti_tool.csvsafe``: a ``'`` before ``=``, ``+``,
``-``, ``@``, tab or carriage return where one starts the cell or follows a ``;`` or ``,``
(OWASP CSV injection).

The job row holds the counters the progress page polls; the runner streams evidence from a
server-side cursor of its own connection and writes the counters through another, so the page
sees them move. The lifecycle is the core's (``lti_tool.tasks``, kind "exports"): a job whose
runner died is claimed again (see ``is_stale``) and starts over.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from lti_tool import tasks
from lti_tool.actor import Actor
from lti_tool.context import LaunchContext
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import utcnow
from lti_tool.services import audit
from lti_tool.settings import create_private_file, make_private_dir

from . import services
from .export_zip import write_export
from .models import AttainmentExport

log = logging.getLogger("career_credit.attainment")

MAX_SAMPLE = 500
TASK_KIND = "exports"
is_stale = tasks.is_stale  # no runner is on it (the progress page restarts one)


def export_dir() -> Path:
    configured = current_app.config["ATTAINMENT_EXPORT_DIR"]
    path = Path(configured) if configured else Path(current_app.instance_path) / "exports"
    return make_private_dir(path)


# --- jobs --------------------------------------------------------------------------------------


def create_export(
    ctx: LaunchContext,
    framework_id: int,
    *,
    program: str = "",
    term_from: str = "",
    term_to: str = "",
    pseudonymize: bool = False,
    sample_per_stratum: int = 20,
    seed: str = "",
) -> AttainmentExport:
    """Queue an export for the advisor; parameters are checked now (flushes)."""
    fw = fw_services.get_framework(ctx.tenant_id, framework_id)
    services.term_range(ctx.tenant_id, term_from, term_to)
    if not 1 <= sample_per_stratum <= MAX_SAMPLE:
        raise PolicyViolationError(f"The sample size must be between 1 and {MAX_SAMPLE}.")
    job = AttainmentExport(
        tenant_id=ctx.tenant_id,
        requested_by_id=ctx.user_id,
        actor=ctx.actor.name,
        framework_id=fw.id,
        program=program[:200],
        term_from=term_from,
        term_to=term_to,
        pseudonymize=pseudonymize,
        sample_per_stratum=sample_per_stratum,
        seed=(seed.strip() or secrets.token_hex(8))[:64],
        status="queued",
    )
    db.session.add(job)
    db.session.flush()
    audit.record(ctx.actor, "attainment.export.queue", ctx.tenant_id, export_id=job.id)
    return job


def get_export(ctx: LaunchContext, export_id: int) -> AttainmentExport:
    """The advisor's own export; another person's is refused, another tenant's not found."""
    job = db.session.scalar(
        select(AttainmentExport).where(
            AttainmentExport.id == export_id, AttainmentExport.tenant_id == ctx.tenant_id
        )
    )
    if job is None:
        raise NotFoundError("That export does not exist at your institution.")
    if job.requested_by_id != ctx.user_id:
        raise ForbiddenError(
            "Only the advisor who asked for an export may see or download it.",
            hint="Ask for your own export on the exports page.",
            reason="not-owner",
        )
    return job


def recent_exports(ctx: LaunchContext, limit: int = 10) -> list[AttainmentExport]:
    """The advisor's latest exports, newest first."""
    return list(
        db.session.scalars(
            select(AttainmentExport)
            .where(
                AttainmentExport.tenant_id == ctx.tenant_id,
                AttainmentExport.requested_by_id == ctx.user_id,
            )
            .order_by(AttainmentExport.created_at.desc(), AttainmentExport.id.desc())
            .limit(limit)
        )
    )


def _progress(job_id: int, **values: Any) -> None:
    """A heartbeat with counters, in a transaction of its own (the page polls them)."""
    tasks.beat(AttainmentExport, job_id, **values)


def run_export(job_id: int) -> AttainmentExport | None:
    """Claim one export and build its zip; None when another runner has it."""
    now = utcnow()  # each claim starts the export over
    if not tasks.claim(AttainmentExport, job_id, processed=0, started_at=now):
        return None
    job = db.session.get(AttainmentExport, job_id)
    if job is None:
        return None
    secret = str(current_app.config["SECRET_KEY"])
    name = f"{secrets.token_hex(16)}.zip"
    path = export_dir() / name
    try:
        create_private_file(path)  # 0600 before the zip is written into it
        write_export(job, path, secret, lambda **v: _progress(job_id, **v))
    except Exception:  # a bug must end the job visibly, not leave it "running" for ever
        log.exception("attainment export %d failed", job_id)
        db.session.rollback()
        path.unlink(missing_ok=True)
        job = db.session.get(AttainmentExport, job_id)
        if job is None:
            return None
        db.session.refresh(job)
        job.status = "failed"
        job.error = "The export stopped before it was complete. Ask for it again."
    else:
        db.session.refresh(job)
        job.status, job.file_name, job.file_size = "done", name, path.stat().st_size
        job.step = "Finished"
    job.finished_at = utcnow()
    actor = Actor.recorded(job.tenant_id, job.actor)  # whoever asked for the export
    audit.record(actor, "attainment.export.finish", export_id=job.id, status=job.status)
    db.session.commit()
    return job


def run_queued(limit: int = 20) -> list[AttainmentExport]:
    """Run every queued (or stale) export, oldest first (the CLI and JOB_RUNNER = "off")."""
    return tasks.run_queued(TASK_KIND, limit)


STATUS_LABELS = tasks.status_labels(running="Being built", done="Ready")


def status_line(job: AttainmentExport) -> str:
    """The progress page's status line (its live region, and the progress JSON's message)."""
    step = f" · {job.step}" if job.step else ""
    return (
        f"{STATUS_LABELS[job.status]}{step}: {job.processed} of {job.total} evidence rows "
        f"({job.percent}%)."
    )


def describe(job: AttainmentExport) -> str:
    """One line about an export, for the CLI."""
    return f"export {job.id}: {job.status}, {job.processed} of {job.total} evidence rows."


def task_kind() -> tasks.TaskKind:
    """Exports as a kind of task (registered by the domain's ``register``)."""
    return tasks.TaskKind(TASK_KIND, AttainmentExport, run_export, describe, batch=20)


def file_path(job: AttainmentExport) -> Path:
    """Where a finished export's zip is."""
    if job.status != "done" or not job.file_name:
        raise NotFoundError("That export has no file yet.", hint="Wait until it has finished.")
    path = export_dir() / job.file_name
    if not path.is_file():
        raise NotFoundError("That export's file is gone.", hint="Ask for the export again.")
    return path


# --- removing files: retention and erasure ------------------------------------------------------

REMOVED_FOR_RETENTION = (
    "The file was deleted after the institution's retention period. Ask for the export again."
)
REMOVED_FOR_ERASURE = (
    "The file was deleted because a student in it asked to be erased. Ask for the export again."
)


def _remove_files(jobs: Iterable[AttainmentExport], message: str) -> int:
    base = export_dir().resolve()
    removed = 0
    for job in jobs:
        if job.file_name:
            path = (base / job.file_name).resolve()
            if path.is_relative_to(base) and path.is_file():
                path.unlink()
            removed += 1
        job.file_name, job.file_size = None, 0
        job.status, job.error = "failed", message
    db.session.flush()
    return removed


def purge_expired_exports(tenant_id: int, cutoff: dt.date) -> dict[str, int]:
    """Delete export zips finished more than ATTAINMENT_EXPORT_DAYS ago (30 by default; and never
    later than the tenant's file retention, ``cutoff``): an export is a copy of records the
    database keeps, made to be downloaded, not stored."""
    days = int(current_app.config["ATTAINMENT_EXPORT_DAYS"])
    limit = max(dt.datetime.combine(cutoff, dt.time()), utcnow() - dt.timedelta(days=days))
    jobs = db.session.scalars(
        select(AttainmentExport).where(
            AttainmentExport.tenant_id == tenant_id,
            AttainmentExport.file_name.is_not(None),
            AttainmentExport.finished_at < limit,
        )
    ).all()
    return {"attainment_exports": _remove_files(jobs, REMOVED_FOR_RETENTION)}


def erase_exports_of_student(tenant_id: int, user_id: int) -> dict[str, int]:
    """Delete every export zip of the tenant that may hold the student's evidence: those
    written since their first evidence row (an erased person must not live on in a
    download)."""
    first = db.session.scalar(
        select(func.min(Evidence.recorded_at)).where(
            Evidence.tenant_id == tenant_id, Evidence.student_id == user_id
        )
    )
    if first is None:
        return {}
    jobs = db.session.scalars(
        select(AttainmentExport).where(
            AttainmentExport.tenant_id == tenant_id,
            AttainmentExport.file_name.is_not(None),
            or_(AttainmentExport.finished_at.is_(None), AttainmentExport.finished_at >= first),
        )
    ).all()
    return {"attainment_exports": _remove_files(jobs, REMOVED_FOR_ERASURE)}
