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

The production topology, as options: ``--runner celery`` runs the tool with
``JOB_RUNNER=celery`` and starts a Celery worker (2 processes) and beat beside it;
``--servers N`` starts N tool servers on N ports sharing the database, the instance folder, the
secret key and Redis (OIDC state, rate-limit counters), and each simulated browser sends its
requests to them in turn, as a load balancer would (the ``Host`` header stays the first
server's, as behind one public name).

Printed: tool requests/s, p50/p95/p99, errors (any unexpected status or exception, tool or
sandbox), 5xx from the tool, requests and CPU per tool server, the Celery processes' CPU, RSS
of the gunicorn workers after warm-up and at the end, outbox counts, lost grades; the last line
is one JSON object.

    .venv/bin/python benchmarks/soak.py               # 10 minutes
    .venv/bin/python benchmarks/soak.py --minutes 1   # a development run
    .venv/bin/python benchmarks/soak.py --minutes 1 --db sqlite   # the embedded default
    .venv/bin/python benchmarks/soak.py --minutes 1 --runner celery --servers 2   # production
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
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grades as grades_bench  # noqa: E402  (benchmarks/grades.py: sandbox server, faults)
import launch as launch_bench  # noqa: E402  (benchmarks/launch.py: gunicorn, /proc)
from common import (  # noqa: E402
    children,
    cpu_ticks,
    free_port,
    interpreter,
    percentile,
    pids_matching,
    postgres_available,
    run_flask,
    stop,
)

COURSE = "bus-390"
FACULTY = "priya-raman"
STUDENT_PREFIX = "bench-soak-"
SEARCH_TERMS = ["", "Project", "Acme", "analytics", "data", "remote", "marketing", "zzz-none"]
# The operation mix (weights): one operation is one or two tool requests, a launch five.
MIX = {"launch": 10, "search": 35, "hours": 30, "award": 25}
DATABASES = {"postgresql": "PostgreSQL", "sqlite": "SQLite (one file, WAL)"}
TARGETS = {"errors": 0, "http_5xx": 0, "lost_grades": 0, "rss_growth_mb": 50.0}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# The Redis database of a run (flushed at its start and end): the Celery broker, and with more
# than one tool server the OIDC state and the rate-limit counters.
REDIS_URL = "redis://127.0.0.1:6379/9"
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


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
    per_server: Counter[int] = field(default_factory=Counter)

    def request(self, server: int | None, label: str, seconds: float, status: int) -> None:
        """One answer: from tool server number ``server``, or the sandbox (None)."""
        with self.lock:
            self.by_label.setdefault(label, []).append(seconds)
            if server is not None:
                self.per_server[server] += 1
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
    and these URLs are http), so every tool URL carries the launch id, as in the iframe.

    ``tool_url`` is the tool's public address (the first server's); with several ``servers``
    each tool request goes to the next one in turn, starting at ``first``, with the public
    address's ``Host`` header, as a load balancer forwards it."""

    def __init__(
        self,
        rec: Recorder,
        tool_url: str,
        sandbox_url: str,
        servers: list[str] | None = None,
        first: int = 0,
    ) -> None:
        import requests

        self.http = requests.Session()
        # A new connection per request: a pooled keep-alive connection the server closes at
        # that moment would fail with a reset (a browser retries those; this client would not).
        self.http.headers["Connection"] = "close"
        self.rec = rec
        self.tool_url = tool_url
        self.sandbox_url = sandbox_url
        self.servers = servers or [tool_url]
        self.turn = first
        self.host = urlsplit(tool_url).netloc

    def route(self, url: str, headers: dict[str, str] | None) -> tuple[int | None, str, Any]:
        """(server number or None for the sandbox, the URL to request, the headers)."""
        if not url.startswith(self.tool_url + "/"):
            return None, url, headers
        server = self.turn % len(self.servers)
        self.turn += 1
        if len(self.servers) > 1:
            url = self.servers[server] + url[len(self.tool_url) :]
            headers = {**(headers or {}), "Host": self.host}
        return server, url, headers

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
        server, url, headers = self.route(url, headers)
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
        self.rec.request(server, label, time.perf_counter() - started, resp.status_code)
        if resp.status_code not in (expect if isinstance(expect, tuple) else (expect,)):
            said = _problem(resp.text) if 400 <= resp.status_code < 500 else ""
            raise Unexpected(
                f"{label}: HTTP {resp.status_code} (expected {expect})"
                + (f": {said}" if said else "")
            )
        return resp


def _problem(page: str) -> str:
    """What a refused page says is wrong: its first alert or field error, as text."""
    found = re.search(
        r'role="alert"[^>]*>(.*?)</div>|class="error-(?:text|message)"[^>]*>(.*?)</p>',
        page,
        flags=re.S,
    )
    if found is None:
        return ""
    text = re.sub(r"<[^>]+>", " ", found.group(1) or found.group(2) or "")
    return " ".join(html.unescape(text).split())[:120]


def _inputs(fragment: str) -> dict[str, str]:
    """Name -> value of the <input> and <textarea> elements in an HTML fragment."""
    values: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", fragment):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        if "name" in attrs:
            values[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return values


def _form(page: str, name: str) -> tuple[str, dict[str, str]] | None:
    """The page's form named ``name`` (its hidden ``form`` field: the page's forms post to the
    page itself, ``lti_tool.page_forms``): (action URL, its inputs)."""
    for action, body in re.findall(
        r'<form\b[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, flags=re.S
    ):
        fields = _inputs(body)
        if fields.get("form") == name:
            return html.unescape(action), fields
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
    tool_url: str  # the public address (the first server's)
    sandbox_url: str
    students: list[Student]
    today: dt.date
    servers: list[str]  # every tool server's own address


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
    # The launch answers with the page it lands on (so "tool /lti/launch" is the page after
    # the launch as the person waits for it); an older tool answered 303 to that page.
    done = client.call(
        "POST",
        html.unescape(action.group(1)),
        (200, 303),
        "tool /lti/launch",
        data=fields,
        headers={"Cookie": cookie},
    )
    if done.status_code == 200:
        lid = re.search(r'history\.replaceState\(history\.state, "", "[^"]*lid=([\w-]+)', done.text)
        if lid is None or "<main" not in done.text:
            raise Unexpected("tool /lti/launch: its page names no launch id")
        return lid.group(1), done.text
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
    found = _form(page, "hours")
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
    found = _form(page, "correct" if student.awarded else "award")
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
    client = Client(rec, world.tool_url, world.sandbox_url, world.servers, first=index)
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
            # accepted a year ago: the hour logs go back a day for every four entries, and
            # hours are refused before the engagement was accepted
            active.created_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(365)
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
# The production topology: Celery worker and beat, Redis
# ---------------------------------------------------------------------------------------------


@dataclass
class CeleryProcess:
    """A Celery worker or beat started for the run, with its log."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def cpu(self) -> int:
        """CPU ticks so far of the process and of its children (the worker's pool)."""
        return cpu_ticks(self.proc.pid) + sum(cpu_ticks(p) for p in children(self.proc.pid))

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# What each process logs once it serves (celery 5's worker and beat banners).
CELERY_COMMANDS = {
    "worker": (["worker", "--concurrency", "2", "-n", "soak@%h", "--loglevel", "INFO"], " ready."),
    "beat": (["beat", "--loglevel", "INFO"], "beat: Starting..."),
}


@contextlib.contextmanager
def celery_processes(env: dict[str, str], workdir: Path) -> Iterator[list[CeleryProcess]]:
    """``celery -A lti_tool.celery_app worker --concurrency 2`` and ``beat`` (its schedule file
    in ``workdir``) with the tool's environment; stopped and waited for afterwards."""
    started: list[CeleryProcess] = []
    try:
        for name, (argv, _) in CELERY_COMMANDS.items():
            if name == "beat":
                argv = [*argv, "--schedule", str(workdir / "celerybeat-schedule")]
            log = workdir / f"celery-{name}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "celery", "-A", "lti_tool.celery_app", *argv],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(CeleryProcess(name, proc, log))
        for process in started:
            _wait_for_banner(process, CELERY_COMMANDS[process.name][1])
        yield started
    finally:
        for process in started:
            stop(process.proc)


def _wait_for_banner(process: CeleryProcess, banner: str) -> None:
    deadline = time.monotonic() + 60
    while banner not in process.log.read_text(errors="replace"):
        if process.proc.poll() is not None:
            raise RuntimeError(
                f"celery {process.name} exited ({process.proc.returncode}):\n" + process.log_tail()
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"celery {process.name} not ready in 60 s:\n{process.log_tail()}")
        time.sleep(0.2)


def flush_redis(url: str) -> None:
    """Empty the run's Redis database (a run's queued tasks, states and counters)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


def postgres_ticks(marker: str | None) -> int:
    """CPU ticks so far of the PostgreSQL backends serving the run's database (the tool's and
    the sandbox's pools keep them for the whole run); 0 on SQLite."""
    if not marker:
        return 0
    return sum(cpu_ticks(p) for p in pids_matching(marker))


def machine_ticks() -> tuple[int, int]:
    """The machine's busy and total CPU ticks so far, all cores (``/proc/stat``)."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


@dataclass
class Topology:
    """The processes of a run: the tool servers, the sandbox LMS, and Celery's (or none)."""

    tools: list[Any]  # launch.py's Tool
    sandbox: Any  # grades.py's Server
    celery: list[CeleryProcess]

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{tool.port}" for tool in self.tools]

    def workers(self) -> list[int]:
        return [pid for tool in self.tools for pid in children(tool.proc.pid)]

    def cpu(self) -> dict[str, int]:
        """CPU ticks so far: each server's workers (``server0``…), each Celery process."""
        ticks = {
            f"server{i}": sum(cpu_ticks(p) for p in children(tool.proc.pid))
            for i, tool in enumerate(self.tools)
        }
        ticks.update({f"celery_{c.name}": c.cpu() for c in self.celery})
        ticks["sandbox"] = self.sandbox.cpu()
        ticks["client"] = cpu_ticks(os.getpid())  # this process: the client threads
        ticks["postgres"] = postgres_ticks(self.tools[0].db_marker)
        ticks["machine_busy"], ticks["machine_all"] = machine_ticks()
        return ticks

    def check_alive(self) -> None:
        for i, tool in enumerate(self.tools):
            if tool.proc.poll() is not None:
                raise RuntimeError(f"tool server {i} died during the run:\n{tool.log_tail()}")
        if self.sandbox.proc.poll() is not None:
            raise RuntimeError(f"the sandbox died during the run:\n{self.sandbox.log_tail()}")
        for process in self.celery:
            if process.proc.poll() is not None:
                raise RuntimeError(
                    f"celery {process.name} died during the run:\n{process.log_tail()}"
                )

    def print_celery_logs(self, lines: int = 40) -> None:
        for process in self.celery:
            print(f"\n--- celery {process.name}'s log (last {lines} lines) ---")
            print(process.log_tail(lines))


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def topology_env(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    """The tool servers' (and Celery's) environment."""
    tool_env = {
        **env,
        "CAREER_CREDIT_SANDBOX_ENABLED": "false",
        "CAREER_CREDIT_JOB_RUNNER": args.runner,
        "CAREER_CREDIT_JOB_RUNNER_INTERVAL_S": "1.0",
        # Every simulated browser comes from 127.0.0.1: the per-address limits would
        # refuse the whole benchmark (each worker counts alone, in memory).
        "CAREER_CREDIT_RATELIMIT_LTI": "100000 per minute",
        # The one instructor is eight browsers relaunching (about 50 launches a minute): the
        # per-person limit (120 a minute, 2,000 an hour) would refuse them once it is counted
        # across servers in Redis.
        "CAREER_CREDIT_RATELIMIT_LTI_PERSON": "100000 per minute",
        "CELERY_BROKER_URL": args.redis_url,
    }
    if args.servers > 1:  # a login and its launch may reach different servers
        tool_env["CAREER_CREDIT_LTI_STATE_REDIS_URL"] = args.redis_url
        tool_env["CAREER_CREDIT_RATELIMIT_STORAGE_URI"] = args.redis_url
    tool_env.pop("CAREER_CREDIT_DATABASE_PING_AFTER_IDLE_S", None)  # the tool's default
    return tool_env


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Redis flushed before and after the run when the topology uses it."""
    shared = args.runner == "celery" or args.servers > 1
    if shared:
        flush_redis(args.redis_url)
    try:
        return run_servers(args, workdir)
    finally:
        if shared:
            flush_redis(args.redis_url)


def run_servers(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    with grades_bench.database(args.db, workdir) as (database_url, dbname):
        env = grades_bench.tool_env(database_url, workdir / "instance", sandbox_url)
        run_flask(ROOT, env, "db", "upgrade", "heads")
        run_flask(ROOT, env, "sandbox", "seed")
        tool_env = topology_env(args, env)
        for key in ("CAREER_CREDIT_INSTANCE", "SECRET_KEY"):
            os.environ[key] = env[key]
        # The tool first (launch.py picks its ports), then the sandbox that frames it.
        marker = f" {dbname} " if dbname else None  # SQLite has no server processes
        with contextlib.ExitStack() as stack:
            celery = []
            if args.runner == "celery":
                celery = stack.enter_context(celery_processes(tool_env, workdir))
            tools = [
                stack.enter_context(
                    launch_bench.gunicorn(tool_env, workdir, marker, workers=args.workers)
                )
                for _ in range(args.servers)
            ]
            tool_url = f"http://127.0.0.1:{tools[0].port}"  # the public address
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
            sandbox = stack.enter_context(
                grades_bench.sandbox_server(env, sandbox_port, workdir, 2, 4)
            )
            top = Topology(tools, sandbox, celery)
            try:
                return soak(args, app, top, tool_url, sandbox_url)
            except BaseException:
                top.print_celery_logs()
                raise
            finally:
                if args.keep_log:
                    shutil.copyfile(tools[0].log, args.keep_log)


def soak(
    args: argparse.Namespace, app: Any, top: Topology, tool_url: str, sandbox_url: str
) -> dict[str, Any]:
    started = time.monotonic()
    rec = Recorder()
    setup_client = Client(rec, tool_url, sandbox_url, top.urls)
    faculty = Faculty()
    lid = faculty.ensure(setup_client)  # creates the course in the tool
    students, tenant_id, course_id = setup_students(app, args.students, sandbox_url, lid)
    # One award through the form first: it creates the gradebook column over AGS once.
    today = dt.datetime.now(dt.UTC).date()
    world = World(tool_url, sandbox_url, students, today, top.urls)
    op_award(setup_client, world, random.Random(0), faculty, students[:1])
    # A few instructor launches one at a time, so that each worker fetches its platform tokens
    # (the faculty home reads the NRPS roster) while the others are free to serve the key set
    # the sandbox fetches to check the token request; see the README's soak section.
    for _ in range(3 * args.workers * args.servers):
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
    workers0 = top.workers()
    rss_initial = rss_mb(workers0)
    cpu0 = top.cpu()
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
    watch(app, rec, threads, begin, workers0)
    elapsed = time.monotonic() - begin
    cpu1 = top.cpu()
    workers1 = top.workers()
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
    cpu2 = top.cpu()
    verdict = verify(app, tenant_id, course_id)
    top.check_alive()

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
    server_cpu = [(cpu1[f"server{i}"] - cpu0[f"server{i}"]) * TICK_S for i in range(args.servers)]
    celery_cpu = {
        c.name: (
            (cpu1[f"celery_{c.name}"] - cpu0[f"celery_{c.name}"]) * TICK_S,
            (cpu2[f"celery_{c.name}"] - cpu1[f"celery_{c.name}"]) * TICK_S,
        )
        for c in top.celery
    }
    for i, url in enumerate(top.urls):
        print(
            f"server {i} ({url}, {args.workers} workers): {rec.per_server[i]} requests, "
            f"worker CPU {server_cpu[i]:.1f} s during the traffic"
        )
    for name, (traffic_s, drain_cpu_s) in celery_cpu.items():
        print(
            f"celery {name}: CPU {traffic_s:.1f} s during the traffic, {drain_cpu_s:.1f} s "
            "while draining"
        )
    split = {k: (cpu1[k] - cpu0[k]) * TICK_S for k in ("sandbox", "client", "postgres")}
    busy = (cpu1["machine_busy"] - cpu0["machine_busy"]) * TICK_S
    whole = (cpu1["machine_all"] - cpu0["machine_all"]) * TICK_S
    tool_s = sum(server_cpu) + sum(t for t, _ in celery_cpu.values())
    per = {k: v * 1000 / max(len(lat), 1) for k, v in split.items()}
    print(
        f"machine CPU during the traffic: {busy:.1f} s busy of {whole:.1f} s "
        f"({os.cpu_count()} cores); per tool request: tool "
        f"{tool_s * 1000 / max(len(lat), 1):.1f} ms, PostgreSQL (its backends) "
        f"{per['postgres']:.1f} ms, sandbox LMS {per['sandbox']:.1f} ms, this client "
        f"{per['client']:.1f} ms, the rest of the machine "
        f"{(busy - tool_s - sum(split.values())) * 1000 / max(len(lat), 1):.1f} ms"
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
        "runner": args.runner,
        "servers": args.servers,
        "requests_per_s": round(len(lat) / elapsed, 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "errors": errors,
        "http_5xx": rec.http_5xx,
        "rss_growth_mb": round(growth, 1),
        "lost_grades": verdict.lost,
        "server_requests": [rec.per_server[i] for i in range(args.servers)],
        "server_cpu_s": [round(x, 1) for x in server_cpu],
        "machine_cpu_ms_per_request": {
            "tool": round(tool_s * 1000 / max(len(lat), 1), 2),
            **{k: round(v * 1000 / max(len(lat), 1), 2) for k, v in split.items()},
            "machine_busy": round(busy * 1000 / max(len(lat), 1), 2),
        },
        "celery_worker_cpu_s": (
            round(sum(celery_cpu["worker"]), 1) if "worker" in celery_cpu else None
        ),
    }
    if rec.http_5xx or replaced or args.show_log:
        for i, tool in enumerate(top.tools):
            print(f"\n--- tool server {i}'s gunicorn log (last 80 lines) ---")
            print(tool.log_tail(80))
    misses = [k for k, limit in TARGETS.items() if summary[k] > limit]
    if replaced:
        misses.append("workers_replaced")
    if misses or args.show_log:
        top.print_celery_logs()
    print(
        "targets: 0 errors, 0 5xx, 0 lost grades, RSS growth < 50 MB: "
        + ("met" if not misses else f"MISSED {', '.join(misses)}")
    )
    return summary


def watch(
    app: Any, rec: Recorder, threads: list[threading.Thread], begin: float, workers: list[int]
) -> None:
    """Wait for the client threads, printing progress every minute."""
    next_report = time.monotonic() + 60
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if time.monotonic() >= next_report:
            next_report += 60
            with rec.lock:
                done = len(rec.tool_latencies)
                errs = sum(rec.errors.values())
            elapsed = time.monotonic() - begin
            rss_now = sum(rss_mb(workers).values())
            print(
                f"  {elapsed:5.0f} s: {done} tool requests ({done / elapsed:.1f}/s), "
                f"{errs} errors, {rec.http_5xx} 5xx, worker RSS {rss_now:.1f} MB, "
                f"outbox {outbox_counts(app)}",
                flush=True,
            )


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
    parser.add_argument(
        "--runner",
        choices=("thread", "celery"),
        default="thread",
        help="outbox delivery: in each tool worker (thread) or Celery worker and beat",
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="tool servers the clients alternate between (1)"
    )
    parser.add_argument(
        "--redis-url",
        default=REDIS_URL,
        help=f"the run's Redis database, flushed (Celery's broker; shared state) ({REDIS_URL})",
    )
    parser.add_argument("--show-log", action="store_true", help="print the logs' tails")
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
        f"soak: {args.minutes:g} min, {args.servers} tool server(s) under gunicorn "
        f"({args.workers} sync workers each, JOB_RUNNER={args.runner}"
        f"{', Celery worker x2 and beat' if args.runner == 'celery' else ''}) on "
        f"{DATABASES[args.db]}, {args.concurrency} client threads, "
        f"{args.students} students, {args.fail_rate:.0%} transient AGS faults; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; {interpreter()}",
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
