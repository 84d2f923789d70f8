"""Building an accreditation export's zip (see ``exports`` for the files it holds, the sample,
the pseudonyms and the cells): the evidence streamed from a server-side cursor into
``evidence.csv`` while the sample is drawn, then the attainment, trend, coverage and notes CSVs,
the summary PDF and the README."""

from __future__ import annotations

import hashlib
import heapq
import hmac
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from accreditation.evidence.models import Evidence
from accreditation.frameworks import services as fw_services
from accreditation.frameworks.models import Framework, FrameworkItemVersion
from internships.models import Listing
from internships.work.models import Engagement
from lti_tool.csvsafe import ENCODING, csv_bytes, csv_lines
from lti_tool.extensions import db
from lti_tool.models import Course, User

from . import report_pdf, services
from .models import AttainmentExport

PROGRESS_EVERY = 5000  # evidence rows between counter updates


def pseudonym(secret: str, tenant_id: int, user_id: int) -> str:
    """A student's stable pseudonym (HMAC-SHA256 of the tenant and user id with the secret)."""
    digest = hmac.new(secret.encode(), f"{tenant_id}:{user_id}".encode(), hashlib.sha256)
    return "S-" + digest.hexdigest()[:16]


def sample_key(seed: str, evidence_id: int) -> int:
    """The row's random key for the sample: uniform, fixed by the seed."""
    digest = hashlib.blake2b(f"{seed}:{evidence_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


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


Stratum = list[tuple[int, list[Any]]]  # a max-heap of (-key, row): the k smallest keys


def write_export(
    job: AttainmentExport, path: Path, secret: str, progress: Callable[..., None]
) -> None:
    """Write the export's zip to ``path``, reporting progress."""
    scope = _scope(job)
    fw = fw_services.get_framework(job.tenant_id, job.framework_id)
    items = services.outcomes(fw)
    ids = [o.id for o in items] or [-1]
    query, att = _evidence_query(scope, ids, job.pseudonymize)
    total = db.session.scalar(select(func.count()).select_from(att)) or 0
    progress(total=total, step="Writing the evidence")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        heaps, done = _write_evidence(zf, job, fw, items, query, secret, progress)
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
        sample = _sample_rows(heaps, items)
        zf.writestr("sample.csv", csv_bytes(EVIDENCE_HEADER, sample))
        progress(step="Writing the summary")
        zf.writestr(
            "summary.pdf",
            report_pdf.summary_pdf(job, report, over_time, cover, loop_notes, total),
        )
        zf.writestr("README.txt", _readme(job, fw.title, scope, total, len(sample)))


def _write_evidence(
    zf: zipfile.ZipFile,
    job: AttainmentExport,
    fw: Framework,
    items: list[services.Outcome],
    query: Any,
    secret: str,
    progress: Callable[..., None],
) -> tuple[dict[tuple[int, str], Stratum], int]:
    """Stream the evidence into ``evidence.csv`` from a server-side cursor of its own
    connection, drawing the sample as it goes; the strata (outcome id, measure) it drew and
    the rows written."""
    by_id = {o.id: o for o in items}
    heaps: dict[tuple[int, str], Stratum] = {}
    with (
        zf.open("evidence.csv", "w", force_zip64=True) as raw,
        io.TextIOWrapper(raw, encoding=ENCODING, newline="") as text,
        db.engine.connect() as conn,
    ):
        result = conn.execution_options(stream_results=True, yield_per=5000).execute(query)
        done = 0

        def rows() -> Iterator[list[Any]]:
            nonlocal done
            for row in result:
                out = _evidence_row(job, fw, by_id, row, secret)
                oid, source, eid = row[1], row[5], row[0]
                _draw(heaps.setdefault((oid, source), []), job, eid, out)
                yield out
                done += 1
                if done % PROGRESS_EVERY == 0:
                    progress(processed=done)

        text.writelines(csv_lines(EVIDENCE_HEADER, rows()))
    return heaps, done


def _evidence_row(
    job: AttainmentExport,
    fw: Framework,
    by_id: dict[int, services.Outcome],
    row: Any,
    secret: str,
) -> list[Any]:
    """One line of ``evidence.csv`` (its cells made safe where it is written) from a row of the
    evidence query."""
    (eid, oid, recorded, sid, level, source, method, rater, observed, course) = row[:10]
    term, engagement_id, listing = row[10:13]
    outcome = by_id.get(oid)
    student = pseudonym(secret, job.tenant_id, sid) if job.pseudonymize else str(sid)
    name, email = ("", "") if job.pseudonymize else row[13:15]
    return [
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


def _draw(stratum: Stratum, job: AttainmentExport, evidence_id: int, out: list[Any]) -> None:
    """Keep ``out`` in its stratum if its key is among the ``k`` smallest so far."""
    key = -sample_key(job.seed, evidence_id)  # a max-heap of the k smallest keys
    if len(stratum) < job.sample_per_stratum:
        heapq.heappush(stratum, (key, out))
    elif key > stratum[0][0]:
        heapq.heapreplace(stratum, (key, out))


def _sample_rows(
    heaps: dict[tuple[int, str], Stratum], items: list[services.Outcome]
) -> list[list[Any]]:
    """The sample: strata in the framework's order and by measure, each by its keys."""
    sample: list[list[Any]] = []
    order = {o.id: n for n, o in enumerate(items)}
    for _, stratum in sorted(heaps.items(), key=lambda kv: (order.get(kv[0][0], 0), kv[0][1])):
        sample.extend(row for _, row in sorted(stratum, key=lambda pair: -pair[0]))
    return sample


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
    return csv_bytes(header, rows)


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
    return csv_bytes(header, rows)


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
    return csv_bytes(header, rows)


def _notes_csv(items: list[services.Outcome], notes: dict[int, list[Any]]) -> bytes:
    rows = [
        [o.code, o.name, n.term, n.created_at.strftime("%Y-%m-%d"), n.author, n.body]
        for o in items
        for n in notes.get(o.id, [])
    ]
    return csv_bytes(["outcome_code", "outcome", "term", "date", "author", "note"], rows)


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

The CSV files are UTF-8 and start with a byte order mark, so Excel reads their letters right.
A ' is put before = + - @ or a tab where one starts a text cell or follows a ; or , so
spreadsheets do not run them as formulas; numbers are written as numbers.
""".encode()
