#!/usr/bin/env python
# ruff: noqa: S608 - the generation SQL is built from this file's constants and integers only
"""Advisor reports benchmark: the advisor's overview, a filtered student-table page and one
progress-report PDF on a large tenant.

For PostgreSQL (a fresh ``cc_bench_*`` database, dropped at the end; skipped with a reason
when no server answers) at 100,000 students, 500,000 engagements, 3,000,000 hour logs and
400,000 supervisor evaluations, and SQLite (a file in a temporary directory) at a tenth of
that: upgrade through the migrations, generate the data with set-based SQL (``INSERT ...
SELECT`` over ``generate_series`` on PostgreSQL, over a recursive CTE on SQLite), ANALYZE,
then time real requests through the app in this process (a warm worker: Flask's test client,
an advisor launch, templates rendered):

- home: ``GET /reports/`` (this term's counts, engagements per state, students at risk). At
  ``ADVISOR_HOME_KEEP_FROM`` engagements and more (every size but ``--scale`` below 0.4) the
  page shows them kept: the run times five views working them out (``home_live_ms``, what the
  page cost before they were kept, and the first view's cost), keeps them as the work pool
  does (``home_kept_s``), then times the views;
- table: ``GET /reports/students`` with one or two filters (state, program, employer or part
  of its name, course, term, a name search) on a random page among the first 20;
- pdf: ``GET /reports/students/<id>/report.pdf`` for random students (charts drawn);
- employers: ``GET /reports/employer-figures`` (all time, every employer's figures) over the
  offers (a fifth of the engagements offered, a tenth answered without an offer) and the
  payments (a payment on most completed paid engagements, a seventh of them disputed, and an
  open overdue notice on a tenth of the engagements);
- payments: ``GET /employers/pay/overdue`` (the advisor's overdue payments, first page).

The last line is one JSON object: ``{"postgresql": {"home_p95_ms", "table_p95_ms", "pdf_s",
"employers_p95_ms", "payments_p95_ms"}, "sqlite": {...}}`` (``pdf_s`` is the slowest of the
PDFs timed). Targets: home, table, employers and payments p95 ≤ 300 ms, PDF ≤ 2 s.

    nice -n 10 .venv/bin/python benchmarks/advisor.py               # full size
    nice -n 10 .venv/bin/python benchmarks/advisor.py --scale 0.1   # a tenth of each size
    nice -n 10 .venv/bin/python benchmarks/advisor.py --only sqlite
    nice -n 10 .venv/bin/python benchmarks/advisor.py --scale 5 --only postgresql --keep
    nice -n 10 .venv/bin/python benchmarks/advisor.py --only postgresql --reuse cc_bench_1a2b3c4d
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
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

from common import (  # noqa: E402
    PG_ADMIN_URL,
    PROGRAMS,
    Dialect,
    bulk_load,
    percentile,
    postgres_or_none,
)

TARGETS = {
    "home_p95_ms": 300.0,
    "table_p95_ms": 300.0,
    "pdf_s": 2.0,
    "employers_p95_ms": 300.0,
    "payments_p95_ms": 300.0,
}
FULL = {"students": 100_000, "engagements": 500_000, "hour_logs": 3_000_000, "evaluations": 400_000}


def generate(sizes: dict[str, int], today: dt.date) -> dict[str, Any]:
    """The tenant, its people and their work; returns ids the timed requests need."""

    from lti_tool.extensions import db
    from lti_tool.models import Launch, Registration, Tenant, User, utcnow

    d = Dialect(db.engine.dialect.name)
    n_students = sizes["students"]
    n_apps = sizes["engagements"] + sizes["engagements"] // 5
    n_listings = max(200, n_students // 5)
    n_employers = max(20, n_listings // 10)
    n_courses = max(10, n_students // 500)
    tenant = Tenant(name="Bench University", settings={})
    db.session.add(tenant)
    db.session.flush()
    reg = Registration(
        tenant_id=tenant.id,
        name="Bench LMS",
        issuer="https://lms.bench.example",
        client_id="bench",
        auth_login_url="https://lms.bench.example/auth",
        auth_token_url="https://lms.bench.example/token",  # noqa: S106 - a URL
        key_set_url="https://lms.bench.example/jwks",
    )
    advisor = User(
        tenant_id=tenant.id,
        issuer=reg.issuer,
        sub="advisor",
        name="Ada Advisor",
        email="ada@bench.edu",
    )
    db.session.add_all([reg, advisor])
    db.session.flush()
    lid = secrets.token_urlsafe(32)
    db.session.add(
        Launch(
            id=lid,
            tenant_id=tenant.id,
            registration_id=reg.id,
            user_id=advisor.id,
            role="advisor",
            message={},
            expires_at=utcnow() + dt.timedelta(days=1),
        )
    )
    t, user0, issuer = tenant.id, advisor.id, reg.issuer  # students get ids user0 + x
    db.session.commit()
    db.session.close()  # no transaction of the session may hold locks the load must take
    base = today - dt.timedelta(days=420)
    now = d.moment(today, "0")
    programs = " ".join(f"WHEN {i} THEN '{p}'" for i, p in enumerate(PROGRAMS))
    comps = d.json('["Teamwork", "Communication"]')
    empty_list, empty_obj = d.json("[]"), d.json("{}")
    steps = [
        (
            "courses",
            "INSERT INTO course (id, tenant_id, issuer, context_id, title, label, term_name, "
            "term_start, term_end, updated_at) "
            + d.series(
                n_courses,
                f"SELECT {user0} + x, {t}, '{issuer}', 'ctx-' || x, 'Course ' || x, 'C' || x, "
                f"CASE WHEN x % 2 = 0 THEN 'Fall term' ELSE 'Spring term' END, "
                f"CASE WHEN x % 2 = 0 THEN '{(today - dt.timedelta(days=90)).isoformat()}' "
                f"ELSE '{(today - dt.timedelta(days=300)).isoformat()}' END, "
                f"CASE WHEN x % 2 = 0 THEN '{(today + dt.timedelta(days=30)).isoformat()}' "
                f"ELSE '{(today - dt.timedelta(days=180)).isoformat()}' END, {now}",
            ),
        ),
        (
            "students",
            "INSERT INTO lti_user (id, tenant_id, issuer, sub, name, email, updated_at) "
            + d.series(
                n_students,
                f"SELECT {user0} + x, {t}, '{issuer}', 'stu-' || x, 'Student ' || x, "
                f"'s' || x || '@bench.edu', {now}",
            ),
        ),
        (
            "profiles",
            "INSERT INTO student_profile (tenant_id, user_id, program, class_year, "
            "work_authorization, skills, interests, career_goals, updated_at) "
            + d.series(
                n_students,
                f"SELECT {t}, {user0} + x, CASE x % {len(PROGRAMS)} {programs} END, "
                f"{d.text('2026 + x % 4')}, '', {empty_list}, '', '', {now}",
            ),
        ),
        (
            "enrolments",
            "INSERT INTO enrolment (tenant_id, course_id, user_id, role, last_launch_at) "
            + d.series(
                n_students,
                f"SELECT {t}, {user0} + 1 + x % {n_courses}, {user0} + x, 'student', {now}",
            ),
        ),
        (
            "employers",
            "INSERT INTO employer (id, tenant_id, name, website, contact_name, contact_email, "
            "verified, notes, created_at, updated_at) "
            + d.series(
                n_employers,
                f"SELECT x, {t}, 'Employer ' || x, '', 'Supervisor ' || x, "
                f"'boss' || x || '@employer.example', TRUE, '', {now}, {now}",
            ),
        ),
        (
            "listings",
            "INSERT INTO listing (id, tenant_id, employer_id, title, summary, description_md, "
            "deliverables, skills, tags, competencies, estimated_hours, compensation_type, "
            "pay_amount_cents, currency, effective_rate_cents, location_type, location, "
            "openings, eligibility, status, approval_note, source, created_by, search_title, "
            "search_body, created_at, updated_at, approved_at) "
            + d.series(
                n_listings,
                f"SELECT x, {t}, 1 + x % {n_employers}, 'Project ' || x, '', '', '', "
                f"{empty_list}, {empty_list}, {comps}, 10 + x % 31, "
                "CASE WHEN x % 10 = 0 THEN 'unpaid' WHEN x % 3 = 0 THEN 'hourly' "
                "ELSE 'fixed' END, "
                "CASE WHEN x % 10 = 0 THEN NULL WHEN x % 3 = 0 THEN 1500 + x % 2000 "
                "ELSE 30000 + x % 50000 END, 'USD', "
                "CASE WHEN x % 10 = 0 THEN 0 WHEN x % 3 = 0 THEN 1500 + x % 2000 "
                "ELSE (30000 + x % 50000) / (10 + x % 31) END, 'remote', '', 1 + x % 3, "
                f"{empty_obj}, CASE WHEN x % 5 = 0 THEN 'open' ELSE 'filled' END, '', "
                f"'manual', 'bench', '', '', {d.moment(base, 'x % 400')}, {now}, "
                f"{d.moment(base, 'x % 400 + 1')}",
            ),
        ),
        (
            # student s applies to 6 listings (k = 0..5): pairs are unique
            "applications",
            "INSERT INTO application (id, tenant_id, listing_id, student_id, course_id, "
            "statement, availability, program, class_year, resume_filename, resume_size, "
            "consent_employer, consented_at, status, created_at, updated_at) "
            + d.series(
                n_apps,
                f"SELECT x, {t}, 1 + ((x % {n_students}) * 13 + (x / {n_students}) * 3331) "
                f"% {n_listings}, {user0} + 1 + x % {n_students}, "
                f"{user0} + 1 + (1 + x % {n_students}) % {n_courses}, '', '', '', '', '', 0, "
                f"'', {now}, CASE WHEN x <= {sizes['engagements']} THEN 'accepted' "
                f"ELSE 'submitted' END, {d.moment(base, 'x % 400')}, {now}",
            ),
        ),
        (
            # statuses by x % 10: 0 active, 1 submitted, 2-8 completed, 9 cancelled
            "engagements",
            "INSERT INTO engagement (id, tenant_id, application_id, listing_id, student_id, "
            "course_id, status, competencies, planned_hours, weekly_hours, supervisor_name, "
            "supervisor_email, start_date, end_date, goals, acknowledged_at, "
            "cap_override_reason, created_by, created_at, updated_at) "
            "SELECT a.id, a.tenant_id, a.id, a.listing_id, a.student_id, a.course_id, "
            "CASE WHEN a.id % 10 = 0 THEN 'active' WHEN a.id % 10 = 1 THEN 'submitted' "
            "WHEN a.id % 10 = 9 THEN 'cancelled' ELSE 'completed' END, "
            f"{comps}, 10 + a.id % 31, 8, 'Supervisor', 'boss@employer.example', "
            f"{d.day(base, 'a.id % 400')}, {d.day(base, 'a.id % 400 + 14 + a.id % 28')}, '', "
            f"CASE WHEN a.id % 50 = 0 THEN NULL ELSE {d.moment(base, 'a.id % 400 + 1')} END, "
            f"'', 'bench', {d.moment(base, 'a.id % 400')}, {d.moment(base, 'a.id % 400 + 2')} "
            f"FROM application a WHERE a.tenant_id = {t} AND a.id <= {sizes['engagements']}",
        ),
        (
            # hour logs: k = 1..per engagement, every third day from the start
            "hour_logs",
            "INSERT INTO hour_log (tenant_id, engagement_id, student_id, work_date, minutes, "
            "description, status, review_note, created_at) "
            "SELECT e.tenant_id, e.id, e.student_id, "
            f"{d.day(base, 'e.id % 400 + g.x * 3')}, 60 + (e.id + g.x) % 241, 'Work', "
            "CASE WHEN (e.id + g.x) % 20 = 0 THEN 'queried' WHEN (e.id + g.x) % 7 = 0 "
            "THEN 'pending' ELSE 'confirmed' END, '', "
            f"{d.moment(base, 'e.id % 400 + g.x * 3')} "
            + (
                f"FROM engagement e CROSS JOIN generate_series(1, "
                f"{sizes['hour_logs'] // sizes['engagements']}) AS g(x) "
                if d.pg
                else f"FROM engagement e CROSS JOIN (WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL "
                f"SELECT x + 1 FROM s WHERE x < {sizes['hour_logs'] // sizes['engagements']}) "
                f"SELECT x FROM s) AS g "
            )
            + f"WHERE e.tenant_id = {t}",
        ),
        (
            "evaluations",
            "INSERT INTO supervisor_evaluation (id, tenant_id, engagement_id, supervisor_name, "
            "comments, submitted_at) "
            "SELECT e.id, e.tenant_id, e.id, 'Supervisor', 'Reliable and curious.', "
            f"{d.moment(base, 'e.id % 400 + 30')} FROM engagement e "
            f"WHERE e.tenant_id = {t} AND e.status IN ('completed', 'submitted')",
        ),
        (
            "ratings",
            "INSERT INTO competency_rating (tenant_id, evaluation_id, competency, level, "
            "comment) "
            "SELECT v.tenant_id, v.id, 'Teamwork', 1 + (v.id % 97 + 1) % 4, '' "
            f"FROM supervisor_evaluation v WHERE v.tenant_id = {t} "
            "UNION ALL SELECT v.tenant_id, v.id, 'Communication', 2 + v.id % 3, 'Clear.' "
            f"FROM supervisor_evaluation v WHERE v.tenant_id = {t}",
        ),
    ]
    steps += pipeline_steps(d, t, base)
    bulk_load(d, steps, BULK_TABLES, SEQUENCES)
    return {
        "lid": lid,
        "students": (user0 + 1, user0 + n_students),
        "employers": n_employers,
        "courses": (user0 + 1, user0 + n_courses),
    }


def pipeline_steps(d: Dialect, t: int, base: dt.date) -> list[tuple[str, str]]:
    """Offers and payments over the generated engagements (statuses by id % 10: 0 active,
    1 submitted, 2-8 completed, 9 cancelled)."""
    paid = (
        "FROM engagement e JOIN listing l ON l.id = e.listing_id "
        f"WHERE e.tenant_id = {t} AND l.compensation_type <> 'unpaid' "
    )
    offer = (
        "INSERT INTO engagement_offer (tenant_id, engagement_id, student_id, employer_id, "
        "would_hire, kind, details, status, answered_by, answered_at, offered_at, decided_at) "
        "SELECT e.tenant_id, e.id, e.student_id, l.employer_id, "
    )
    answered = d.moment(base, "e.id % 400 + 31")
    return [
        (
            "offers",
            offer + "TRUE, CASE e.id % 4 WHEN 0 THEN 'full_time' WHEN 1 THEN 'part_time' "
            "WHEN 2 THEN 'internship' ELSE 'micro_internship' END, '', CASE e.id % 3 "
            "WHEN 0 THEN 'accepted' WHEN 1 THEN 'declined' ELSE 'offered' END, 'bench', "
            f"{answered}, {answered}, NULL FROM engagement e JOIN listing l "
            f"ON l.id = e.listing_id WHERE e.tenant_id = {t} AND e.id % 5 = 2",
        ),
        (
            "answers without an offer",
            offer + f"FALSE, NULL, '', 'no_offer', 'bench', {answered}, NULL, NULL "
            f"FROM engagement e JOIN listing l ON l.id = e.listing_id "
            f"WHERE e.tenant_id = {t} AND e.id % 10 = 3",
        ),
        (
            "payments",
            "INSERT INTO employer_payment (tenant_id, engagement_id, student_id, employer_id, "
            "amount_cents, currency, paid_on, reference, state, marked_by, marked_at, "
            "dispute_note, resolution_note) "
            "SELECT e.tenant_id, e.id, e.student_id, l.employer_id, "
            f"COALESCE(l.pay_amount_cents, 0), 'USD', {d.day(base, 'e.id % 400 + 20')}, '', "
            "CASE WHEN e.id % 7 = 0 THEN 'disputed' WHEN e.id % 2 = 0 THEN 'confirmed' "
            f"ELSE 'marked' END, 'bench', {d.moment(base, 'e.id % 400 + 20')}, '', '' "
            + paid
            + "AND e.id % 10 BETWEEN 2 AND 7",
        ),
        (
            "overdue notices",
            "INSERT INTO pay_overdue (tenant_id, engagement_id, student_id, employer_id, "
            "due_on, amount_cents, currency, noticed_at, clear_note) "
            "SELECT e.tenant_id, e.id, e.student_id, l.employer_id, "
            f"{d.day(base, 'e.id % 400 + 30')}, COALESCE(l.pay_amount_cents, 0), 'USD', "
            f"{d.moment(base, 'e.id % 400 + 40')}, '' " + paid + "AND e.id % 10 = 8",
        ),
    ]


BULK_TABLES = (
    "lti_user", "student_profile", "enrolment", "listing", "application", "engagement",
    "hour_log", "supervisor_evaluation", "competency_rating", "engagement_offer",
    "employer_payment", "pay_overdue",
)  # fmt: skip
SEQUENCES = ("course", "lti_user", "employer", "listing", "application", "engagement",
             "supervisor_evaluation")  # fmt: skip


def existing(today: dt.date) -> dict[str, Any]:
    """The ids ``generate`` returned, read back from a kept database (``--reuse``); the
    advisor's launch is made valid for another day."""
    from sqlalchemy import text

    from lti_tool.extensions import db

    tenant = db.session.scalar(text("SELECT min(id) FROM tenant WHERE name = 'Bench University'"))
    if tenant is None:
        raise SystemExit("--reuse: no benchmark tenant in that database")
    lid = db.session.scalar(
        text("SELECT l.id FROM launch l WHERE l.tenant_id = :t AND l.role = 'advisor'"),
        {"t": tenant},
    )
    db.session.execute(
        text("UPDATE launch SET expires_at = :until WHERE id = :lid"),
        {"until": dt.datetime.combine(today, dt.time()) + dt.timedelta(days=2), "lid": lid},
    )
    students = db.session.execute(
        text("SELECT min(id), max(id) FROM lti_user WHERE tenant_id = :t AND sub LIKE 'stu-%'"),
        {"t": tenant},
    ).one()
    courses = db.session.execute(
        text("SELECT min(id), max(id) FROM course WHERE tenant_id = :t"), {"t": tenant}
    ).one()
    employers = db.session.scalar(
        text("SELECT count(*) FROM employer WHERE tenant_id = :t"), {"t": tenant}
    )
    db.session.commit()
    return {
        "lid": lid,
        "students": tuple(students),
        "employers": int(employers),
        "courses": tuple(courses),
    }


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def keep_employer_figures(app: Any, ids: dict[str, Any]) -> float:
    """Work the all-time employer figures out and keep them, as the work pool does after the
    page's first view (tests and benchmarks run without a pool); the seconds it took."""
    from accreditation.reports import employer_snapshots
    from lti_tool.extensions import db
    from lti_tool.models import Launch

    with app.app_context():
        tenant_id = db.session.get(Launch, ids["lid"]).tenant_id
        start = time.perf_counter()
        employer_snapshots.refresh(tenant_id, None)
        db.session.commit()
        return time.perf_counter() - start


def keep_home_figures(app: Any, ids: dict[str, Any]) -> float:
    """Work the advisor home's figures of this term out and keep them, as the work pool does
    after a first view at a large institution; the seconds it took."""
    from accreditation.reports import home_snapshots
    from accreditation.reports.services.common import current_term, terms
    from lti_tool.extensions import db
    from lti_tool.models import Launch

    with app.app_context():
        tenant_id = db.session.get(Launch, ids["lid"]).tenant_id
        today = dt.date.today()
        start = time.perf_counter()
        home_snapshots.refresh(tenant_id, current_term(terms(tenant_id), today), today)
        db.session.commit()
        return time.perf_counter() - start


def run(url: str, sizes: dict[str, int], requests: int, reuse: bool = False) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from lti_tool import create_app
    from lti_tool.extensions import db

    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=url, SANDBOX_ENABLED=False)
    rng = random.Random(7)
    today = dt.date.today()
    with app.app_context():
        upgrade(revision="heads")  # a kept database gets the migrations added since
        if reuse:
            ids = existing(today)
        else:
            start = time.perf_counter()
            ids = generate(sizes, today)
            print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
        # a kept database may hold the home's figures kept by the last run: the first views
        # below are to work them out
        db.session.execute(text("DELETE FROM advisor_home_snapshot"))
        db.session.commit()
        db.engine.dispose()
    client = app.test_client()
    lid = ids["lid"]

    def fetch(path: str, params: dict[str, Any]) -> None:
        resp = client.get(path, query_string={"lid": lid, **params})
        assert resp.status_code == 200, (path, params, resp.status_code, resp.data[:300])

    def home() -> None:
        fetch("/reports/", {})

    by_filter: dict[str, list[float]] = {}

    def table() -> None:
        filters: dict[str, Any] = rng.choice(
            [
                {"state": "active"},
                {"state": "completed", "program": rng.choice(PROGRAMS)},
                {"employer": rng.randint(1, ids["employers"])},
                {"employer_name": f"employer {rng.randint(1, ids['employers'])}"},
                {"course": rng.randint(*ids["courses"]), "state": "completed"},
                {"term": "Fall term", "program": rng.choice(PROGRAMS)},
                {"q": f"student {rng.randint(1, 9999)}"},
                {"risk": "any"},
            ]
        )
        start = time.perf_counter()
        fetch("/reports/students", {**filters, "page": rng.choice((1, 1, 2, rng.randint(1, 20)))})
        label = "+".join(sorted(filters))
        by_filter.setdefault(label, []).append((time.perf_counter() - start) * 1000)

    def pdf() -> None:
        fetch(f"/reports/students/{rng.randint(*ids['students'])}/report.pdf", {})

    def employers() -> None:
        fetch("/reports/employer-figures", {})

    def payments() -> None:
        fetch("/employers/pay/overdue", {})

    home_live_ms = timed(home, 5)  # and warm the worker: templates, fonts, the connection pool
    print(f"  home worked out for the view: median {statistics.median(home_live_ms):.0f} ms")
    timed(table, 5)
    timed(pdf, 2)
    keep_s = keep_employer_figures(app, ids)
    print(f"  employer figures worked out and kept in {keep_s:.1f} s (the work pool's job)")
    timed(employers, 2)
    timed(payments, 2)
    home_kept_s = keep_home_figures(app, ids)
    print(f"  advisor home figures worked out and kept in {home_kept_s:.1f} s (the pool's job)")
    home_ms = timed(home, requests)
    table_ms = timed(table, requests)
    pdf_ms = timed(pdf, 10)
    employers_ms = timed(employers, max(10, requests // 5))
    payments_ms = timed(payments, requests)
    for label, values in sorted(by_filter.items()):
        p50, worst = statistics.median(values), max(values)
        print(f"    table {label}: p50 {p50:.0f} ms, max {worst:.0f} ms ({len(values)} pages)")
    with app.app_context():
        db.engine.dispose()
    return {
        "home_live_ms": round(statistics.median(home_live_ms), 1),
        "home_kept_s": round(home_kept_s, 2),
        "home_p50_ms": round(statistics.median(home_ms), 1),
        "home_p95_ms": round(percentile(home_ms, 95), 1),
        "table_p50_ms": round(statistics.median(table_ms), 1),
        "table_p95_ms": round(percentile(table_ms, 95), 1),
        "pdf_median_s": round(statistics.median(pdf_ms) / 1000, 2),
        "pdf_s": round(max(pdf_ms) / 1000, 2),
        "employers_p50_ms": round(statistics.median(employers_ms), 1),
        "employers_p95_ms": round(percentile(employers_ms, 95), 1),
        "payments_p50_ms": round(statistics.median(payments_ms), 1),
        "payments_p95_ms": round(percentile(payments_ms, 95), 1),
        "sizes": sizes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="of the PostgreSQL sizes")
    parser.add_argument("--only", choices=("postgresql", "sqlite"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="time a database --keep kept (not dropped; pass the --scale it was made at)",
    )
    args = parser.parse_args()
    if args.reuse and args.only != "postgresql":
        parser.error("--reuse needs --only postgresql")
    # SIGTERM unwinds like Ctrl-C, so the temporary database is dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pg_sizes = {k: max(10, int(v * args.scale)) for k, v in FULL.items()}
    sqlite_sizes = {k: max(10, int(v * args.scale / 10)) for k, v in FULL.items()}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        os.environ.setdefault("CAREER_CREDIT_INSTANCE", tmp)
        if args.reuse:
            url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{args.reuse}"
            print(f"PostgreSQL, kept database {args.reuse}", flush=True)
            url = url.replace("postgresql://", "postgresql+psycopg://")
            results["postgresql"] = run(url, pg_sizes, args.requests, reuse=True)
            print(f"  {results['postgresql']}", flush=True)
        elif args.only != "sqlite":
            with postgres_or_none(args.keep) as pg_url:
                if pg_url:
                    print(f"PostgreSQL, {pg_sizes}", flush=True)
                    url = pg_url.replace("postgresql://", "postgresql+psycopg://")
                    results["postgresql"] = run(url, pg_sizes, args.requests)
                    print(f"  {results['postgresql']}", flush=True)
        if args.only != "postgresql":
            print(f"SQLite, {sqlite_sizes}", flush=True)
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", sqlite_sizes, args.requests)
            print(f"  {results['sqlite']}", flush=True)
    print(f"targets: {TARGETS}")
    print(json.dumps({db: {k: r[k] for k in TARGETS} for db, r in results.items()}))


if __name__ == "__main__":
    main()
