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
sees them move. A job whose runner died is claimed again (see ``is_stale``) and starts over.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import heapq
import hmac
import io
import logging
import secrets
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, or_, select, update

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import FrameworkItemVersion
from internships.models import Listing
from internships.work.models import Engagement
from lti_tool import workpool
from lti_tool.context import LaunchContext
from lti_tool.csvsafe import safe_row
from lti_tool.errors import ForbiddenError, NotFoundError, PolicyViolationError
from lti_tool.extensions import db
from lti_tool.models import Course, User, utcnow
from lti_tool.services import audit
from lti_tool.settings import create_private_file, make_private_dir

from . import report_pdf, services
from .models import AttainmentExport

log = logging.getLogger("career_credit.attainment")

STALE_AFTER = dt.timedelta(minutes=2)
PROGRESS_EVERY = 5000  # evidence rows between counter updates
MAX_SAMPLE = 500


def pseudonym(secret: str, tenant_id: int, user_id: int) -> str:
    """A student's stable pseudonym (HMAC-SHA256 of the tenant and user id with the secret)."""
    digest = hmac.new(secret.encode(), f"{tenant_id}:{user_id}".encode(), hashlib.sha256)
    return "S-" + digest.hexdigest()[:16]


def sample_key(seed: str, evidence_id: int) -> int:
    """The row's random key for the sample: uniform, fixed by the seed."""
    digest = hashlib.blake2b(f"{seed}:{evidence_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


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
        actor=ctx.actor[:255],
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


def is_stale(job: AttainmentExport, now: dt.datetime | None = None) -> bool:
    """Queued with no runner on it, or running without a heartbeat for STALE_AFTER."""
    now = now or utcnow()
    beat = job.heartbeat_at or job.created_at
    return (job.status == "queued" and now - job.created_at > STALE_AFTER / 4) or (
        job.status == "running" and now - beat > STALE_AFTER
    )


def _claim(job_id: int) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(AttainmentExport)
        .where(
            AttainmentExport.id == job_id,
            or_(
                AttainmentExport.status == "queued",
                (AttainmentExport.status == "running")
                & (AttainmentExport.heartbeat_at < now - STALE_AFTER),
            ),
        )
        .values(status="running", heartbeat_at=now, processed=0, started_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def _progress(job_id: int, **values: Any) -> None:
    """Write counters in a transaction of their own (the page polls them)."""
    with db.engine.begin() as conn:
        conn.execute(
            update(AttainmentExport)
            .where(AttainmentExport.id == job_id)
            .values(heartbeat_at=utcnow(), **values)
        )


def run_export(job_id: int) -> AttainmentExport | None:
    """Claim one export and build its zip; None when another runner has it."""
    if not _claim(job_id):
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
    audit.record(
        job.actor, "attainment.export.finish", job.tenant_id, export_id=job.id, status=job.status
    )
    db.session.commit()
    return job


def run_queued(limit: int = 20) -> list[AttainmentExport]:
    """Run every queued (or stale) export, oldest first (the CLI and JOB_RUNNER = "off")."""
    now = utcnow()
    ids = list(
        db.session.scalars(
            select(AttainmentExport.id)
            .where(
                or_(
                    AttainmentExport.status == "queued",
                    (AttainmentExport.status == "running")
                    & (AttainmentExport.heartbeat_at < now - STALE_AFTER),
                )
            )
            .order_by(AttainmentExport.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    done = [run_export(job_id) for job_id in ids]
    return [job for job in done if job is not None]


def start_export(app: Flask, job_id: int) -> Future[Any] | None:
    """Build the export on the process's bounded worker pool (not with JOB_RUNNER = "off")."""
    return workpool.submit(app, run_export, job_id)


def exports_in_progress(tenant_id: int, actor: str) -> int:
    """The person's exports that are queued or running (a stale one does not count)."""
    now = utcnow()
    return int(
        db.session.scalar(
            select(func.count(AttainmentExport.id)).where(
                AttainmentExport.tenant_id == tenant_id,
                AttainmentExport.actor == actor[:255],
                or_(
                    AttainmentExport.status == "queued",
                    (AttainmentExport.status == "running")
                    & (AttainmentExport.heartbeat_at >= now - STALE_AFTER),
                ),
            )
        )
        or 0
    )


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


# --- building the zip --------------------------------------------------------------------------

EVIDENCE_HEADER = [
    "evidence_id",
    "outcome_code",
    "outcome",
    "recorded_as",
    "student",
    "student_name",
    "student_email",
    "level",
    "level_name",
    "measure",
    "method",
    "rater",
    "observed_on",
    "course",
    "term",
    "engagement_id",
    "listing",
]


def _scope(job: AttainmentExport) -> services.Scope:
    return services.Scope(
        tenant_id=job.tenant_id,
        framework_id=job.framework_id,
        program=job.program,
        terms=services.term_range(job.tenant_id, job.term_from, job.term_to),
    )


def _evidence_query(scope: services.Scope, item_ids: list[int], pseudonymize: bool) -> Any:
    att = services.attributed(
        scope,
        item_ids,
        Evidence.id.label("id"),
        Evidence.item_version_id.label("version_id"),
        Evidence.student_id.label("student_id"),
        Evidence.level.label("level"),
        Evidence.source.label("source"),
        Evidence.method.label("method"),
        Evidence.rater.label("rater"),
        Evidence.observed_at.label("observed_at"),
        Evidence.course_id.label("course_id"),
        Evidence.engagement_id.label("engagement_id"),
        rated_only=False,
    )
    people = () if pseudonymize else (User.name, User.email)
    query = (
        select(
            att.c.id,
            att.c.outcome_id,
            FrameworkItemVersion.name,
            att.c.student_id,
            att.c.level,
            att.c.source,
            att.c.method,
            att.c.rater,
            att.c.observed_at,
            func.coalesce(func.nullif(Course.label, ""), Course.title),
            Course.term_name,
            att.c.engagement_id,
            Listing.title,
            *people,
        )
        .select_from(att)
        .join(FrameworkItemVersion, FrameworkItemVersion.id == att.c.version_id)
        .outerjoin(Course, Course.id == att.c.course_id)
        .outerjoin(Engagement, Engagement.id == att.c.engagement_id)
        .outerjoin(Listing, Listing.id == Engagement.listing_id)
    )
    if not pseudonymize:
        query = query.join(User, User.id == att.c.student_id)
    return query, att


def _csv_bytes(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(safe_row(row))
    return buffer.getvalue().encode("utf-8")


def write_export(
    job: AttainmentExport, path: Path, secret: str, progress: Callable[..., None]
) -> None:
    """Write the export's zip to ``path``, reporting progress."""
    scope = _scope(job)
    fw = fw_services.get_framework(job.tenant_id, job.framework_id)
    items = services.outcomes(fw)
    by_id = {o.id: o for o in items}
    ids = [o.id for o in items] or [-1]
    query, att = _evidence_query(scope, ids, job.pseudonymize)
    total = db.session.scalar(select(func.count()).select_from(att)) or 0
    progress(total=total, step="Writing the evidence")
    k = job.sample_per_stratum
    heaps: dict[tuple[int, str], list[tuple[int, list[Any]]]] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with (
            zf.open("evidence.csv", "w", force_zip64=True) as raw,
            io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
            db.engine.connect() as conn,
        ):
            writer = csv.writer(text)
            writer.writerow(EVIDENCE_HEADER)
            result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
            done = 0
            for row in result:
                (eid, oid, recorded, sid, level, source, method, rater, observed, course) = row[:10]
                term, engagement_id, listing = row[10:13]
                outcome = by_id.get(oid)
                student = pseudonym(secret, job.tenant_id, sid) if job.pseudonymize else str(sid)
                name, email = ("", "") if job.pseudonymize else row[13:15]
                out = safe_row(
                    [
                        eid,
                        outcome.code if outcome else "",
                        outcome.name if outcome else "",
                        recorded,
                        student,
                        name,
                        email,
                        level if level is not None else "",
                        services.level_name(fw, level),
                        source,
                        method,
                        rater,
                        observed.strftime("%Y-%m-%d") if observed else "",
                        course or "",
                        term or "",
                        engagement_id or "",
                        listing or "",
                    ]
                )
                writer.writerow(out)
                stratum = heaps.setdefault((oid, source), [])
                key = -sample_key(job.seed, eid)  # a max-heap of the k smallest keys
                if len(stratum) < k:
                    heapq.heappush(stratum, (key, out))
                elif key > stratum[0][0]:
                    heapq.heapreplace(stratum, (key, out))
                done += 1
                if done % PROGRESS_EVERY == 0:
                    progress(processed=done)
            progress(processed=done, step="Computing attainment and coverage")
        report = services.attainment(scope)
        over_time = services.trend(scope)
        cover = services.coverage(scope, listing_limit=None)
        loop_notes = services.notes(job.tenant_id, fw.id)
        levels = len(fw.scale or []) or 4
        zf.writestr("attainment.csv", _attainment_csv(report, levels))
        zf.writestr("attainment_by_term.csv", _trend_csv(over_time))
        zf.writestr("coverage.csv", _coverage_csv(cover))
        zf.writestr("closing_the_loop.csv", _notes_csv(items, loop_notes))
        sample: list[list[Any]] = []
        order = {o.id: n for n, o in enumerate(items)}
        for _, stratum in sorted(heaps.items(), key=lambda kv: (order.get(kv[0][0], 0), kv[0][1])):
            sample.extend(row for _, row in sorted(stratum, key=lambda pair: -pair[0]))
        zf.writestr("sample.csv", _csv_bytes(EVIDENCE_HEADER, sample))
        progress(step="Writing the summary")
        zf.writestr(
            "summary.pdf",
            report_pdf.summary_pdf(job, report, over_time, cover, loop_notes, total),
        )
        zf.writestr("README.txt", _readme(job, fw.title, scope, total, len(sample)))


def _attainment_csv(report: services.AttainmentReport, levels: int) -> bytes:
    header = [
        "outcome_code",
        "outcome",
        "measure",
        "target_level",
        "students_assessed",
        "at_or_above_target",
        "percent_at_or_above",
        *(f"level_{n}" for n in range(1, levels + 1)),
    ]
    rows = []
    for row in report.rows:
        for measure, m in row.measures.items():
            rows.append(
                [
                    row.outcome.code,
                    row.outcome.name,
                    measure,
                    row.target,
                    m.n,
                    m.at_or_above,
                    "" if m.percent is None else m.percent,
                    *m.counts(),
                ]
            )
    return _csv_bytes(header, rows)


def _trend_csv(trend: services.Trend) -> bytes:
    rows = []
    for outcome in trend.outcomes:
        for measure in services.MEASURES:
            for term in trend.terms:
                cell = trend.cells.get(outcome.id, {}).get(measure, {}).get(term)
                if cell is not None:
                    pct = "" if cell.percent is None else cell.percent
                    rows.append(
                        [outcome.code, outcome.name, measure, term or services.NO_TERM, cell.n, pct]
                    )
    header = ["outcome_code", "outcome", "measure", "term", "students_assessed", "percent"]
    return _csv_bytes(header, rows)


def _coverage_csv(cover: services.Coverage) -> bytes:
    rows = []
    for outcome in cover.outcomes:
        total = cover.totals.get(outcome.id, 0)
        flag = "too little evidence" if cover.flagged(outcome.id) else ""
        for column in [*cover.courses, *cover.listings]:
            count = cover.cell(column.kind, column.id, outcome.id)
            if count:
                head = [outcome.code, outcome.name, column.kind, column.id or "", column.title]
                rows.append([*head, count, total, flag])
        if not total:
            rows.append([outcome.code, outcome.name, "", "", "", 0, 0, flag])
    header = [
        "outcome_code",
        "outcome",
        "column_kind",
        "column_id",
        "column",
        "rated_evidence",
        "outcome_total",
        "flag",
    ]
    return _csv_bytes(header, rows)


def _notes_csv(items: list[services.Outcome], notes: dict[int, list[Any]]) -> bytes:
    rows = [
        [o.code, o.name, n.term, n.created_at.strftime("%Y-%m-%d"), n.author, n.body]
        for o in items
        for n in notes.get(o.id, [])
    ]
    return _csv_bytes(["outcome_code", "outcome", "term", "date", "author", "note"], rows)


def _readme(
    job: AttainmentExport, title: str, scope: services.Scope, total: int, sampled: int
) -> bytes:
    terms = ", ".join(scope.terms) if scope.terms is not None else "every term"
    students = (
        "pseudonyms (HMAC-SHA256 of the user id with the application secret)"
        if job.pseudonymize
        else "ids, names and emails"
    )
    return f"""Career Credit accreditation export #{job.id}
Framework: {title}
Program: {job.program or "all students"}
Terms: {terms}
Evidence rows: {total}; sampled: {sampled}
Students: {students}

evidence.csv            every evidence row counted for the framework's outcomes (recorded
                        against the outcome, or a course outcome aligned to it); level empty =
                        rated not applicable
attainment.csv          per outcome and measure (direct, indirect): students assessed (n), the
                        number at each level (each student at the highest level reached), and
                        the number and percentage at or above the target level
attainment_by_term.csv  the same percentage per term (trend)
coverage.csv            rated evidence per outcome and course, and per outcome and listing;
                        outcomes below the framework's threshold are flagged
closing_the_loop.csv    what the program decided to change, per outcome, dated, with author
sample.csv              a stratified random sample: strata are outcome x measure; each row's
                        key is BLAKE2b-64("{job.seed}:<evidence id>") and the
                        {job.sample_per_stratum} rows with the smallest keys of each stratum are
                        taken (a simple random sample without replacement per stratum,
                        reproducible with seed {job.seed!r})
summary.pdf             the tables above with charts

A ' is put before = + - @ or a tab where one starts a text cell or follows a ; or , so
spreadsheets do not run them as formulas.
""".encode()
