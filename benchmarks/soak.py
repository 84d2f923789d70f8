#!/usr/bin/env python
"""Soak test: minutes of mixed traffic against the tool under gunicorn (4 sync workers) on
PostgreSQL (or SQLite, ``--db sqlite``), with credit awards draining through the outbox into
the sandbox LMS's AGS while 10% of score posts fail transiently.

Two gunicorn servers share one fresh ``cc_bench_*`` database (dropped at the end), or with
``--db sqlite`` one fresh SQLite file in the run's temporary folder: the tool
(``JOB_RUNNER=thread``: each worker drains the outbox in-process, as a small install runs) and
the sandbox LMS (platform, OIDC authorization, AGS, token endpoint; ``benchmarks/grades.py``
starts it). Setup adds benchmark students to the sandbox course BUS 390 and to the tool, each
with finished work (for credit) and an active engagement (for hour logs), and sets the course
policy to points grading.

Traffic (several client threads, each a browser without cookies, as inside an LMS iframe):
launches (sandbox launch page -> tool /lti/login -> sandbox /auth -> tool /lti/launch -> the
tool's home), board searches, hour logs (engagement page, then the form), and awards and
corrections by the instructor (review page, then the form). At the end the faults are turned
off, the outbox drains (bounded wait), and every student's newest award is compared with the
result the sandbox platform stored (its own table, not ours).

Printed: tool requests/s, p50/p95/p99, errors (any unexpected status or exception, tool or
sandbox), 5xx from the tool, RSS of the gunicorn workers after warm-up and at the end, outbox
counts, lost grades; the last line is one JSON object.

    .venv/bin/python benchmarks/soak.py               # 10 minutes
    .venv/bin/python benchmarks/soak.py --minutes 1   # a development run
    .venv/bin/python benchmarks/soak.py --minutes 1 --db sqlite   # the embedded default
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grades as grades_bench  # noqa: E402  (benchmarks/grades.py: sandbox server, faults)
import launch as launch_bench  # noqa: E402  (benchmarks/launch.py: gunicorn, /proc)
from common import children, free_port, percentile, postgres_available, run_flask  # noqa: E402

COURSE = "bus-390"
FACULTY = "priya-raman"
STUDENT_PREFIX = "bench-soak-"
SEARCH_TERMS = ["", "Project", "Acme", "analytics", "data", "remote", "marketing", "zzz-none"]
# The operation mix (weights): one operation is one or two tool requests, a launch five.
MIX = {"launch": 10, "search": 35, "hours": 30, "award": 25}
DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite (one file, WAL)"}
TARGETS = {"errors": 0, "http_5xx": 0, "lost_grades": 0, "rss_growth_mb": 50.0}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """Every request's latency and outcome, from all client threads."""

    started: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tool_latencies: list[float] = field(default_factory=list)
    by_label: dict[str, list[float]] = field(default_factory=dict)
    sandbox_requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    http_5xx: int = 0
    ops: Counter[str] = field(default_factory=Counter)

    def request(self, target: str, label: str, seconds: float, status: int) -> None:
        with self.lock:
            self.by_label.setdefault(label, []).append(seconds)
            if target == "tool":
                self.tool_latencies.append(seconds)
                if status >= 500:
                    self.http_5xx += 1
            else:
                self.sandbox_requests += 1

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what[:160]] += 1


class Unexpected(Exception):
    """A response the traffic did not expect (counted as an error)."""


class Client:
    """One simulated browser in an LMS iframe: no cookies are kept (the tool's are ``Secure``
    and these URLs are http), so every tool URL carries the launch id, as in the iframe."""

    def __init__(self, rec: Recorder, tool_url: str, sandbox_url: str) -> None:
        import requests

        self.http = requests.Session()
        # A new connection per request: a pooled keep-alive connection the server closes at
        # that moment would fail with a reset (a browser retries those; this client would not).
        self.http.headers["Connection"] = "close"
        self.rec = rec
        self.tool_url = tool_url
        self.sandbox_url = sandbox_url

    def call(
        self,
        method: str,
        url: str,
        expect: int | tuple[int, ...],
        label: str,
        *,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        target = "tool" if url.startswith(self.tool_url) else "sandbox"
        self.http.cookies.clear()
        started = time.perf_counter()
        resp = self.http.request(
            method,
            url,
            data=data,
            params=params,
            headers=headers,
            allow_redirects=False,
            timeout=60,
        )
        self.rec.request(target, label, time.perf_counter() - started, resp.status_code)
        if resp.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            raise Unexpected(f"{label}: HTTP {resp.status_code} (expected {expect})")
        return resp


def _inputs(fragment: str) -> dict[str, str]:
    """Name -> value of the <input> and <textarea> elements in an HTML fragment."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", fragment):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if "name" in attrs:
            values[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return values


def _form(page: str, action_part: str) -> tuple[str, dict[str, str]] | None:
    """The first form whose action contains ``action_part``: (action URL, its inputs)."""
    for action, body in re.findall(
        r'<form\b[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, flags=re.S
    ):
        if action_part in action:
            return html.unescape(action), _inputs(body)
    return None


# ---------------------------------------------------------------------------------------------
# Traffic
# ---------------------------------------------------------------------------------------------


@dataclass
class Student:
    key: str  # sandbox person key = LTI sub
    user_id: int  # the tool's user id
    engagement_id: int  # the active engagement hours are logged against
    lock: threading.Lock = field(default_factory=threading.Lock)
    lid: str | None = None
    hours_form: tuple[str, dict[str, str]] | None = None
    logs: int = 0
    awarded: bool = False


@dataclass
class World:
    tool_url: str
    sandbox_url: str
    students: list[Student]
    today: dt.date


def launch(client: Client, person: str) -> tuple[str, str]:
    """A sandbox launch, cookie flow: (launch id, the tool's landing page)."""
    page = client.call(
        "GET",
        f"{client.sandbox_url}/sandbox/launch",
        200,
        "sandbox launch page",
        params={"course": COURSE, "person": person, "storage": "off"},
    ).text
    match = re.search(r'data-login-url="([^"]+)"', page)
    if match is None:
        raise Unexpected("sandbox launch page: no login URL")
    login = client.call("GET", html.unescape(match.group(1)), 302, "tool /lti/login")
    # The state cookie is Secure: requests would not send it over http, so it goes explicitly.
    cookie = "; ".join(f"{c.name}={c.value}" for c in login.cookies)
    form = client.call("GET", login.headers["Location"], 200, "sandbox /auth").text
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]+)"', form))
    action = re.search(r'id="launch-form" method="post" action="([^"]+)"', form)
    if action is None or len(fields) != 2:
        raise Unexpected("sandbox /auth: no launch form")
    done = client.call(
        "POST",
        html.unescape(action.group(1)),
        303,
        "tool /lti/launch",
        data=fields,
        headers={"Cookie": cookie},
    )
    location = done.headers["Location"]
    lid = re.search(r"lid=([\w-]+)", location)
    if lid is None:
        raise Unexpected("tool /lti/launch: no launch id in the redirect")
    for _ in range(3):  # the landing page may redirect (a role's home) within the tool
        if not location.startswith("http"):
            location = client.tool_url + location
        landing = client.call("GET", location, (200, 302, 303), "tool page after launch")
        if landing.status_code == 200:
            return lid.group(1), landing.text
        location = landing.headers["Location"]
    raise Unexpected("tool page after launch: too many redirects")


def student_launch(client: Client, student: Student) -> None:
    lid, _ = launch(client, student.key)
    page = client.call(
        "GET",
        f"{client.tool_url}/work/engagements/{student.engagement_id}",
        200,
        "engagement page",
        params={"lid": lid},
    ).text
    found = _form(page, f"/engagements/{student.engagement_id}/hours")
    if found is None:
        raise Unexpected("engagement page: no hours form")
    student.lid, student.hours_form = lid, found


def op_search(client: Client, world: World, rng: random.Random) -> None:
    student = rng.choice(world.students)
    with student.lock:
        if student.lid is None:
            student_launch(client, student)
        lid = student.lid
    client.call(
        "GET",
        f"{client.tool_url}/internships/",
        200,
        "board search",
        params={"q": rng.choice(SEARCH_TERMS), "lid": lid},
    )


def op_hours(client: Client, world: World, rng: random.Random) -> None:
    student = rng.choice(world.students)
    with student.lock:  # one browser per student: dates are handed out in order
        if student.lid is None:
            student_launch(client, student)
        assert student.hours_form is not None
        action, fields = student.hours_form
        n = student.logs
        student.logs += 1
        # a quarter hour, four entries a day going back: within every daily and weekly cap
        day = world.today - dt.timedelta(days=n // 4)
        client.call(
            "POST",
            client.tool_url + action if action.startswith("/") else action,
            303,
            "log hours",
            data={
                **fields,
                "work_date": day.isoformat(),
                "hours": "0.25",
                "description": f"Soak test work item {n} ({secrets.token_hex(3)})",
            },
            headers=FORM,
        )


class Faculty:
    """The instructor's launch, one per client thread."""

    def __init__(self) -> None:
        self.lid: str | None = None

    def ensure(self, client: Client) -> str:
        if self.lid is None:
            self.lid, _ = launch(client, FACULTY)
        return self.lid


def op_award(
    client: Client, world: World, rng: random.Random, faculty: Faculty, mine: list[Student]
) -> str:
    """Award credit to one of this thread's students (first award), or correct the award of
    one already awarded (a newer score: the newest must reach the gradebook)."""
    lid = faculty.ensure(client)
    fresh = [s for s in mine if not s.awarded]
    student = fresh[0] if fresh else rng.choice(mine)
    page = client.call(
        "GET",
        f"{client.tool_url}/credit/students/{student.user_id}",
        200,
        "review page",
        params={"lid": lid},
    ).text
    found = _form(page, "/correct" if student.awarded else "/award")
    if found is None:
        raise Unexpected(f"review page: no {'correction' if student.awarded else 'award'} form")
    action, fields = found
    data = {**fields, "credits": fields.get("credits") or "1", "score": str(rng.randint(50, 100))}
    if student.awarded:
        data["comment"] = f"Soak test correction {secrets.token_hex(3)}"
    resp = client.call(
        "POST",
        client.tool_url + action if action.startswith("/") else action,
        303,
        "award" if not student.awarded else "correction",
        data=data,
        headers=FORM,
    )
    if "/credit/students/" not in resp.headers.get("Location", ""):
        raise Unexpected("award: redirected elsewhere than the review page")
    kind = "correction" if student.awarded else "award"
    student.awarded = True
    return kind


def client_thread(
    index: int,
    world: World,
    rec: Recorder,
    stop_at: float,
    mine: list[Student],
    decisions: Counter[str],
) -> None:
    rng = random.Random(index * 7919 + 1)
    client = Client(rec, world.tool_url, world.sandbox_url)
    faculty = Faculty()
    kinds, weights = zip(*MIX.items(), strict=True)
    while time.monotonic() < stop_at:
        kind = rng.choices(kinds, weights)[0]
        try:
            if kind == "launch":
                if rng.random() < 0.3:
                    faculty.lid = None
                    faculty.ensure(client)
                else:
                    student = rng.choice(world.students)
                    with student.lock:
                        student_launch(client, student)
            elif kind == "search":
                op_search(client, world, rng)
            elif kind == "hours":
                op_hours(client, world, rng)
            elif kind == "award" and mine:
                decided = op_award(client, world, rng, faculty, mine)
                with rec.lock:
                    decisions[decided] += 1
            with rec.lock:
                rec.ops[kind] += 1
        except Unexpected as exc:
            rec.error(str(exc))
        except Exception as exc:  # a transport failure, a timeout
            rec.error(f"{kind}: {type(exc).__name__}: {exc}")


# ---------------------------------------------------------------------------------------------
# Setup and verification (in this process, on the shared database)
# ---------------------------------------------------------------------------------------------


def setup_students(
    app: Any, count: int, sandbox_url: str, faculty_lid: str
) -> tuple[list[Student], int, int]:
    """``count`` students in the sandbox course and in the tool (the course must exist in the
    tool: the instructor launched first), each with finished work worth 3 credits and an active
    engagement; the course policy grades in points. Returns (students, tenant id, course id)."""
    from sqlalchemy import insert, select

    from credit.services.policy import get_policy
    from internships.work.services.engagements import acknowledge_agreement
    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from lti_tool.models import Course, Enrolment, Registration, Tenant, User
    from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxPerson
    from lti_tool.sandbox.seed import CLIENT_ID, stable_id
    from tests.credit.conftest import give_work

    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox_url, Registration.client_id == CLIENT_ID
            )
        )
        if reg is None:
            raise RuntimeError("the sandbox registration is missing (flask sandbox seed failed?)")
        tenant = db.session.get(Tenant, reg.tenant_id)
        assert tenant is not None
        settings = dict(tenant.settings or {})
        settings.update(max_concurrent_engagements=5, max_weekly_hours=40)
        tenant.settings = settings
        sb_course = db.session.scalar(select(SandboxCourse).where(SandboxCourse.key == COURSE))
        course = db.session.scalar(
            select(Course).where(
                Course.tenant_id == reg.tenant_id,
                Course.issuer == reg.issuer,
                Course.context_id == stable_id(f"course:{COURSE}"),
            )
        )
        if sb_course is None or course is None:
            raise RuntimeError("the course is missing on one side (did the instructor launch?)")
        policy = get_policy(reg.tenant_id, course.id)
        policy.grading_mode, policy.points_possible = "points", 100
        policy.hours_per_credit, policy.max_credits = 15, 3
        keys = [f"{STUDENT_PREFIX}{n:04d}" for n in range(count)]
        first_person = (db.session.scalar(select(db.func.max(SandboxPerson.id))) or 0) + 1
        db.session.execute(
            insert(SandboxPerson),
            [
                {
                    "id": first_person + n,
                    "key": key,
                    "user_id": key,
                    "kind": "student",
                    "given_name": "Soak",
                    "family_name": f"Student {n:04d}",
                    "email": f"{key}@example.edu",
                }
                for n, key in enumerate(keys)
            ],
        )
        db.session.execute(
            insert(SandboxEnrolment),
            [
                {
                    "course_id": sb_course.id,
                    "person_id": first_person + n,
                    "role": "learner",
                    "status": "Active",
                }
                for n in range(count)
            ],
        )
        first_user = (db.session.scalar(select(db.func.max(User.id))) or 0) + 1
        db.session.execute(
            insert(User),
            [
                {
                    "id": first_user + n,
                    "tenant_id": reg.tenant_id,
                    "issuer": reg.issuer,
                    "sub": key,
                    "name": f"Soak Student {n:04d}",
                    "email": f"{key}@example.edu",
                }
                for n, key in enumerate(keys)
            ],
        )
        db.session.execute(
            insert(Enrolment),
            [
                {
                    "tenant_id": reg.tenant_id,
                    "course_id": course.id,
                    "user_id": first_user + n,
                    "role": "Learner",
                }
                for n in range(count)
            ],
        )
        # Explicit ids: move PostgreSQL's sequences on (SQLite takes the next id from the rows).
        sequenced = ("sandbox_person", "lti_user") if db.engine.dialect.name == "postgresql" else ()
        for table in sequenced:
            db.session.execute(
                db.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        db.session.commit()
        # A launch context per student, as the services take (a faculty launch's copy).
        template = load_launch(faculty_lid)
        if template is None:
            raise RuntimeError("the instructor's launch is not stored")
        students = []
        for n, key in enumerate(keys):
            ctx = _as_student(template, first_user + n, key)
            give_work(ctx, hours=45, employer=f"Acme Analytics {n % 20}")
            active = give_work(
                ctx,
                hours=0,
                status="active",
                agreement=False,
                reflection=False,
                evaluation=False,
                employer=f"Remote Data Lab {n % 20}",
            )
            acknowledge_agreement(ctx, active.id)
            students.append(Student(key, first_user + n, active.id))
            if n % 50 == 49:
                db.session.commit()
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return students, int(reg.tenant_id), int(course.id)


def _as_student(template: Any, user_id: int, key: str) -> Any:
    import dataclasses

    return dataclasses.replace(
        template,
        user_id=user_id,
        user_name=key,
        user_email=f"{key}@example.edu",
        role="student",
        read_only=False,
        is_tool_admin=False,
    )


@dataclass
class Verdict:
    awards: int
    lost: int
    samples: list[str]


def verify(app: Any, tenant_id: int, course_id: int) -> Verdict:
    """Each student's newest final award against the result the sandbox platform stored for
    that person on that line item (read from the platform's own table)."""
    from sqlalchemy import select

    from credit.models import CreditAward
    from lti_tool.extensions import db
    from lti_tool.lti import ags
    from lti_tool.models import User
    from lti_tool.sandbox.models import SandboxPerson, SandboxResult

    with app.app_context():
        awards = db.session.execute(
            select(CreditAward, User.sub)
            .join(User, User.id == CreditAward.student_id)
            .where(
                CreditAward.tenant_id == tenant_id,
                CreditAward.course_id == course_id,
                CreditAward.superseded_at.is_(None),
                CreditAward.status == "final",
            )
        ).all()
        results = {
            (item, user_id): (stamp, score)
            for item, user_id, stamp, score in db.session.execute(
                select(
                    SandboxResult.line_item_id,
                    SandboxPerson.user_id,
                    SandboxResult.timestamp,
                    SandboxResult.score_given,
                ).join(SandboxPerson, SandboxPerson.id == SandboxResult.person_id)
            )
        }
        lost, samples = 0, list[str]()
        for award, sub in awards:
            item = int(str(award.lineitem_url).rstrip("/").rsplit("/", 1)[1])
            want = (ags.iso_timestamp(award.score_timestamp), award.score_given)
            got = results.get((item, sub))
            if got != want:
                lost += 1
                if len(samples) < 5:
                    samples.append(f"{sub}: newest award {want}, platform has {got}")
        db.session.rollback()
    return Verdict(len(awards), lost, samples)


def outbox_counts(app: Any) -> dict[str, int]:
    from lti_tool import jobs
    from lti_tool.extensions import db

    with app.app_context():
        counts = jobs.status_counts()
        db.session.rollback()
    return counts


def rss_mb(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out[pid] = int(line.split()[1]) / 1024
        except OSError:
            continue
    return out


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    with grades_bench.database(args.db, workdir) as (database_url, dbname):
        env = grades_bench.tool_env(database_url, workdir / "instance", sandbox_url)
        run_flask(ROOT, env, "db", "upgrade", "heads")
        run_flask(ROOT, env, "sandbox", "seed")
        tool_env = {
            **env,
            "CAREER_CREDIT_SANDBOX_ENABLED": "false",
            "CAREER_CREDIT_JOB_RUNNER": "thread",
            "CAREER_CREDIT_JOB_RUNNER_INTERVAL_S": "1.0",
            # Every simulated browser comes from 127.0.0.1: the per-address limits would
            # refuse the whole benchmark (each worker counts alone, in memory).
            "CAREER_CREDIT_RATELIMIT_LTI": "100000 per minute",
        }
        tool_env.pop("CAREER_CREDIT_SQLALCHEMY_ENGINE_OPTIONS", None)  # the tool's defaults
        for key in ("CAREER_CREDIT_INSTANCE", "SECRET_KEY"):
            os.environ[key] = env[key]
        # The tool first (launch.py picks its port), then the sandbox that frames it.
        marker = f" {dbname} " if dbname else None  # SQLite has no server processes
        with launch_bench.gunicorn(tool_env, workdir, marker, workers=args.workers) as tool:
            tool_url = f"http://127.0.0.1:{tool.port}"
            env["CAREER_CREDIT_SANDBOX_TOOL_URL"] = tool_url
            from lti_tool import create_app

            app = create_app(
                None,
                CAREER_CREDIT_ENV="development",  # the benchmark's own in-process app
                SQLALCHEMY_DATABASE_URI=database_url,
                SANDBOX_TOOL_URL=tool_url,
                SANDBOX_PLATFORM_URL=sandbox_url,
                JOB_RUNNER="off",
            )
            with grades_bench.sandbox_server(env, sandbox_port, workdir, 2, 4) as sandbox:
                try:
                    return soak(args, app, tool, sandbox, tool_url, sandbox_url)
                finally:
                    if args.keep_log:
                        shutil.copyfile(tool.log, args.keep_log)


def soak(
    args: argparse.Namespace, app: Any, tool: Any, sandbox: Any, tool_url: str, sandbox_url: str
) -> dict[str, Any]:
    started = time.monotonic()
    rec = Recorder()
    setup_client = Client(rec, tool_url, sandbox_url)
    faculty = Faculty()
    lid = faculty.ensure(setup_client)  # creates the course in the tool
    students, tenant_id, course_id = setup_students(app, args.students, sandbox_url, lid)
    # One award through the form first: it creates the gradebook column over AGS once.
    today = dt.datetime.now(dt.UTC).date()
    world = World(tool_url, sandbox_url, students, today)
    op_award(setup_client, world, random.Random(0), faculty, students[:1])
    # A few instructor launches one at a time, so that each worker fetches its platform tokens
    # (the faculty home reads the NRPS roster) while the others are free to serve the key set
    # the sandbox fetches to check the token request; see the README's soak section.
    for _ in range(3 * args.workers):
        Faculty().ensure(setup_client)
    if rec.errors:
        raise RuntimeError(f"setup failed: {dict(rec.errors)}")
    grades_bench.set_faults(sandbox_url, reset=True, fail_rate=args.fail_rate)
    print(
        f"setup: {len(students)} students with finished work and an active engagement, "
        f"faults at {args.fail_rate:.0%} of score posts ({time.monotonic() - started:.1f} s)",
        flush=True,
    )

    threads_n = args.concurrency
    partitions = [students[1:][i::threads_n] for i in range(threads_n)]
    decisions: Counter[str] = Counter()
    rec = Recorder()
    duration = args.minutes * 60
    warmup = min(60.0, duration * 0.1)
    begin = time.monotonic()
    stop_at = begin + duration
    workers0 = children(tool.proc.pid)
    rss_initial = rss_mb(workers0)
    threads = [
        threading.Thread(
            target=client_thread,
            args=(i, world, rec, stop_at, partitions[i], decisions),
            name=f"soak-client-{i}",
            daemon=True,
        )
        for i in range(threads_n)
    ]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    rss_start = rss_mb(workers0)
    print(
        f"after {warmup:.0f} s warm-up: worker RSS "
        + ", ".join(f"{v:.1f}" for v in rss_start.values())
        + f" MB (at launch {sum(rss_initial.values()):.1f} MB in all)",
        flush=True,
    )
    next_report = time.monotonic() + 60
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if time.monotonic() >= next_report:
            next_report += 60
            with rec.lock:
                done = len(rec.tool_latencies)
                errs = sum(rec.errors.values())
            elapsed = time.monotonic() - begin
            rss_now = sum(rss_mb(workers0).values())
            print(
                f"  {elapsed:5.0f} s: {done} tool requests ({done / elapsed:.1f}/s), "
                f"{errs} errors, {rec.http_5xx} 5xx, worker RSS {rss_now:.1f} MB, "
                f"outbox {outbox_counts(app)}",
                flush=True,
            )
    elapsed = time.monotonic() - begin
    workers1 = children(tool.proc.pid)
    rss_end = rss_mb(workers1)
    replaced = sorted(set(workers0) ^ set(workers1))

    # Drain: no more faults; every award's score must reach the platform.
    faults = grades_bench.set_faults(sandbox_url, fail_rate=0.0)
    drain_started = time.monotonic()
    counts = outbox_counts(app)
    while counts["pending"] + counts["sending"] and (
        time.monotonic() - drain_started < args.drain_wait
    ):
        time.sleep(1)
        counts = outbox_counts(app)
    drain_s = time.monotonic() - drain_started
    verdict = verify(app, tenant_id, course_id)
    if tool.proc.poll() is not None or sandbox.proc.poll() is not None:
        raise RuntimeError("a server died during the run")

    lat = sorted(x * 1000 for x in rec.tool_latencies)
    errors = sum(rec.errors.values())
    growth = sum(rss_end.get(p, 0.0) for p in workers0) - sum(rss_start.values())
    print(
        f"\ntraffic: {elapsed:.0f} s, {args.concurrency} client threads; operations "
        f"{dict(rec.ops)}; decisions {dict(decisions)}"
    )
    print(
        f"tool: {len(lat)} requests, {len(lat) / elapsed:.1f}/s; p50 "
        f"{percentile(lat, 50):.1f} ms, p95 {percentile(lat, 95):.1f}"
        f" ms, p99 {percentile(lat, 99):.1f} ms; sandbox requests from the "
        f"clients {rec.sandbox_requests}"
    )
    for label, values in sorted(rec.by_label.items()):
        ms = sorted(x * 1000 for x in values)
        print(
            f"  {label:<24}{len(ms):>7}  p50 {percentile(ms, 50):7.1f} ms"
            f"  p95 {percentile(ms, 95):7.1f} ms"
        )
    print(f"errors: {errors}; tool 5xx: {rec.http_5xx}")
    for what, n in rec.errors.most_common(8):
        print(f"  {n} x {what}")
    print(
        "worker RSS after warm-up -> end (MB): "
        + ", ".join(
            f"{pid}: {rss_start.get(pid, 0):.1f} -> {rss_end.get(pid, float('nan')):.1f}"
            for pid in workers0
        )
        + f"; growth {growth:+.1f} MB in all"
        + (f"; workers replaced: {replaced}" if replaced else "")
    )
    print(
        f"sandbox injected {faults['injected_500']} x 500 and {faults['injected_429']} x 429; "
        f"outbox after {drain_s:.1f} s of draining: {counts}"
    )
    print(f"platform: {verdict.awards} current awards checked, {verdict.lost} lost")
    for sample in verdict.samples:
        print(f"  {sample}")
    summary = {
        "database": args.db,
        "requests_per_s": round(len(lat) / elapsed, 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "errors": errors,
        "http_5xx": rec.http_5xx,
        "rss_growth_mb": round(growth, 1),
        "lost_grades": verdict.lost,
    }
    if rec.http_5xx or replaced or args.show_log:
        print("\n--- the tool's gunicorn log (last 80 lines) ---")
        print(tool.log_tail(80))
    misses = [k for k, limit in TARGETS.items() if summary[k] > limit]
    if replaced:
        misses.append("workers_replaced")
    print(
        "targets: 0 errors, 0 5xx, 0 lost grades, RSS growth < 50 MB: "
        + ("met" if not misses else f"MISSED {', '.join(misses)}")
    )
    return summary


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="traffic duration (10)")
    parser.add_argument("--workers", type=int, default=4, help="tool gunicorn workers (4)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (8)")
    parser.add_argument("--students", type=int, default=200, help="benchmark students (200)")
    parser.add_argument("--fail-rate", type=float, default=0.1, help="failing score posts")
    parser.add_argument(
        "--drain-wait", type=float, default=300.0, help="longest wait for the outbox (s)"
    )
    parser.add_argument(
        "--db",
        choices=("postgresql", "sqlite"),
        default="postgresql",
        help="the database the tool and the sandbox share (postgresql)",
    )
    parser.add_argument("--show-log", action="store_true", help="print the tool's log tail")
    parser.add_argument("--keep-log", type=Path, help="copy the tool's gunicorn log here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    reason = postgres_available() if args.db == "postgresql" else None
    if reason:
        print(f"PostgreSQL unavailable: {reason}", file=sys.stderr)
        return 2

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-soak-"))
    print(
        f"soak: {args.minutes:g} min, tool under gunicorn ({args.workers} sync workers, "
        f"JOB_RUNNER=thread) on {DATABASES[args.db]}, {args.concurrency} client threads, "
        f"{args.students} students, {args.fail_rate:.0%} transient AGS faults; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    try:
        summary = run(args, workdir)
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(Exception):
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(summary))
    return 0 if not any(summary[k] > v for k, v in TARGETS.items()) else 1


if __name__ == "__main__":
    sys.exit(main())
