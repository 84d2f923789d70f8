#!/usr/bin/env python
"""Credentials benchmark: issuing a bulk award's credentials in the background, and the public
verification page.

For PostgreSQL (a fresh ``cc_bench_*`` database, dropped at the end; skipped with a reason
when no server answers) and SQLite (a file in a temporary directory): upgrade through the
migrations, then generate one course's bulk award: ``--credentials`` students (1,000 by
default), each with an evaluated engagement (two competency ratings, confirmed hours) and a
final credit award, in a few statements. Then, in this process:

- issue: the tick (``issue_due``) hands the awards' credentials to a "credentials" task, run
  on a thread of its own (as the worker pool runs it) while this thread polls the task's
  progress row and prints it; ``issue_per_s`` is credentials issued (built, checked against
  the data model, signed with ``eddsa-rdfc-2022``, stored) per second of the task's run;
- correct: ``--corrections`` of those awards (100 by default, 50 with ``--quick``) are
  corrected (a new final award superseding the current one, as a grade correction writes
  it), ``GROUP`` a tick, and each tick (``issue_due``: inline, as the soak's runner does for
  a few) revokes the old credentials and issues the corrections' in their place;
  ``correct_cpu_ms`` and ``correct_statements`` are this thread's CPU and the statements of
  the ticks per correction (the corrections' own writes not counted), ``correct_db_ms`` the
  CPU of the database's PostgreSQL backends meanwhile (``/proc/<pid>/schedstat``);
- verify: ``GET /credentials/verify/<public_id>`` (the pages area's ``credentials_pages``
  verification page: the signature and status checked, the page rendered) for random shared
  credentials through Flask's test client (a warm worker); when that page does not exist,
  ``proof.verify()`` on the stored documents is timed instead and the output says so.

The last line is one JSON object for PostgreSQL (SQLite when PostgreSQL is unavailable):
``{"issue_per_s": …, "verify_page_p95_ms": …, "correct_cpu_ms": …, "correct_statements": …}``
(and ``correct_db_ms`` on PostgreSQL) plus the database and the other database's
figures. Targets: at least 20 credentials per second, p95 at most 200 ms.

    nice -n 10 .venv/bin/python benchmarks/credentials.py            # 1,000 credentials
    nice -n 10 .venv/bin/python benchmarks/credentials.py --quick    # 200, 100 page views
    nice -n 10 .venv/bin/python benchmarks/credentials.py --only sqlite --credentials 500
    .venv/bin/python benchmarks/credentials.py --quick --profile /tmp/creds-prof

``--profile DIR`` runs the task under cProfile (thread CPU) and counts its statements: it
writes ``issue-<database>.pstats`` and prints Python calls, statements and CPU ms per credential
(cProfile slows the run: read ``issue_per_s`` from a run without it).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile, pids_matching, postgres_or_none, server_ns  # noqa: E402

TARGETS = {"issue_per_s": 20.0, "verify_page_p95_ms": 200.0}
FIGURES = (*TARGETS, "correct_cpu_ms", "correct_statements")
GROUP = 10  # corrections a tick finds (at most INLINE_LIMIT: issued inline, as in the soak)


def generate(n: int) -> int:
    """A tenant with one course whose ``n`` students each finished an evaluated engagement
    and were awarded credit in one bulk award; returns the tenant's id."""
    import datetime as dt

    from credit.models import CreditAward
    from internships.models import Employer, Listing
    from internships.work.models import (
        Application,
        CompetencyRating,
        Engagement,
        HourLog,
        SupervisorEvaluation,
    )
    from lti_tool.extensions import db
    from lti_tool.models import Course, Tenant, User

    tenant = Tenant(name=f"Bench University {secrets.token_hex(3)}", settings={})
    db.session.add(tenant)
    db.session.flush()
    issuer = "https://lms.bench.example"
    course = Course(
        tenant_id=tenant.id, issuer=issuer, context_id="bench-course", title="BUS 390 Internships"
    )
    employer = Employer(tenant_id=tenant.id, name="Acme Analytics")
    db.session.add_all([course, employer])
    db.session.flush()
    listing = Listing(
        tenant_id=tenant.id,
        employer_id=employer.id,
        title="Survey data analysis",
        status="open",
        estimated_hours=45,
        compensation_type="fixed",
        location_type="remote",
    )
    students = [
        User(
            tenant_id=tenant.id,
            issuer=issuer,
            sub=f"s-{i}",
            name=f"Student {i}",
            email=f"s{i}@uni.example",
        )
        for i in range(n)
    ]
    db.session.add(listing)
    db.session.add_all(students)
    db.session.flush()
    apps = [
        Application(tenant_id=tenant.id, listing_id=listing.id, student_id=s.id, status="accepted")
        for s in students
    ]
    db.session.add_all(apps)
    db.session.flush()
    engagements = [
        Engagement(
            tenant_id=tenant.id,
            application_id=a.id,
            listing_id=listing.id,
            student_id=a.student_id,
            course_id=course.id,
            status="submitted",  # only the awards are due: the bulk award's credentials
            competencies=["Communication", "Teamwork"],
            planned_hours=45,
        )
        for a in apps
    ]
    db.session.add_all(engagements)
    db.session.flush()
    evaluations = [
        SupervisorEvaluation(
            tenant_id=tenant.id, engagement_id=e.id, supervisor_name="Sam", comments="Good"
        )
        for e in engagements
    ]
    db.session.add_all(evaluations)
    db.session.flush()
    day = dt.date(2026, 9, 1)
    for e, ev in zip(engagements, evaluations, strict=True):
        db.session.add_all(
            [
                CompetencyRating(tenant_id=tenant.id, evaluation_id=ev.id, competency=c, level=3)
                for c in ("Communication", "Teamwork")
            ]
        )
        db.session.add(
            HourLog(
                tenant_id=tenant.id,
                engagement_id=e.id,
                student_id=e.student_id,
                work_date=day,
                minutes=45 * 60,
                description="Analysis",
                status="confirmed",
            )
        )
        db.session.add(
            CreditAward(
                tenant_id=tenant.id,
                course_id=course.id,
                student_id=e.student_id,
                credits=1,
                approved_minutes=45 * 60,
                grading_mode="pass_fail",
                score_given=1.0,
                score_maximum=1.0,
                grade_label="Pass",
                engagement_ids=[e.id],
                decided_by="Bench Faculty",
                idempotency_key=f"bench-{e.id}",
            )
        )
    db.session.commit()
    return tenant.id


def issue(app: Any, tenant_id: int, profile_dir: Path | None = None) -> dict[str, Any]:
    """The tick queues the task; a thread runs it while this one prints its progress (under
    cProfile, its statements counted, with ``profile_dir``)."""
    from sqlalchemy import event

    from accreditation.credentials.issuance import batch
    from accreditation.credentials.models import CredentialBatch
    from lti_tool.extensions import db

    with app.app_context():
        batch.issue_due(app)  # JOB_RUNNER "off" here: queued, started below
        job_id = db.session.scalar(
            db.select(CredentialBatch.id).where(CredentialBatch.tenant_id == tenant_id)
        )
    timing: dict[str, float] = {}
    profiler = cProfile.Profile(time.thread_time) if profile_dir else None
    counted = {"statements": 0}

    def work() -> None:
        runner_thread = threading.get_ident()

        def count(*_args: Any) -> None:
            if threading.get_ident() == runner_thread:
                counted["statements"] += 1

        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            start, cpu = time.perf_counter(), time.thread_time()
            if profiler is not None:
                profiler.enable()
            try:
                batch.run_batch(int(job_id))
            finally:
                if profiler is not None:
                    profiler.disable()
                timing["s"] = time.perf_counter() - start
                timing["cpu"] = time.thread_time() - cpu
                event.remove(db.engine, "before_cursor_execute", count)

    runner = threading.Thread(target=work)
    runner.start()
    while runner.is_alive():
        runner.join(2.0)
        with app.app_context():
            job = db.session.get(CredentialBatch, job_id)
            if job is not None:
                print(f"    {batch.status_line(job)}", flush=True)
            db.session.remove()
    with app.app_context():
        job = db.session.get(CredentialBatch, job_id)
        assert job is not None and job.status == "done", job and job.error
        issued = max(job.issued, 1)
        out = {
            "issued": job.issued,
            "issue_s": round(timing["s"], 2),
            "cpu_ms_per_credential": round(timing["cpu"] * 1000 / issued, 2),
            "statements_per_credential": round(counted["statements"] / issued, 2),
        }
    if profiler is not None and profile_dir is not None:
        out["calls_per_credential"] = round(_dump(profiler, profile_dir, app) / issued)
    return out


def _dump(profiler: cProfile.Profile, profile_dir: Path, app: Any) -> int:
    """Write the task's profile and print its top functions; the number of Python calls."""
    name = "sqlite" if "sqlite" in app.config["SQLALCHEMY_DATABASE_URI"] else "postgresql"
    profile_dir.mkdir(parents=True, exist_ok=True)
    out = profile_dir / f"issue-{name}.pstats"
    profiler.dump_stats(out)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(25)
    print(f"  profile -> {out}\n{text.getvalue()}", flush=True)
    return int(stats.total_calls)  # type: ignore[attr-defined]


def _correct_awards(app: Any, tenant_id: int, count: int, round_: int) -> None:
    """``count`` of the tenant's current awards corrected (the lowest ids first, so a later
    round corrects a correction), as ``credit.services.awards`` writes a correction."""
    from sqlalchemy import select

    from credit.models import CreditAward
    from lti_tool.extensions import db
    from lti_tool.models import utcnow

    with app.app_context():
        current = db.session.scalars(
            select(CreditAward)
            .where(CreditAward.tenant_id == tenant_id, CreditAward.superseded_at.is_(None))
            .order_by(CreditAward.student_id)
            .limit(count)
        ).all()
        pairs = []
        for old in current:
            new = CreditAward(
                tenant_id=tenant_id,
                course_id=old.course_id,
                student_id=old.student_id,
                credits=1 + round_ % 3,
                approved_minutes=old.approved_minutes,
                grading_mode=old.grading_mode,
                score_given=old.score_given,
                score_maximum=old.score_maximum,
                grade_label=old.grade_label,
                engagement_ids=old.engagement_ids,
                decided_by="Bench Faculty",
                supersedes_id=old.id,
                idempotency_key=f"bench-fix-{round_}-{old.id}",
            )
            old.superseded_at = utcnow()
            db.session.add(new)
            pairs.append((old, new))
        db.session.flush()
        for old, new in pairs:
            old.superseded_by_id = new.id
        db.session.commit()


def _backends_ns(database: str | None) -> int:
    """CPU time so far of the PostgreSQL backends of ``database`` in nanoseconds."""
    return server_ns(pids_matching(database)) if database else 0


def correct(app: Any, tenant_id: int, corrections: int, database: str | None) -> dict[str, Any]:
    """CPU and statements per correction of the ticks that re-issue corrected awards'
    credentials (``GROUP`` corrections a tick), and the database's CPU on PostgreSQL
    (``database``: its name, which its backends' titles carry)."""
    from sqlalchemy import event, func, select

    from accreditation.credentials.issuance import batch
    from accreditation.credentials.models import Credential
    from lti_tool.extensions import db

    me = threading.get_ident()
    counted = {"statements": 0}

    def count(*_args: Any) -> None:
        if threading.get_ident() == me:
            counted["statements"] += 1

    cpu = 0.0
    db_ns = done = 0
    for round_ in range(1, corrections // GROUP + 1):
        _correct_awards(app, tenant_id, GROUP, round_)
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", count)
            start, server = time.thread_time(), _backends_ns(database)
            result = batch.issue_due(app)
            cpu += time.thread_time() - start
            db_ns += _backends_ns(database) - server
            event.remove(db.engine, "before_cursor_execute", count)
            assert result.issued == GROUP and result.revoked == GROUP, result
            done += GROUP
    with app.app_context():
        revoked = db.session.scalar(
            select(func.count())
            .select_from(Credential)
            .where(Credential.tenant_id == tenant_id, Credential.revoked_reason == "corrected")
        )
        assert revoked == done, (revoked, done)
    figures = {
        "corrected": done,
        "correct_cpu_ms": round(cpu * 1000 / max(done, 1), 2),
        "correct_statements": round(counted["statements"] / max(done, 1), 2),
    }
    if database:
        figures["correct_db_ms"] = round(db_ns / 1e6 / max(done, 1), 2)
    return figures


def verify_page(app: Any, tenant_id: int, views: int) -> dict[str, Any]:
    """p95 of the public verification page (or of ``proof.verify`` when it does not exist)."""
    from sqlalchemy import select, update

    from accreditation.credentials import proof
    from accreditation.credentials.models import Credential
    from lti_tool.extensions import db

    with app.app_context():
        db.session.execute(
            update(Credential).where(Credential.tenant_id == tenant_id).values(shared=True)
        )
        db.session.commit()
        rows = db.session.execute(
            select(Credential.public_id, Credential.document).where(
                Credential.tenant_id == tenant_id
            )
        ).all()
    rng = random.Random(19)
    has_page = "credentials_pages.verify" in app.view_functions or any(
        rule.rule == "/credentials/verify/<public_id>" for rule in app.url_map.iter_rules()
    )
    client = app.test_client()
    times: list[float] = []
    for n in range(views + 20):
        public_id, document = rng.choice(rows)
        start = time.perf_counter()
        if has_page:
            resp = client.get(f"/credentials/verify/{public_id}")
            assert resp.status_code == 200, resp.status_code
        else:
            with app.app_context():
                assert proof.verify(document).ok
        if n >= 20:  # the first 20 warm the caches
            times.append((time.perf_counter() - start) * 1000)
    return {
        "verify_page_p95_ms": round(percentile(times, 95), 1),
        "verify_median_ms": round(percentile(times, 50), 1),
        "measured": "the verification page" if has_page else "proof.verify() (no page yet)",
    }


def run(
    url: str, n: int, views: int, corrections: int, profile_dir: Path | None = None
) -> dict[str, Any]:
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.extensions import db

    app = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=url,
        SANDBOX_ENABLED=False,
        RATELIMIT_PUBLIC="1000000 per minute",
    )
    with app.app_context():
        upgrade(revision="heads")
        start = time.perf_counter()
        tenant_id = generate(n)
        print(f"  generated {n} awards in {time.perf_counter() - start:.1f} s", flush=True)
        db.engine.dispose()
    issued = issue(app, tenant_id, profile_dir)
    issued["issue_per_s"] = round(issued["issued"] / issued["issue_s"], 1)
    print(f"  issued {issued['issued']} in {issued['issue_s']} s", flush=True)
    database = url.rsplit("/", 1)[-1] if url.startswith("postgresql") else None
    fixed = correct(app, tenant_id, corrections, database)
    print(f"  corrected {fixed}", flush=True)
    return {**issued, **fixed, **verify_page(app, tenant_id, views)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--credentials", type=int, default=1000)
    parser.add_argument("--views", type=int, default=300, help="verification pages timed")
    parser.add_argument("--corrections", type=int, default=100, help="awards corrected")
    parser.add_argument(
        "--quick", action="store_true", help="200 credentials, 50 corrections, 100 views"
    )
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="cProfile the task into DIR (slower)"
    )
    args = parser.parse_args()
    if args.quick:
        args.credentials, args.corrections, args.views = 200, 50, 100
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        os.environ.setdefault("CAREER_CREDIT_INSTANCE", tmp)
        if args.only != "sqlite":
            with postgres_or_none() as pg_url:
                if pg_url:
                    print(f"PostgreSQL, {args.credentials} credentials", flush=True)
                    url = pg_url.replace("postgresql://", "postgresql+psycopg://")
                    results["postgresql"] = run(
                        url, args.credentials, args.views, args.corrections, args.profile
                    )
                    print(f"  {results['postgresql']}", flush=True)
        if args.only != "postgresql":
            print(f"SQLite, {args.credentials} credentials", flush=True)
            results["sqlite"] = run(
                f"sqlite:///{tmp}/bench.db",
                args.credentials,
                args.views,
                args.corrections,
                args.profile,
            )
            print(f"  {results['sqlite']}", flush=True)
    print(f"targets: {TARGETS}")
    main_db = "postgresql" if "postgresql" in results else "sqlite"
    line = {key: results[main_db][key] for key in FIGURES}
    if "correct_db_ms" in results[main_db]:
        line["correct_db_ms"] = results[main_db]["correct_db_ms"]
    line["database"] = main_db
    line["measured"] = results[main_db]["measured"]
    line["other"] = {db: {k: r[k] for k in FIGURES} for db, r in results.items() if db != main_db}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
