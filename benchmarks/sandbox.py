#!/usr/bin/env python
"""Sandbox benchmark: the sandbox LMS's CPU and SQL statements per request for each endpoint
the soak (``soak.py``) calls, without the soak.

The sandbox runs as the soak runs it (``grades.py``'s settings: a fresh database, ``db upgrade
heads``, ``sandbox seed``, the sandbox on, the job runner off, no pool ping; gunicorn
``-k gthread -w 2 --threads 4``), here as both the platform and the tool's address, so the
tool's key set it fetches to check a client assertion is its own process's ``/lti/jwks``
(fetched once, then cached five minutes, as in the soak). A gunicorn hook
(``post_worker_init``) wraps each worker's app: it counts the SQL statements of the request's
thread and adds them and the thread's CPU to the answer's headers. Each request is sent alone
(one at a time), and the CPU the workers used meanwhile is read from ``/proc/<pid>/schedstat``
(what the soak's split counts: gunicorn's HTTP work included).

Each round requests, in the order of a launch and an award:

- **launch**: ``GET /sandbox/launch?course=bus-390&person=…&storage=off`` (a BUS 390 student
  or, every third round, its instructor), the page that frames the tool's login;
- **auth**: ``GET /sandbox/auth`` with the login request the tool's ``/lti/login`` redirects
  to (scope, response type and mode, prompt, client id, redirect URI, login and message hints
  from the launch page, a fresh state and nonce): the signed id_token form;
- **token**: ``POST /sandbox/token``, a client-credentials grant with a client assertion
  signed by the tool's key for the sandbox tenant (a fresh ``jti``);
- **line_item**: ``GET`` the credit line item (the award's gradebook column check);
- **score**: ``POST`` a score for a BUS 390 student (a newer timestamp each time: an update
  after the first round, as the soak's corrections);
- **memberships**: ``GET`` the NRPS roster's first page (the tool's roster refresh);
- **healthz**: the tool's ``GET /healthz``, the yardstick of a bare request in this process.

Faults are off (``fail_rate`` 0). The first ``--warmups`` rounds are not counted. ``--sql``
prints each endpoint's statements (its last request's), ``--profile DIR`` writes a cProfile
(thread CPU) of each endpoint's requests to ``DIR/<endpoint>.pstats`` (its figures then
include the profiler's cost), ``--py-spy FILE`` records the workers in py-spy's raw format
while the measured rounds run (it pauses them to sample: the figures rise too). Printed: one
row per endpoint (median and p95 of the workers' CPU per request in ms, the median of the
serving thread's CPU, statements per request, wall time); the last line is one JSON object
``{"database", "requests", "endpoints": {name: {"median_ms", "p95_ms", "thread_ms",
"statements", "wall_ms"}}}``.

    nice -n 10 .venv/bin/python benchmarks/sandbox.py                 # 200 rounds, PostgreSQL
    nice -n 10 .venv/bin/python benchmarks/sandbox.py --quick --db sqlite
    nice -n 10 .venv/bin/python benchmarks/sandbox.py --py-spy /tmp/sandbox.raw
    nice -n 10 .venv/bin/python benchmarks/sandbox.py --quick --sql --profile /tmp/sandbox-prof
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import grades as grades_bench  # noqa: E402  (benchmarks/grades.py: the soak's sandbox settings)
from common import (  # noqa: E402
    children,
    free_port,
    percentile,
    postgres_available,
    run_flask,
    stop,
)

COURSE = "bus-390"
INSTRUCTOR = "priya-raman"
ENDPOINTS = ("launch", "auth", "token", "line_item", "score", "memberships", "healthz")
LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"
SCORE_MEDIA = "application/vnd.ims.lis.v1.score+json"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem "
    "https://purl.imsglobal.org/spec/lti-ags/scope/score "
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
)

# Each worker's app, wrapped: the request's statements (its thread's) and thread CPU are added
# to its answer's headers. The answer is held until the app returned (teardown and the unit of
# work's commit included), then started with the two headers added.
METER_HOOKS = """
import cProfile, os, threading, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

OUT = os.environ.get("BENCH_SANDBOX_OUT")  # --profile and --sql: where each worker writes
PROFILE = bool(os.environ.get("BENCH_SANDBOX_PROFILE"))
_counts = threading.local()
_profiles = {}


def _count(_conn, _cursor, statement, *_args):
    _counts.n = getattr(_counts, "n", 0) + 1
    if OUT and getattr(_counts, "name", None):
        with open(f"{OUT}/sql-{_counts.name}.txt", "a") as fh:
            fh.write(" ".join(statement.split()) + "\\n")


def post_worker_init(worker):
    event.listen(Engine, "before_cursor_execute", _count)
    app = worker.wsgi

    def metered(environ, start_response):
        _counts.n, _counts.name = 0, environ.get("HTTP_X_BENCH_NAME")
        profile = None
        if OUT and _counts.name:
            open(f"{OUT}/sql-{_counts.name}.txt", "w").close()  # the last request's only
        if PROFILE and _counts.name:
            key = (threading.get_ident(), _counts.name)
            profile = _profiles.setdefault(key, cProfile.Profile(time.thread_time))
            profile.enable()
        cpu = time.thread_time_ns()
        started = []

        def capture(status, headers, exc_info=None):
            started[:] = [status, headers, exc_info]
            return lambda _data: None

        result = app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        cpu = time.thread_time_ns() - cpu
        if profile is not None:
            profile.disable()
        status, headers, exc_info = started
        headers = [
            *headers,
            ("X-Bench-Statements", str(_counts.n)),
            ("X-Bench-Thread-Ns", str(cpu)),
        ]
        _counts.name = None
        start_response(status, headers, exc_info)
        return [body]

    worker.wsgi = metered


def worker_exit(server, worker):
    for (thread, name), profile in _profiles.items():
        profile.dump_stats(f"{OUT}/{name}-{os.getpid()}-{thread}.pstats")
"""


@dataclass
class Sample:
    cpu_ms: float
    thread_ms: float
    statements: int
    wall_ms: float


@dataclass
class Sandbox:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    workers: list[int] = field(default_factory=list)

    def cpu_ns(self) -> int:
        """The workers' CPU so far in nanoseconds: every thread's ``schedstat`` (exact, where
        ``/proc/<pid>/stat`` counts 10 ms ticks; the process's own file is its first
        thread's only)."""
        total = 0
        for pid in self.workers:
            with contextlib.suppress(OSError):
                for task in os.listdir(f"/proc/{pid}/task"):
                    with (
                        contextlib.suppress(OSError, ValueError, IndexError),
                        open(f"/proc/{pid}/task/{task}/schedstat") as fh,
                    ):
                        total += int(fh.read().split()[0])
        return total


@contextlib.contextmanager
def sandbox_server(
    env: dict[str, str], port: int, workdir: Path, out: Path | None, profile: bool = False
) -> Iterator[Sandbox]:
    """The sandbox under gunicorn as the soak starts it, each worker's app metered (and with
    ``out``, profiled and its statements written there)."""
    import requests

    conf = workdir / "gunicorn-meter.py"
    conf.write_text(METER_HOOKS)
    log = workdir / "sandbox-gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
        "-c", str(conf), "-b", f"127.0.0.1:{port}", "--backlog", "256",
        "--error-logfile", "-", "lti_tool:create_app()",
    ]  # fmt: skip
    if out is not None:
        env = {**env, "BENCH_SANDBOX_OUT": str(out)}
    if profile:
        env = {**env, "BENCH_SANDBOX_PROFILE": "1"}
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = Sandbox(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                ok = requests.get(f"{server.url}/healthz", timeout=5).ok
                if ok and len(children(proc.pid)) >= 2:
                    break
            time.sleep(0.2)
        server.workers = children(proc.pid)
        yield server
    finally:
        stop(proc)


@dataclass
class World:
    """What the rounds need: the server, a keep-alive-free HTTP session, the tool's signing
    key for the sandbox tenant, the course's people and its line item."""

    sandbox: Sandbox
    http: Any
    client_id: str
    kid: str
    private_key: Any
    learners: list[tuple[str, str]]  # (person key, LTI user id)
    line_item: str = ""
    token: str = ""
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    measuring: bool = False

    def call(self, name: str, method: str, path: str, ok: int, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else self.sandbox.url + path
        headers = kwargs.setdefault("headers", {})
        headers["Connection"] = "close"  # as the soak's client
        if self.measuring:
            headers["X-Bench-Name"] = name  # what --profile and --sql file it under
        cpu, wall = self.sandbox.cpu_ns(), time.perf_counter()
        resp = self.http.request(method, url, timeout=30, allow_redirects=False, **kwargs)
        wall = time.perf_counter() - wall
        time.sleep(0.002)  # gunicorn closes the connection after the answer was read
        cpu = self.sandbox.cpu_ns() - cpu
        if resp.status_code != ok:
            raise RuntimeError(f"{name}: HTTP {resp.status_code} {resp.text[:300]}")
        if self.measuring:
            self.samples.setdefault(name, []).append(
                Sample(
                    cpu / 1e6,
                    int(resp.headers["X-Bench-Thread-Ns"]) / 1e6,
                    int(resp.headers["X-Bench-Statements"]),
                    wall * 1000,
                )
            )
        return resp

    def assertion(self) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": self.client_id, "sub": self.client_id,
            "aud": f"{self.sandbox.url}/sandbox/token",
            "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
        }  # fmt: skip
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def grant(self) -> dict[str, str]:
        """A token request's form, as the tool's services client sends it."""
        return {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.assertion(),
            "scope": SCOPES,
        }


def _round(world: World, i: int) -> None:
    """One launch (its page, then /auth), one token, one column check, one score, one roster
    page and one yardstick."""
    person = INSTRUCTOR if i % 3 == 2 else world.learners[i % len(world.learners)][0]
    page = world.call(
        "launch", "GET", "/sandbox/launch", 200,
        params={"course": COURSE, "person": person, "storage": "off"},
    ).text  # fmt: skip
    login = re.search(r'data-login-url="([^"]+)"', page)
    if login is None:
        raise RuntimeError("launch: no login URL")
    query = {k: v[0] for k, v in parse_qs(urlsplit(html.unescape(login.group(1))).query).items()}
    params = {
        "scope": "openid", "response_type": "id_token", "response_mode": "form_post",
        "prompt": "none", "client_id": query["client_id"],
        "redirect_uri": query["target_link_uri"], "login_hint": query["login_hint"],
        "lti_message_hint": query["lti_message_hint"],
        "state": f"state-{secrets.token_urlsafe(16)}", "nonce": secrets.token_urlsafe(16),
    }  # fmt: skip
    form = world.call("auth", "GET", "/sandbox/auth", 200, params=params).text
    if 'name="id_token"' not in form:
        raise RuntimeError("auth: no id_token in the form")
    token = world.call("token", "POST", "/sandbox/token", 200, data=world.grant()).json()
    world.token = token["access_token"]
    bearer = {"Authorization": f"Bearer {world.token}"}
    world.call(
        "line_item", "GET", world.line_item, 200, headers={**bearer, "Accept": LINEITEM_MEDIA}
    )
    _, user_id = world.learners[(i * 7) % len(world.learners)]
    score = {
        "userId": user_id, "scoreGiven": float(i % 4), "scoreMaximum": 3.0,
        "activityProgress": "Completed", "gradingProgress": "FullyGraded",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(), "comment": f"round {i}",
    }  # fmt: skip
    world.call(
        "score", "POST", world.line_item + "/scores", 200,
        data=json.dumps(score), headers={**bearer, "Content-Type": SCORE_MEDIA},
    )  # fmt: skip
    world.call(
        "memberships", "GET", f"/sandbox/api/courses/{COURSE}/memberships", 200,
        headers={**bearer, "Accept": "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"},
    )  # fmt: skip
    world.call("healthz", "GET", "/healthz", 200)


def _world(sandbox: Sandbox, database_url: str) -> World:
    """The tool's signing key for the sandbox tenant and BUS 390's active learners, read in
    this process; then a token and the credit line item, made over the sandbox's API."""
    import requests
    from sqlalchemy import select

    from lti_tool import create_app, keys
    from lti_tool.extensions import db
    from lti_tool.models import Registration
    from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxPerson
    from lti_tool.sandbox.seed import CLIENT_ID

    app = create_app(
        None,
        CAREER_CREDIT_ENV="development",
        SQLALCHEMY_DATABASE_URI=database_url,
        SANDBOX_TOOL_URL=sandbox.url,
        SANDBOX_PLATFORM_URL=sandbox.url,
        JOB_RUNNER="off",
    )
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.url, Registration.client_id == CLIENT_ID
            )
        )
        if reg is None:
            raise RuntimeError("the sandbox registration is missing (flask sandbox seed failed?)")
        signing = keys.signing_key(reg.tenant_id)
        learners = db.session.execute(
            select(SandboxPerson.key, SandboxPerson.user_id)
            .join(SandboxEnrolment, SandboxEnrolment.person_id == SandboxPerson.id)
            .join(SandboxCourse, SandboxCourse.id == SandboxEnrolment.course_id)
            .where(
                SandboxCourse.key == COURSE,
                SandboxEnrolment.role == "learner",
                SandboxEnrolment.status == "Active",
            )
            .order_by(SandboxPerson.id)
        ).all()
        db.session.rollback()
    world = World(
        sandbox, requests.Session(), CLIENT_ID, signing.kid, signing.private_key,
        [(k, u) for k, u in learners],
    )  # fmt: skip
    grades_bench.set_faults(sandbox.url, reset=True, fail_rate=0.0)
    world.line_item = _credit_line_item(world)
    return world


def _credit_line_item(world: World) -> str:
    """A line item made in BUS 390 over AGS (a token first): its URL."""
    token = world.call("token", "POST", "/sandbox/token", 200, data=world.grant()).json()
    item = world.call(
        "line_item", "POST", f"/sandbox/api/courses/{COURSE}/line_items", 201,
        data=json.dumps(
            {"label": "Micro-internship credit", "scoreMaximum": 3, "tag": "bench"}
        ),
        headers={"Authorization": f"Bearer {token['access_token']}",
                 "Content-Type": LINEITEM_MEDIA},
    ).json()  # fmt: skip
    return str(item["id"])


def _stats(samples: list[Sample]) -> dict[str, Any]:
    cpu = [s.cpu_ms for s in samples]
    return {
        "median_ms": round(statistics.median(cpu), 2),
        "p95_ms": round(percentile(cpu, 95), 2),
        "thread_ms": round(statistics.median(s.thread_ms for s in samples), 2),
        "statements": int(statistics.median(s.statements for s in samples)),
        "wall_ms": round(statistics.median(s.wall_ms for s in samples), 2),
    }


@contextlib.contextmanager
def py_spy(out: str | None, pid: int) -> Iterator[None]:
    """``py-spy record`` of the server's workers while the measured rounds run."""
    if not out:
        yield
        return
    spy = subprocess.Popen(
        [str(ROOT / ".venv/bin/py-spy"), "record", "--subprocesses", "-p", str(pid),
         "-r", "200", "-f", "raw", "-o", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)
        print(f"  py-spy: {out}")


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with grades_bench.database(args.db, workdir) as (database_url, _name):
        env = grades_bench.tool_env(database_url, workdir / "instance", url)
        run_flask(ROOT, env, "db", "upgrade", "heads")
        run_flask(ROOT, env, "sandbox", "seed")
        for key in ("CAREER_CREDIT_INSTANCE", "SECRET_KEY"):
            os.environ[key] = env[key]  # the in-process app decrypts the tool's keys
        out = Path(args.profile) if args.profile else (workdir if args.sql else None)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
        with sandbox_server(env, port, workdir, out, bool(args.profile)) as sandbox:
            world = _world(sandbox, database_url)
            for i in range(args.warmups):
                _round(world, i)
            world.measuring = True
            with py_spy(args.py_spy, sandbox.proc.pid):
                for i in range(args.warmups, args.warmups + args.requests):
                    _round(world, i)
    if args.sql and out is not None:
        for name in ENDPOINTS:
            for statement in (out / f"sql-{name}.txt").read_text().splitlines():
                print(f"    {name} SQL {statement[:400]}")
    if args.profile:
        _merge_profiles(Path(args.profile))
    return {name: _stats(world.samples[name]) for name in ENDPOINTS}


def _merge_profiles(out: Path) -> None:
    """One ``<endpoint>.pstats`` per endpoint from every worker thread's."""
    import pstats

    for name in ENDPOINTS:
        parts = sorted(out.glob(f"{name}-*.pstats"))
        if parts:
            merged = pstats.Stats(str(parts[0]))
            for part in parts[1:]:
                merged.add(str(part))
            merged.dump_stats(out / f"{name}.pstats")
            for part in parts:
                part.unlink()
    print(f"  profiles (cProfile, thread CPU; the figures above include its cost): {out}/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--requests", type=int, default=200, help="measured rounds (200)")
    parser.add_argument("--warmups", type=int, default=10, help="rounds not counted (10)")
    parser.add_argument("--quick", action="store_true", help="50 measured rounds")
    parser.add_argument("--py-spy", metavar="FILE", help="record the workers with py-spy (raw)")
    parser.add_argument("--profile", metavar="DIR", help="cProfile each endpoint's requests")
    parser.add_argument("--sql", action="store_true", help="print each endpoint's statements")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests = 50
    if args.db == "postgresql" and (reason := postgres_available()):
        print(f"PostgreSQL skipped: {reason}; SQLite instead")
        args.db = "sqlite"
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        endpoints = run(args, Path(tmp))
    print(f"sandbox LMS, {args.db}, {args.requests} requests each (one at a time):")
    print(f"  {'endpoint':<12} {'CPU p50':>9} {'p95':>8} {'thread':>8} {'stmts':>6} {'wall':>8}")
    for name, row in endpoints.items():
        print(
            f"  {name:<12} {row['median_ms']:>6.2f} ms {row['p95_ms']:>5.2f} ms "
            f"{row['thread_ms']:>5.2f} ms {row['statements']:>6} {row['wall_ms']:>5.2f} ms"
        )
    print(json.dumps({"database": args.db, "requests": args.requests, "endpoints": endpoints}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
