#!/usr/bin/env python
# ruff: noqa: S608 - the generation SQL is built from this file's constants and integers only
"""Attainment reports benchmark: the program attainment report, the coverage matrix and a full
accreditation export on a large tenant.

For PostgreSQL (a fresh ``cc_bench_*`` database, dropped at the end; skipped with a reason when
no server answers) at 100,000 students, 500,000 engagements and 2,000,000 evidence rows, and
SQLite (a file in a temporary directory) at a tenth of that: upgrade through the migrations,
generate the data with set-based SQL (``INSERT ... SELECT`` over ``generate_series`` on
PostgreSQL, over a recursive CTE on SQLite), ANALYZE, then time the services the pages call
(warm: each report is run once first, then the median of ``--runs`` is taken):

- attainment: ``services.attainment`` for the NACE framework, every program and term (the
  heaviest scope), and the same for one program over two terms;
- coverage: ``services.coverage`` (the outcomes x courses matrix and its flags, the coverage
  page), every program and term; also timed: coverage by listing (``/coverage/listings``) and
  the trend across terms (``/trend``);
- export: one full export job (``exports.run_export``: every evidence row to CSV, attainment,
  trend, coverage, the sample and the PDF), pseudonymised, timed once.

The last line is one JSON object:
``{"postgresql": {"attainment_s", "coverage_s", "export_s"}, "sqlite": {...}}``.
Targets: attainment and coverage ≤ 2 s on PostgreSQL at full size.

    nice -n 10 .venv/bin/python benchmarks/reports.py                # full size
    nice -n 10 .venv/bin/python benchmarks/reports.py --scale 0.1    # a tenth of each size
    nice -n 10 .venv/bin/python benchmarks/reports.py --only sqlite --no-export
    nice -n 10 .venv/bin/python benchmarks/reports.py --only postgresql --keep   # prints its name
    nice -n 10 .venv/bin/python benchmarks/reports.py --reuse cc_bench_1234abcd  # upgrade, time
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PG_ADMIN_URL, PROGRAMS, Dialect, bulk_load, postgres_or_none  # noqa: E402

TARGETS = {"attainment_s": 2.0, "coverage_s": 2.0}
FULL = {"students": 100_000, "engagements": 500_000, "evidence": 2_000_000}
TERMS = (("Fall 2024", "2024-08-26"), ("Spring 2025", "2025-01-13"),
         ("Fall 2025", "2025-08-25"), ("Spring 2026", "2026-01-12"))  # fmt: skip
COURSE0, USER0 = 1_000_000, 2_000_000  # explicit ids of generated rows start past these
ISSUER = "https://lms.bench.example"  # people and courses are per LMS (tenant, issuer, id)
BULK_TABLES = (
    "lti_user", "student_profile", "course", "listing", "application", "engagement",
    "outcome_evidence",
)  # fmt: skip
SEQUENCES = ("course", "lti_user", "employer", "listing", "application", "engagement")


def generate(sizes: dict[str, int]) -> dict[str, Any]:
    """One tenant with students, courses over four terms, listings, engagements and evidence
    on the NACE competencies; returns what the timed calls need."""

    from accreditation.frameworks.services import ensure_builtin_frameworks
    from lti_tool.extensions import db
    from lti_tool.models import Tenant, User

    d = Dialect(db.engine.dialect.name)
    n_students, n_eng, n_ev = sizes["students"], sizes["engagements"], sizes["evidence"]
    per_engagement = max(1, n_ev // n_eng)
    n_courses = max(8, n_students // 500)
    n_listings = max(200, n_students // 5)
    tenant = Tenant(name="Bench University", settings={})
    db.session.add(tenant)
    db.session.flush()
    advisor = User(
        tenant_id=tenant.id,
        issuer=ISSUER,
        sub="advisor",
        name="Ada Advisor",
        email="ada@bench.edu",
    )
    db.session.add(advisor)
    nace = ensure_builtin_frameworks(tenant.id)
    items = [(item.id, item.current.id) for item in nace.items]
    db.session.commit()
    t, advisor_id, framework_id = tenant.id, advisor.id, nace.id
    db.session.close()
    now = d.moment("2026-06-01", "0")
    programs = " ".join(f"WHEN {i} THEN '{p}'" for i, p in enumerate(PROGRAMS))
    terms = " ".join(f"WHEN {i} THEN '{name}'" for i, (name, _) in enumerate(TERMS))
    starts = " ".join(f"WHEN {i} THEN '{start}'" for i, (_, start) in enumerate(TERMS))
    item_case = " ".join(f"WHEN {i} THEN {item}" for i, (item, _) in enumerate(items))
    version_case = " ".join(f"WHEN {i} THEN {version}" for i, (_, version) in enumerate(items))
    n_items = len(items)
    empty_list, empty_obj = d.json("[]"), d.json("{}")
    steps = [
        (
            "courses",
            "INSERT INTO course (id, tenant_id, issuer, context_id, title, label, term_name, "
            "term_start, updated_at) "
            + d.series(
                n_courses,
                f"SELECT {COURSE0} + x, {t}, '{ISSUER}', 'ctx-' || x, 'Course ' || x, 'C' || x, "
                f"CASE x % {len(TERMS)} {terms} END, CASE x % {len(TERMS)} {starts} END, {now}",
            ),
        ),
        (
            "students",
            "INSERT INTO lti_user (id, tenant_id, issuer, sub, name, email, updated_at) "
            + d.series(
                n_students,
                f"SELECT {USER0} + x, {t}, '{ISSUER}', 'stu-' || x, 'Student ' || x, "
                f"'s' || x || '@bench.edu', {now}",
            ),
        ),
        (
            "profiles",
            "INSERT INTO student_profile (tenant_id, user_id, program, class_year, "
            "work_authorization, skills, interests, career_goals, updated_at) "
            + d.series(
                n_students,
                f"SELECT {t}, {USER0} + x, CASE x % {len(PROGRAMS)} {programs} END, '2027', "
                f"'', {empty_list}, '', '', {now}",
            ),
        ),
        (
            "employer",
            "INSERT INTO employer (id, tenant_id, name, website, contact_name, contact_email, "
            f"verified, notes, created_at, updated_at) VALUES (1, {t}, 'Employer', '', 'Boss', "
            f"'boss@employer.example', TRUE, '', {now}, {now})",
        ),
        (
            "listings",
            "INSERT INTO listing (id, tenant_id, employer_id, title, summary, description_md, "
            "deliverables, skills, tags, competencies, estimated_hours, compensation_type, "
            "pay_amount_cents, currency, effective_rate_cents, location_type, location, "
            "openings, eligibility, status, approval_note, source, created_by, search_title, "
            "search_body, created_at, updated_at) "
            + d.series(
                n_listings,
                f"SELECT x, {t}, 1, 'Project ' || x, '', '', '', {empty_list}, {empty_list}, "
                f"{empty_list}, 20, 'fixed', 50000, 'USD', 2500, 'remote', '', 1, "
                f"{empty_obj}, 'filled', '', 'manual', 'bench', '', '', {now}, {now}",
            ),
        ),
        (
            "applications",
            "INSERT INTO application (id, tenant_id, listing_id, student_id, course_id, "
            "statement, availability, program, class_year, resume_filename, resume_size, "
            "consent_employer, consented_at, status, created_at, updated_at) "
            + d.series(
                n_eng,
                f"SELECT x, {t}, 1 + ((x % {n_students}) * 13 + (x / {n_students}) * 3331) "
                f"% {n_listings}, {USER0} + 1 + x % {n_students}, "
                f"{COURSE0} + 1 + (x / {n_students} + x) % {n_courses}, '', '', '', '', '', "
                f"0, '', {now}, 'accepted', {now}, {now}",
            ),
        ),
        (
            "engagements",
            "INSERT INTO engagement (id, tenant_id, application_id, listing_id, student_id, "
            "course_id, status, competencies, planned_hours, weekly_hours, supervisor_name, "
            "supervisor_email, goals, cap_override_reason, created_by, created_at, updated_at) "
            "SELECT a.id, a.tenant_id, a.id, a.listing_id, a.student_id, a.course_id, "
            f"'completed', {empty_list}, 20, 8, 'Supervisor', 'boss@employer.example', '', "
            f"'', 'bench', {now}, {now} FROM application a WHERE a.tenant_id = {t}",
        ),
        (
            # k = 1..per engagement: three supervisor ratings and (k = 4) a self-assessment;
            # about 3% rated not applicable
            "evidence",
            "INSERT INTO outcome_evidence (tenant_id, student_id, engagement_id, course_id, "
            "listing_id, item_id, item_version_id, level, source, method, rater, comment, "
            "observed_at, recorded_at, origin) "
            f"SELECT e.tenant_id, e.student_id, e.id, e.course_id, e.listing_id, "
            f"CASE (e.id + k.k * 3) % {n_items} {item_case} END, "
            f"CASE (e.id + k.k * 3) % {n_items} {version_case} END, "
            "CASE WHEN (e.id * 31 + k.k) % 33 = 0 THEN NULL "
            "ELSE 1 + ((e.id * 7 + k.k * 13) % 97 + e.student_id % 3) % 4 END, "
            "CASE WHEN k.k % 4 = 0 THEN 'indirect' ELSE 'direct' END, "
            "CASE WHEN k.k % 4 = 0 THEN 'self_assessment' ELSE 'supervisor_rating' END, "
            f"'Supervisor ' || (e.id % 1000), '', {d.moment('2025-01-01', 'e.id % 500')}, "
            f"{now}, 'bench:' || e.id || ':' || k.k "
            f"FROM engagement e {d.cross(per_engagement)} WHERE e.tenant_id = {t}",
        ),
    ]
    bulk_load(d, steps, BULK_TABLES, SEQUENCES)
    return {"tenant_id": t, "framework_id": framework_id, "advisor_id": advisor_id}


def generated() -> dict[str, Any]:
    """What the timed calls need, read from a database ``generate`` filled before (``--reuse``)."""
    from sqlalchemy import select

    from accreditation.frameworks.services import ensure_builtin_frameworks
    from lti_tool.extensions import db
    from lti_tool.models import Tenant, User

    tenant = db.session.scalars(select(Tenant).where(Tenant.name == "Bench University")).one()
    advisor = db.session.scalars(
        select(User).where(User.tenant_id == tenant.id, User.sub == "advisor")
    ).one()
    out = {
        "tenant_id": tenant.id,
        "framework_id": ensure_builtin_frameworks(tenant.id).id,
        "advisor_id": advisor.id,
    }
    db.session.rollback()
    return out


def median_s(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm: plans, caches
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return round(statistics.median(out), 3)


def cpu_s(fn: Callable[[], Any]) -> float | None:
    """CPU seconds one call costs: this process plus the PostgreSQL backends of the database
    (the session's and the connections the per-outcome statements run on; read from /proc;
    None elsewhere), without PostgreSQL's parallel workers in the session (other processes,
    gone when their query ends; the per-outcome statements plan none). Unlike wall time it
    hardly moves with the machine's load."""
    from sqlalchemy import text

    from lti_tool.extensions import db

    if db.engine.dialect.name != "postgresql":
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def backends() -> dict[int, float]:
        pids = db.session.scalars(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'"
            )
        ).all()
        out = {}
        for pid in pids:
            with contextlib.suppress(OSError):  # ended meanwhile
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                out[pid] = (int(fields[11]) + int(fields[12])) / tick
        return out

    if not backends():
        return None  # the server runs elsewhere: its /proc is not this machine's
    db.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    before, client = backends(), time.process_time()
    fn()  # runs in the transaction begun above
    after = backends()
    used = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    used += time.process_time() - client
    db.session.rollback()
    return round(used, 3)


def run(
    url: str, sizes: dict[str, int], runs: int, export: bool, reuse: bool = False
) -> dict[str, Any]:
    from flask_migrate import upgrade

    from accreditation.attainment import exports, services
    from accreditation.attainment.models import AttainmentExport
    from lti_tool import create_app
    from lti_tool.extensions import db

    out_dir = tempfile.mkdtemp(prefix="cc-bench-exports-")
    app = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=url,
        SANDBOX_ENABLED=False,
        ATTAINMENT_EXPORT_DIR=out_dir,
    )
    result: dict[str, Any] = {}
    with app.app_context():
        if reuse:
            upgrade(revision="heads")  # a kept database gets the migrations added since
            ids = generated()
        else:
            upgrade(revision="heads")
            start = time.perf_counter()
            ids = generate(sizes)
            print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
        scope = services.Scope(ids["tenant_id"], ids["framework_id"])
        narrow = services.Scope(
            ids["tenant_id"],
            ids["framework_id"],
            program="Finance",
            terms=("Fall 2025", "Spring 2026"),
        )

        def attainment() -> None:
            report = services.attainment(scope)
            assert sum(r.measures["direct"].n for r in report.rows) > 0
            db.session.rollback()

        def no_rollback(fn: Callable[..., Any], **kwargs: Any) -> Callable[[], Any]:
            return lambda: fn(scope, **kwargs)

        def attainment_narrow() -> None:
            services.attainment(narrow)
            db.session.rollback()

        def coverage() -> None:
            cover = services.coverage(scope, with_listings=False)
            assert cover.courses
            db.session.rollback()

        def coverage_listings() -> None:
            cover = services.coverage(scope, with_listings=True)
            assert cover.listings
            db.session.rollback()

        def trend() -> None:
            over_time = services.trend(scope)
            assert over_time.terms
            db.session.rollback()

        result["attainment_s"] = median_s(attainment, runs)
        print(f"  attainment (every program and term): {result['attainment_s']} s", flush=True)
        result["attainment_cpu_s"] = cpu_s(no_rollback(services.attainment))
        print(f"  attainment CPU (client + server): {result['attainment_cpu_s']} s", flush=True)
        result["attainment_program_terms_s"] = median_s(attainment_narrow, runs)
        print(f"  attainment (one program, two terms): {result['attainment_program_terms_s']} s")
        result["coverage_s"] = median_s(coverage, runs)
        print(f"  coverage (outcomes x courses, flags): {result['coverage_s']} s", flush=True)
        result["coverage_cpu_s"] = cpu_s(no_rollback(services.coverage, with_listings=False))
        print(f"  coverage CPU (client + server): {result['coverage_cpu_s']} s", flush=True)
        result["coverage_listings_s"] = median_s(coverage_listings, runs)
        print(f"  coverage by listing: {result['coverage_listings_s']} s", flush=True)
        result["coverage_listings_cpu_s"] = cpu_s(no_rollback(services.coverage))
        print(f"  coverage by listing CPU: {result['coverage_listings_cpu_s']} s", flush=True)
        result["trend_s"] = median_s(trend, runs)
        print(f"  trend: {result['trend_s']} s", flush=True)
        result["trend_cpu_s"] = cpu_s(no_rollback(services.trend))
        print(f"  trend CPU (client + server): {result['trend_cpu_s']} s", flush=True)
        if export:
            job = AttainmentExport(
                tenant_id=ids["tenant_id"],
                requested_by_id=ids["advisor_id"],
                actor="Ada Advisor",
                framework_id=ids["framework_id"],
                pseudonymize=True,
                sample_per_stratum=20,
                seed="bench",
            )
            db.session.add(job)
            db.session.commit()
            start = time.perf_counter()
            done = exports.run_export(job.id)
            result["export_s"] = round(time.perf_counter() - start, 1)
            assert done is not None and done.status == "done", done and done.error
            size = (Path(out_dir) / str(done.file_name)).stat().st_size
            print(
                f"  export: {done.total} evidence rows, {size / 1e6:.1f} MB zip in "
                f"{result['export_s']} s",
                flush=True,
            )
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(out_dir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each report")
    parser.add_argument("--no-export", action="store_true", help="skip the export")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="time the reports on a PostgreSQL database kept with --keep (upgraded to the "
        "migrations' heads, no generation; --scale only labels the figures: give the one it "
        "was generated at)",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # run the clean-ups
    full = {k: max(1, int(v * args.scale)) for k, v in FULL.items()}
    tenth = {k: max(1, v // 10) for k, v in full.items()}
    print(f"load average: {os.getloadavg()}")
    results: dict[str, Any] = {}
    if args.reuse:
        if not re.fullmatch(r"cc_bench_\w+", args.reuse):
            parser.error("--reuse takes the name of a kept cc_bench_* database")
        reused = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{args.reuse}"
        print(f"PostgreSQL: {args.reuse} (reused), {full}", flush=True)
        results["postgresql"] = {**run(reused, full, args.runs, not args.no_export, True), **full}
    elif args.only in (None, "postgresql"):
        print(f"PostgreSQL: {full}", flush=True)
        with postgres_or_none(args.keep) as url:
            if url is not None:
                results["postgresql"] = {**run(url, full, args.runs, not args.no_export), **full}
    if args.only in (None, "sqlite") and not args.reuse:
        print(f"SQLite: {tenth}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            results["sqlite"] = {**run(url, tenth, args.runs, not args.no_export), **tenth}
    pg = results.get("postgresql", {})
    for key, limit in TARGETS.items():
        if key in pg:
            verdict = "meets" if pg[key] <= limit else "MISSES"
            print(f"PostgreSQL {key} {pg[key]} s {verdict} the {limit} s target")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
