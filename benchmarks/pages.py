#!/usr/bin/env python
"""Pages benchmark: the tool's CPU per request for each main page, as a person opens it in the
LMS iframe (no cookies, the launch id in the query string).

The app runs in this process (``create_app`` on the database, development settings, the
sandbox LMS on; a threaded server on a loopback port serves the sandbox's key set, token
endpoint and NRPS to the tool's own calls). ``app.wsgi_app`` is wrapped in a meter that reads
``time.thread_time()`` (the CPU of the thread serving the request) and ``perf_counter`` around
each request, and counts the SQL statements that thread executes (a ``before_cursor_execute``
listener). Each role launches once through the sandbox (its launch page -> the tool's
``/lti/login`` -> the sandbox's ``/auth`` -> the tool's ``/lti/launch``); then each page is
requested a few times to warm up and N times measured, every answer checked: 200, HTML, a
``<main`` element.

Demo sizes are what ``make run`` loads (``db upgrade heads``, ``sandbox seed``, ``internships
demo``, ``credit demo``); the course progress page is then measured again with 300 more
students in BUS 390 (in the sandbox LMS and in the tool, most with an engagement, hours,
reflections and evaluations). ``--advisor-sizes`` also measures the advisor's pages and the
administrator's overview over ``benchmarks/advisor.py``'s data (its loader, in a database of
its own). SQLite (a file) always; PostgreSQL (a fresh ``cc_bench_*`` database, dropped) when a
server answers.

Targets (issue 16): at demo sizes a median of at most 5 ms of tool CPU per page, 25 ms for the
300-student course progress. The last line is one JSON object: ``{"pages": {"student_home":
{"median_ms", "p95_ms", ...}, ...}, "database": ..., <the other database>: ..., ...}``, demo
sizes on PostgreSQL (SQLite when PostgreSQL is unavailable). Exit 0 when it ran (a missed
target is reported, not an error), 1 when a page answered other than 200 + HTML.

    .venv/bin/python benchmarks/pages.py --quick              # 40 requests a page
    .venv/bin/python benchmarks/pages.py                      # 200, both databases
    .venv/bin/python benchmarks/pages.py --advisor-sizes --scale 0.1
    .venv/bin/python benchmarks/pages.py --db sqlite --profile /tmp/pages-prof
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import html
import io
import json
import logging
import os
import pstats
import re
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    free_port,
    interpreter,
    percentile,
    pids_matching,
    postgres_available,
    postgres_database,
    server_ns,
)

TENANT = "Sandbox University"
COURSE = "bus-390"
STUDENT, FACULTY, ADVISOR, ADMIN = "amara-okafor", "priya-raman", "jordan-ellis", "sam-whitfield"
REVIEWED = "chloe-martin"  # finished work in BUS 390, changes asked for by the demo
SEARCH = "data"
BENCH_PREFIX = "bench-pages-"
# The issue's pages, in its order (the JSON's "pages"); then pages measured beside them.
PAGES = (
    "student_home", "board_search", "listing", "engagement", "course_progress", "review",
    "advisor_dashboard", "advisor_students", "admin_overview",
)  # fmt: skip
DEMO_TARGET_MS, COURSE_TARGET_MS = 5.0, 25.0
TARGETS = dict.fromkeys(PAGES, DEMO_TARGET_MS) | {"course_progress": COURSE_TARGET_MS}
TARGETS |= {"course_progress_demo": DEMO_TARGET_MS, "advisor_home": DEMO_TARGET_MS}


# ---------------------------------------------------------------------------------------------
# The meter: CPU, wall time and SQL statements of each request, by page
# ---------------------------------------------------------------------------------------------


@dataclass
class Sample:
    cpu_ms: float
    wall_ms: float
    statements: int
    template_ms: float  # CPU between Flask's before_render_template and template_rendered
    db_ms: float | None = None  # the database server's CPU (PostgreSQL backends), or None


@dataclass
class Meter:
    """Wraps ``app.wsgi_app``. Requests served on the measuring thread while ``label`` is set
    are timed (this thread's CPU, wall time) and their SQL statements counted; every other
    request (warm-ups, launches, the sandbox's answers on the server thread) passes through."""

    wsgi: Callable[..., Iterable[bytes]]
    thread: int = field(default_factory=threading.get_ident)
    label: str | None = None
    statements: int = 0
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    profiler: cProfile.Profile | None = None
    template_cpu: float = 0.0
    render_starts: list[float] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)  # the last measured request's statements
    db_marker: str | None = None  # names the database in its PostgreSQL backends' titles

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        label = self.label
        if label is None or threading.get_ident() != self.thread:
            return self.wsgi(environ, start_response)
        self.statements, self.template_cpu, self.sql = 0, 0.0, []
        backends = pids_matching(self.db_marker) if self.db_marker else []
        db_ns = server_ns(backends)
        if self.profiler is not None:
            self.profiler.enable()
        cpu, wall = time.thread_time(), time.perf_counter()
        result = self.wsgi(environ, start_response)
        try:
            body = b"".join(result)  # the body is part of the request's work
        finally:
            getattr(result, "close", lambda: None)()
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        db_ms = (server_ns(backends) - db_ns) / 1e6 if backends else None
        if self.profiler is not None:
            self.profiler.disable()
        else:
            sample = Sample(
                cpu * 1000, wall * 1000, self.statements, self.template_cpu * 1000, db_ms
            )
            self.samples.setdefault(label, []).append(sample)
        return [body]

    def measuring(self) -> bool:
        return self.label is not None and threading.get_ident() == self.thread

    def count(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """``before_cursor_execute``: one statement, if it is the measured request's."""
        if self.measuring():
            self.statements += 1
            self.sql.append(statement)

    def render_started(self, *_args: Any, **_kw: Any) -> None:
        """``before_render_template``."""
        if self.measuring():
            self.render_starts.append(time.thread_time())

    def render_ended(self, *_args: Any, **_kw: Any) -> None:
        """``template_rendered``: the template's CPU (its lazy loads' SQL included)."""
        if self.measuring() and self.render_starts:
            self.template_cpu += time.thread_time() - self.render_starts.pop()


def stats(samples: list[Sample]) -> dict[str, Any]:
    cpu = [s.cpu_ms for s in samples]
    db = [s.db_ms for s in samples if s.db_ms is not None]
    return {
        "median_ms": round(statistics.median(cpu), 2),
        "p95_ms": round(percentile(cpu, 95), 2),
        "wall_ms": round(statistics.median(s.wall_ms for s in samples), 2),
        "statements": int(statistics.median(s.statements for s in samples)),
        "template_ms": round(statistics.median(s.template_ms for s in samples), 2),
        **({"db_cpu_ms": round(statistics.median(db), 2)} if db else {}),
        "requests": len(samples),
    }


# ---------------------------------------------------------------------------------------------
# The app in this process, the sandbox LMS's server thread, launches
# ---------------------------------------------------------------------------------------------


@dataclass
class Bench:
    """One app on one database: its meter, a cookie-less client (the LMS iframe) and the
    URLs the sandbox was seeded with."""

    app: Any
    meter: Meter
    tool_url: str
    platform_url: str
    requests: int
    warmups: int
    profile_dir: Path | None
    show_sql: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return self.app.test_client(use_cookies=False)


def make_app(url: str, port: int) -> Any:
    from lti_tool import create_app

    return create_app(
        {
            "CAREER_CREDIT_ENV": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": secrets.token_urlsafe(32),
            "JOB_RUNNER": "off",  # no outbox thread competing with the measured requests
            "SANDBOX_ENABLED": True,
            "SANDBOX_TOOL_URL": f"http://127.0.0.1:{port}",
            "SANDBOX_PLATFORM_URL": f"http://localhost:{port}",
        }
    )


@contextlib.contextmanager
def serving(app: Any, port: int) -> Iterator[None]:
    """The app on a loopback port in a thread: the sandbox LMS answers the tool's calls there
    (key set, token, NRPS) and the tool answers the sandbox's (its key set)."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per sandbox call

    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()


def launch(bench: Bench, person: str, course: str | None = COURSE) -> str:
    """A sandbox launch (cookie flow, in a client of its own); returns the launch id."""
    client = bench.app.test_client()
    query = {"person": person, "storage": "off", **({"course": course} if course else {})}
    page = client.get("/sandbox/launch", base_url=bench.platform_url, query_string=query)
    found = re.search(r'data-login-url="([^"]+)"', page.get_data(as_text=True))
    if page.status_code != 200 or found is None:
        raise RuntimeError(f"sandbox launch page for {person}: HTTP {page.status_code}")
    login = client.get(html.unescape(found.group(1)))
    if login.status_code != 302:
        raise RuntimeError(f"tool /lti/login for {person}: HTTP {login.status_code}")
    form = client.get(login.headers["Location"]).get_data(as_text=True)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]+)"', form))
    action = re.search(r'id="launch-form" method="post" action="([^"]+)"', form)
    if action is None or len(fields) != 2:
        raise RuntimeError(f"sandbox /auth for {person}: no launch form")
    done = client.post(html.unescape(action.group(1)), data=fields)
    lid = landed_lid(done)
    if lid is None:
        raise RuntimeError(f"tool /lti/launch for {person}: HTTP {done.status_code}")
    return lid


def landed_lid(done: Any) -> str | None:
    """The launch id a launch POST answered with: its landing page names its own address
    (the launch id in it), an older tool's 303 names the page (None for anything else)."""
    if done.status_code == 303:
        found = re.search(r"lid=([\w-]+)", done.headers.get("Location", ""))
    elif done.status_code == 200 and check(done) is None:
        found = PAGE_ADDRESS.search(done.get_data(as_text=True))
    else:
        return None
    return found.group(1) if found else None


# the landing page's own address, which replaces the launch POST in the browser's history
PAGE_ADDRESS = re.compile(r'history\.replaceState\(history\.state, "", "[^"]*lid=([\w-]+)')


def keep_roster(app: Any, lid: str) -> str:
    """Read the launch's course roster from the LMS now, as the Refresh roster button does, so
    the course page is measured with the roster it keeps (the job runner is off here, so a page
    never hands a read to the background). A tool that reads the roster on each view has no
    such step."""
    try:
        from lti_tool.lti.rosters import refresh_roster
    except ImportError:
        return "by each view (no kept roster in this version)"
    from lti_tool.auth import load_launch

    with app.app_context():
        ctx = load_launch(lid)
        assert ctx is not None
        return str(refresh_roster(ctx))


# ---------------------------------------------------------------------------------------------
# Measuring a page
# ---------------------------------------------------------------------------------------------


def check(resp: Any) -> str | None:
    """Why an answer is not a page (None when it is one)."""
    if resp.status_code != 200:
        return f"HTTP {resp.status_code}"
    if resp.mimetype != "text/html":
        return f"HTTP 200 but {resp.mimetype}"
    if b"<main" not in resp.data:
        return "HTTP 200 but no <main> element"
    return None


def measure(bench: Bench, label: str, path: str, lid: str, **params: Any) -> dict[str, Any]:
    """Warm-ups, then the measured requests of one page; its figures ({} after an error)."""
    client, meter = bench.client, bench.meter
    query = {"lid": lid, **params}

    def requested(times: int) -> bool:
        """``times`` requests of the page; False (the error noted) at the first bad answer."""
        for _ in range(times):
            problem = check(client.get(path, query_string=query))
            if problem:
                bench.errors.append(f"{label} (GET {path}): {problem}")
                print(f"  ERROR {label} (GET {path}): {problem}", flush=True)
                return False
        return True

    if not requested(bench.warmups):
        return {}
    meter.samples.pop(label, None)
    meter.label = label
    try:
        if not requested(bench.requests):
            return {}
    finally:
        meter.label = None
    if bench.show_sql:
        for statement in meter.sql:
            print(f"    SQL {' '.join(statement.split())[:160]}")
    if bench.profile_dir is not None:
        profile(bench, label, path, query)
    return stats(meter.samples[label])


def profile(bench: Bench, label: str, path: str, query: dict[str, Any]) -> None:
    """The page's requests again under cProfile (timed by this thread's CPU clock), saved as
    <dir>/<label>.pstats; prints the 15 functions with the most cumulative time."""
    assert bench.profile_dir is not None
    profiler = cProfile.Profile(time.thread_time)
    bench.meter.profiler, bench.meter.label = profiler, label
    try:
        for _ in range(bench.requests):
            bench.client.get(path, query_string=query)
    finally:
        bench.meter.profiler, bench.meter.label = None, None
    bench.profile_dir.mkdir(parents=True, exist_ok=True)
    out = bench.profile_dir / f"{label}.pstats"
    profiler.dump_stats(out)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(15)
    body = text.getvalue()
    body = body[body.find("   ncalls") :] if "   ncalls" in body else body
    print(f"  profile {label} ({bench.requests} requests, CPU s) -> {out}", flush=True)
    print(f"  {shares(profiler)}\n{body}", flush=True)


def shares(profiler: cProfile.Profile) -> str:
    """Where a profile's time went, as shares of the requests' whole: outside the view (Flask,
    the launch lookup, hooks, teardown), templates, SQLAlchemy's session executions (ORM and
    driver; lazy loads inside templates count in both). cProfile charges each call, so
    call-heavy code (templates) weighs more here than without it."""
    table = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def cumulative(path: str, function: str) -> float:
        return sum(v[3] for k, v in table.items() if k[0].endswith(path) and k[2] == function)

    total = cumulative("flask/app.py", "wsgi_app") or 1.0
    parts = {
        "outside the view": total - cumulative("flask/app.py", "dispatch_request"),
        "templates": cumulative("flask/templating.py", "render_template"),
        "SQLAlchemy executions": cumulative("sqlalchemy/orm/session.py", "_execute_internal"),
    }
    return "shares: " + ", ".join(f"{name} {part / total:.0%}" for name, part in parts.items())


# ---------------------------------------------------------------------------------------------
# Demo sizes: what `make run` loads, then 300 more students in BUS 390
# ---------------------------------------------------------------------------------------------


def load_demo(app: Any) -> None:
    """``flask db upgrade heads``, ``sandbox seed``, ``internships demo``, ``credit demo``."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision="heads")
    runner = app.test_cli_runner()
    for args in (
        ["sandbox", "seed"],
        ["internships", "demo", "--tenant", TENANT],
        ["credit", "demo", "--tenant", TENANT],
    ):
        result = runner.invoke(args=args)
        if result.exit_code != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {result.output}{result.exception}")


@dataclass
class DemoIds:
    student_id: int
    engagement_id: int
    listing_id: int
    reviewed_id: int


def demo_ids(app: Any, student_lid: str) -> DemoIds:
    """The student's engagement, an open listing and the student the instructor reviews."""
    from sqlalchemy import select

    from internships.models import Listing
    from internships.work.models import Engagement
    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from lti_tool.models import User
    from lti_tool.sandbox.seed import stable_id

    with app.app_context():
        ctx = load_launch(student_lid)
        assert ctx is not None
        engagement = db.session.scalar(
            select(Engagement.id).where(Engagement.student_id == ctx.user_id).order_by("id")
        )
        listing = db.session.scalar(
            select(Listing.id)
            .where(Listing.tenant_id == ctx.tenant_id, Listing.status == "open")
            .order_by(Listing.id)
        )
        reviewed = db.session.scalar(
            select(User.id).where(
                User.tenant_id == ctx.tenant_id, User.sub == stable_id(f"person:{REVIEWED}")
            )
        )
        if engagement is None or listing is None or reviewed is None:
            raise RuntimeError("the demo data has no engagement, open listing or reviewee")
        return DemoIds(int(ctx.user_id), engagement, listing, reviewed)


def demo_pages(ids: DemoIds) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Each page measured at demo sizes: its label, path, whose launch (student, faculty,
    advisor, admin) and query."""
    return [
        ("student_home", "/home/student", "student", {}),
        ("board_search", "/internships/", "student", {"q": SEARCH}),
        ("listing", f"/internships/{ids.listing_id}", "student", {}),
        ("engagement", f"/work/engagements/{ids.engagement_id}", "student", {}),
        ("course_progress_demo", "/credit/course", "faculty", {}),
        ("review", f"/credit/students/{ids.reviewed_id}", "faculty", {}),
        ("advisor_dashboard", "/reports/", "advisor", {}),
        ("advisor_students", "/reports/students", "advisor", {}),
        ("advisor_home", "/home/advisor", "advisor", {}),
        ("admin_overview", "/admin/", "admin", {}),
    ]


def add_students(app: Any, count: int) -> None:
    """``count`` students in BUS 390, in the sandbox LMS (so NRPS lists them) and in the tool,
    inserted in bulk: a tenth with nothing yet, three tenths with an active engagement (hours
    confirmed and pending, agreement acknowledged), the rest with completed work (12 hours
    confirmed, reflection, supervisor evaluation with two ratings; one in ten without the
    reflection)."""
    from sqlalchemy import insert, select

    from lti_tool.extensions import db
    from lti_tool.models import Course, Enrolment, Registration, User
    from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxPerson
    from lti_tool.sandbox.seed import CLIENT_ID, stable_id

    with app.app_context():
        reg = db.session.scalar(select(Registration).where(Registration.client_id == CLIENT_ID))
        assert reg is not None
        sb_course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == COURSE))
        course = db.session.scalar(
            select(Course).where(
                Course.tenant_id == reg.tenant_id,
                Course.context_id == stable_id(f"course:{COURSE}"),
            )
        )
        assert sb_course is not None and course is not None
        keys = [f"{BENCH_PREFIX}{n:03d}" for n in range(count)]
        person0, user0 = next_id(SandboxPerson), next_id(User)
        rows = [(n, key, f"{key}@example.edu") for n, key in enumerate(keys)]
        db.session.execute(
            insert(SandboxPerson),
            [
                {"id": person0 + n, "key": key, "user_id": key, "kind": "student",
                 "given_name": "Bench", "family_name": f"Student {n:03d}", "email": email}
                for n, key, email in rows
            ],
        )  # fmt: skip
        db.session.execute(
            insert(SandboxEnrolment),
            [
                {"course_id": sb_course.id, "person_id": person0 + n, "role": "learner",
                 "status": "Active"}
                for n in range(count)
            ],
        )  # fmt: skip
        db.session.execute(
            insert(User),
            [
                {"id": user0 + n, "tenant_id": reg.tenant_id, "issuer": reg.issuer, "sub": key,
                 "name": f"Bench Student {n:03d}", "email": email}
                for n, key, email in rows
            ],
        )  # fmt: skip
        db.session.execute(
            insert(Enrolment),
            [
                {"tenant_id": reg.tenant_id, "course_id": course.id, "user_id": user0 + n,
                 "role": "student"}
                for n in range(count)
            ],
        )  # fmt: skip
        add_work(reg.tenant_id, course.id, [user0 + n for n in range(count)])
        move_sequences(("sandbox_person", "lti_user", "application", "engagement",
                        "supervisor_evaluation"))  # fmt: skip
        db.session.commit()


def next_id(model: Any) -> int:
    from sqlalchemy import func, select

    from lti_tool.extensions import db

    return int(db.session.scalar(select(func.max(model.id))) or 0) + 1


def move_sequences(tables: Iterable[str]) -> None:
    """PostgreSQL: the id sequences past the explicit ids just inserted."""
    from sqlalchemy import text

    from lti_tool.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        )


def add_work(tenant_id: int, course_id: int, students: list[int]) -> None:
    """Applications and engagements on the tenant's open listings, hours, reflections and
    evaluations for ``students`` (by position: see ``add_students``)."""
    from sqlalchemy import insert, select

    from internships.models import Listing
    from internships.work.models import (
        Application,
        CompetencyRating,
        Engagement,
        HourLog,
        Reflection,
        SupervisorEvaluation,
    )
    from lti_tool.extensions import db

    listings = list(
        db.session.scalars(
            select(Listing.id).where(Listing.tenant_id == tenant_id, Listing.status == "open")
        )
    )
    start = dt.date.today() - dt.timedelta(days=40)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    app0, eval0 = next_id(Application), next_id(SupervisorEvaluation)
    working = [(n, s) for n, s in enumerate(students) if n % 10 >= 1]
    common = {"tenant_id": tenant_id, "course_id": course_id}
    db.session.execute(
        insert(Application),
        [
            {**common, "id": app0 + n, "listing_id": listings[n % len(listings)],
             "student_id": s, "status": "accepted", "consented_at": now, "decided_at": now}
            for n, s in working
        ],
    )  # fmt: skip
    db.session.execute(
        insert(Engagement),
        [
            {**common, "id": app0 + n, "application_id": app0 + n,
             "listing_id": listings[n % len(listings)], "student_id": s,
             "status": "active" if n % 10 <= 3 else "completed",
             "competencies": ["Teamwork", "Communication"], "planned_hours": 12,
             "weekly_hours": 6, "supervisor_name": "Sam Supervisor",
             "supervisor_email": "sam@acme.example", "start_date": start,
             "end_date": start + dt.timedelta(days=30), "acknowledged_at": now,
             "created_by": "benchmark"}
            for n, s in working
        ],
    )  # fmt: skip
    db.session.execute(
        insert(HourLog),
        [
            {"tenant_id": tenant_id, "engagement_id": app0 + n, "student_id": s,
             "work_date": start + dt.timedelta(days=3 * k), "minutes": 180,
             "description": f"Work session {k + 1}",
             "status": "pending" if n % 10 <= 3 and k == 3 else "confirmed"}
            for n, s in working
            for k in range(4)
        ],
    )  # fmt: skip
    done = [n for n, _ in working if n % 10 >= 4]
    db.session.execute(
        insert(Reflection),
        [
            {"tenant_id": tenant_id, "engagement_id": app0 + n,
             "answers": {"what_did_you_learn": "How to clean survey data."}, "submitted_at": now}
            for n in done
            if n % 10 != 9
        ],
    )  # fmt: skip
    db.session.execute(
        insert(SupervisorEvaluation),
        [
            {"id": eval0 + n, "tenant_id": tenant_id, "engagement_id": app0 + n,
             "supervisor_name": "Sam Supervisor", "comments": "Reliable and curious."}
            for n in done
        ],
    )  # fmt: skip
    db.session.execute(
        insert(CompetencyRating),
        [
            {"tenant_id": tenant_id, "evaluation_id": eval0 + n, "competency": competency,
             "level": 3}
            for n in done
            for competency in ("Teamwork", "Communication")
        ],
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# A run on one database
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_on(url: str, args: argparse.Namespace, profile_dir: Path | None) -> Iterator[Bench]:
    """The app on ``url`` with its meter and statement counter, served on a loopback port."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from lti_tool.extensions import db

    port = free_port()
    app = make_app(url, port)
    meter = Meter(app.wsgi_app)
    app.wsgi_app = meter
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and engine.url.database:
        meter.db_marker = f" {engine.url.database} "  # its backends' titles name it
    event.listen(engine, "before_cursor_execute", meter.count)
    before_render_template.connect(meter.render_started, app)
    template_rendered.connect(meter.render_ended, app)
    bench = Bench(
        app, meter, f"http://127.0.0.1:{port}", f"http://localhost:{port}",
        args.requests, args.warmups, profile_dir, getattr(args, "sql", False),
    )  # fmt: skip
    try:
        with serving(app, port):
            yield bench
    finally:
        event.remove(engine, "before_cursor_execute", meter.count)
        before_render_template.disconnect(meter.render_started, app)
        template_rendered.disconnect(meter.render_ended, app)
        engine.dispose()


def run_demo(url: str, args: argparse.Namespace, profile_dir: Path | None) -> dict[str, Any]:
    """Every page at demo sizes, then the course progress with ``args.students`` more."""
    with bench_on(url, args, profile_dir) as bench:
        started = time.perf_counter()
        load_demo(bench.app)
        lids = {
            "student": launch(bench, STUDENT),
            "faculty": launch(bench, FACULTY),
            "advisor": launch(bench, ADVISOR, course=None),
            "admin": launch(bench, ADMIN, course=None),
        }
        ids = demo_ids(bench.app, lids["student"])
        print(f"  demo data loaded and 4 launches in {time.perf_counter() - started:.1f} s")
        faculty = lids["faculty"]
        print(f"  course roster read from the LMS: {keep_roster(bench.app, faculty)}")
        pages: dict[str, dict[str, Any]] = {}
        for label, path, role, params in demo_pages(ids):
            pages[label] = measure(bench, label, path, lids[role], **params)
            print(f"  {row(label, pages[label])}", flush=True)
        started = time.perf_counter()
        add_students(bench.app, args.students)
        print(
            f"  {args.students} students added to BUS 390 in {time.perf_counter() - started:.1f} s"
        )
        print(f"  course roster read from the LMS: {keep_roster(bench.app, faculty)}")
        pages["course_progress"] = measure(bench, "course_progress", "/credit/course", faculty)
        print(f"  {row('course_progress', pages['course_progress'])}", flush=True)
        return {"pages": pages, "errors": bench.errors}


def run_advisor_sizes(
    url: str, sizes: dict[str, int], args: argparse.Namespace, profile_dir: Path | None
) -> dict[str, Any]:
    """The advisor's pages and the administrator's overview on advisor.py's tenant."""
    import advisor as advisor_bench  # benchmarks/advisor.py: its loader

    with bench_on(url, args, profile_dir) as bench:
        from flask_migrate import upgrade

        with bench.app.app_context():
            upgrade(revision="heads")
            started = time.perf_counter()
            ids = advisor_bench.generate(sizes, dt.date.today())
            print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
            admin_lid = admin_launch(ids["lid"])
        pages: dict[str, dict[str, Any]] = {}
        for label, path, lid in (
            ("advisor_dashboard", "/reports/", ids["lid"]),
            ("advisor_students", "/reports/students", ids["lid"]),
            ("advisor_home", "/home/advisor", ids["lid"]),
            ("admin_overview", "/admin/", admin_lid),
        ):
            pages[label] = measure(bench, label, path, lid)
            print(f"  {row(label, pages[label], target=False)}", flush=True)
        return {"pages": pages, "errors": bench.errors, "sizes": sizes}


def admin_launch(advisor_lid: str) -> str:
    """A stored launch of a tool administrator in the advisor's tenant (advisor.py stores the
    advisor's launch the same way: its tenant has no LMS to launch from)."""
    from lti_tool.extensions import db
    from lti_tool.models import Launch, User, utcnow

    advisor = db.session.get(Launch, advisor_lid)
    assert advisor is not None
    admin = User(
        tenant_id=advisor.tenant_id,
        issuer="https://lms.bench.example",
        sub="admin",
        name="Alex Admin",
        email="alex@bench.edu",
    )
    db.session.add(admin)
    db.session.flush()
    lid = secrets.token_urlsafe(32)
    db.session.add(
        Launch(
            id=lid,
            tenant_id=advisor.tenant_id,
            registration_id=advisor.registration_id,
            user_id=admin.id,
            role="admin",
            is_tool_admin=True,
            message={},
            expires_at=utcnow() + dt.timedelta(days=1),
        )
    )
    db.session.commit()
    return lid


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------

HEADER = (
    f"  {'page':<22}{'median ms':>10}{'p95 ms':>9}{'wall ms':>9}{'statements':>12}"
    f"{'templates':>11}{'target':>8}  met?  {'db CPU ms':>9}"
)


def row(label: str, figures: dict[str, Any], target: bool = True) -> str:
    if not figures:
        return f"{label:<22}{'error':>10}"
    goal = TARGETS.get(label) if target else None
    met = "" if goal is None else ("yes" if figures["median_ms"] <= goal else "NO")
    db = f"{figures['db_cpu_ms']:.2f}" if "db_cpu_ms" in figures else ""
    return (
        f"{label:<22}{figures['median_ms']:>10.2f}{figures['p95_ms']:>9.2f}"
        f"{figures['wall_ms']:>9.2f}{figures['statements']:>12}{figures['template_ms']:>11.2f}"
        f"{'' if goal is None else f'{goal:.0f} ms':>8}  {met:<4}"
        f"{db:>11}"
    )


def table(title: str, pages: dict[str, dict[str, Any]], target: bool = True) -> None:
    print(f"\n{title}")
    print(HEADER)
    for label, figures in pages.items():
        print(f"  {row(label, figures, target)}")


def summary(results: dict[str, dict[str, Any]], advisor: dict[str, dict[str, Any]]) -> dict:
    """The last line: demo sizes on PostgreSQL (else SQLite) as "pages", the rest beside."""
    main_db = "postgresql" if "postgresql" in results else "sqlite"

    def issue_pages(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {label: pages.get(label, {}) for label in PAGES}

    def extra(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {label: figures for label, figures in pages.items() if label not in PAGES}

    out: dict[str, Any] = {
        "pages": issue_pages(results[main_db]["pages"]),
        "database": main_db,
        "extra_pages": extra(results[main_db]["pages"]),
        "targets_met": all(
            results[main_db]["pages"].get(label, {}).get("median_ms", float("inf"))
            <= TARGETS[label]
            for label in PAGES
        ),
    }
    for name, result in results.items():
        if name != main_db:
            out[name] = {
                "pages": issue_pages(result["pages"]),
                "extra_pages": extra(result["pages"]),
            }
    if advisor:
        out["advisor_sizes"] = advisor
    return out


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--db", choices=("all", "sqlite", "postgresql"), default="all")
    parser.add_argument("--requests", type=int, help="measured requests a page (200)")
    parser.add_argument("--quick", action="store_true", help="40 requests a page, --scale 0.1")
    parser.add_argument("--warmups", type=int, default=5, help="unmeasured requests first")
    parser.add_argument("--students", type=int, default=300, help="added to the course")
    parser.add_argument("--advisor-sizes", action="store_true", help="advisor.py's data too")
    parser.add_argument("--scale", type=float, help="of advisor.py's sizes (1, --quick 0.1)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile each page")
    parser.add_argument("--sql", action="store_true", help="print each page's statements")
    args = parser.parse_args(argv)
    args.requests = args.requests or (40 if args.quick else 200)
    args.scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    return args


def databases(args: argparse.Namespace, tmp: str) -> Iterator[tuple[str, Callable[[str], Any]]]:
    """(engine name, a context manager giving a fresh database URL) for each engine asked."""

    @contextlib.contextmanager
    def sqlite(name: str) -> Iterator[str]:
        yield f"sqlite:///{tmp}/{name}-{secrets.token_hex(3)}.db"

    @contextlib.contextmanager
    def postgresql(_name: str) -> Iterator[str]:
        with postgres_database() as (url, _):
            yield url

    if args.db in ("all", "postgresql"):
        reason = postgres_available()
        if reason:
            print(f"PostgreSQL skipped: {reason}", flush=True)
        else:
            yield "postgresql", postgresql
    if args.db in ("all", "sqlite"):
        yield "sqlite", sqlite


def run_engine(
    engine: str, fresh: Callable[[str], Any], args: argparse.Namespace, several: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Demo sizes (and advisor sizes when asked) on one engine, each on a fresh database."""
    from advisor import FULL

    prof = args.profile / engine if (args.profile and several) else args.profile
    print(f"\n{engine}: demo sizes, {args.requests} requests a page", flush=True)
    print(f"  {HEADER.strip()}")
    with fresh("demo") as url:
        demo = run_demo(url, args, prof)
    if not args.advisor_sizes:
        return demo, None
    factor = args.scale if engine == "postgresql" else args.scale / 10
    sizes = {k: max(10, int(v * factor)) for k, v in FULL.items()}
    print(f"\n{engine}: advisor sizes {sizes}", flush=True)
    with fresh("advisor") as url:
        big = run_advisor_sizes(url, sizes, args, prof / "advisor-sizes" if prof else None)
    return demo, big


@contextlib.contextmanager
def instance(path: str) -> Iterator[None]:
    """The tool's instance folder (secrets, uploads) in ``path`` for the run, then as before."""
    before = os.environ.get("CAREER_CREDIT_INSTANCE")
    os.environ["CAREER_CREDIT_INSTANCE"] = path
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("CAREER_CREDIT_INSTANCE", None)
        else:
            os.environ["CAREER_CREDIT_INSTANCE"] = before


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {interpreter()}", flush=True
    )
    results: dict[str, dict[str, Any]] = {}
    advisor: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-pages-") as tmp, instance(tmp):
        engines = list(databases(args, tmp))
        for engine, fresh in engines:
            results[engine], big = run_engine(engine, fresh, args, len(engines) > 1)
            if big is not None:
                advisor[engine] = big
    if not results:
        print("no database to measure")
        return 1
    for engine, result in results.items():
        table(f"{engine}, demo sizes (tool CPU per request):", result["pages"])
    for engine, result in advisor.items():
        table(f"{engine}, advisor sizes {result['sizes']}:", result["pages"], target=False)
    errors = [e for r in (*results.values(), *advisor.values()) for e in r["errors"]]
    for error in errors:
        print(f"ERROR {error}")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(json.dumps(summary(results, {k: v["pages"] for k, v in advisor.items()})))
    return 1 if errors else 0


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C, so the temporary databases are dropped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
