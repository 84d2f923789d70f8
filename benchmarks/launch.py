#!/usr/bin/env python
"""Launch benchmark: complete LTI 1.3 login + launch round trips against the tool under gunicorn.

The tool runs under gunicorn (2 sync workers) on PostgreSQL (a fresh ``cc_bench_*`` database,
dropped at the end; skipped with a reason when no server answers) and on SQLite (a file in a
temporary directory). A platform in another process holds an RSA key, serves its JWKS over HTTP
and drives the OIDC exchange: POST /lti/login -> 302 with state and nonce plus the state cookie ->
an id_token signed RS256 with a kid -> POST /lti/launch, which answers with the page it lands on
(it must render, and name its own address for the browser's history). An older tool answered
303: the page it names is fetched as a browser follows it (at most one further redirect).

Measured per database and concurrency (4 and 32): launches/s, p50/p95/p99 of the whole chain
from login to the rendered page, the tool's CPU per launch (user + sys of the gunicorn workers,
read from /proc before and after the measured window) and errors; at the first concurrency the
launch alone (login and launch POST: the same as the chain now that the POST answers with the
page; an older tool's stopped at its 303) and the login alone (stopping at its 302) are measured
too and reported beside it, so the chain's requests are told apart. The last line printed is
one JSON object for 4 concurrent on PostgreSQL (SQLite when PostgreSQL is unavailable).

    .venv/bin/python benchmarks/launch.py            # 1000 measured launches per run
    .venv/bin/python benchmarks/launch.py --quick    # 200
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import multiprocessing as mp
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PROFILE_HOOKS,
    children,
    cpu_ticks,
    free_port,
    interpreter,
    percentile,
    pids_matching,
    postgres_available,
    postgres_database,
    run_flask,
    stop,
)

CLIENT_ID = "bench"
DEPLOYMENT_ID = "bench-dep"
USERS = 200
COURSES = 20
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = [
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student",
]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
# the whole chain a student's browser makes: login, launch POST, the page it redirects to
TARGETS = {"tool_cpu_ms_per_launch": 4.0, "p95_ms": 40.0, "errors_at_32": 0}
CLK_TCK = os.sysconf("SC_CLK_TCK")
# the landing page's own address (with the launch id), which replaces the launch POST in history
PAGE_ADDRESS = re.compile(rb'history\.replaceState\(history\.state, "", "[^"]*lid=[\w-]+')


# ---------------------------------------------------------------------------------------------
# The platform process
# ---------------------------------------------------------------------------------------------


class _Platform:
    """An RSA key (lti1p3platform ``Registration``), its JWKS served over HTTP, and a driver of
    login + launch round trips."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from lti1p3platform.registration import Registration

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.registration = Registration()
        self.registration.set_client_id(CLIENT_ID)
        self.registration.set_platform_private_key(private).set_platform_public_key(public)
        self.kid = self.registration.get_kid()
        self.key = key  # a parsed key: PyJWT would otherwise re-parse the PEM for every token
        body = json.dumps({"keys": self.registration.get_jwks()}).encode()
        self.jwks_fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ok = urlsplit(self.path).path == "/jwks"
                outer.jwks_fetches += ok
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body) if ok else 0))
                self.end_headers()
                if ok:
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.registration.set_iss(self.issuer)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, body: dict[str, Any]) -> str:
        from lti1p3platform.registration import Registration

        return Registration.encode_and_sign(body, self.key, headers={"kid": self.kid})

    def claims(self, i: int, nonce: str, tool_url: str) -> dict[str, Any]:
        user = (i * 37) % USERS
        course = (i * 7 + i // USERS) % COURSES
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": f"bench-user-{user}",
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            "name": f"Bench Person {user}",
            "email": f"bench-user-{user}@example.edu",
            CLAIM + "deployment_id": DEPLOYMENT_ID,
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "roles": LEARNER,
            CLAIM + "target_link_uri": f"{tool_url}/lti/launch",
            CLAIM + "custom": {},
            CLAIM + "context": {
                "id": f"bench-course-{course}",
                "title": f"BUS {300 + course} Internship Seminar",
                "label": f"BUS{300 + course}",
            },
            CLAIM + "resource_link": {"id": f"rl-bench-course-{course}", "title": "Board"},
        }

    def launch(
        self,
        conn: http.client.HTTPConnection,
        i: int,
        tool_url: str,
        follow: bool = True,
        login_only: bool = False,
    ) -> None:
        """One login + launch round trip (raises on anything but 302, then the launch's page or
        an older tool's 303); after a 303, with ``follow``, the page it redirects to, as a
        browser shows it; with ``login_only``, the login alone (its 302)."""
        sub = f"bench-user-{(i * 37) % USERS}"
        conn.request(
            "POST",
            "/lti/login",
            urlencode(
                {
                    "iss": self.issuer,
                    "login_hint": sub,
                    "client_id": CLIENT_ID,
                    "target_link_uri": f"{tool_url}/lti/launch",
                    "lti_message_hint": f"m{i}",
                    "lti_deployment_id": DEPLOYMENT_ID,
                }
            ),
            FORM,
        )
        resp = conn.getresponse()
        text = resp.read()
        if resp.status != 302:
            raise RuntimeError(f"login answered {resp.status}: {_snippet(text)}")
        params = {
            k: v[0] for k, v in parse_qs(urlsplit(resp.getheader("Location", "")).query).items()
        }
        if "state" not in params or "nonce" not in params:
            raise RuntimeError("login redirect has no state or nonce")
        cookie = "; ".join(c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or [])
        if "state-" not in cookie:
            raise RuntimeError("login set no state cookie")
        if login_only:
            return
        id_token = self.sign(self.claims(i, params["nonce"], tool_url))
        conn.request(
            "POST",
            "/lti/launch",
            urlencode({"id_token": id_token, "state": params["state"]}),
            {**FORM, "Cookie": cookie},
        )
        resp = conn.getresponse()
        text = resp.read()
        if resp.status == 200:  # the launch answers with the page it lands on
            if b"<main" not in text or not PAGE_ADDRESS.search(text):
                raise RuntimeError(f"the launch's page has no <main> or address: {_snippet(text)}")
            return
        location = resp.getheader("Location", "")
        if resp.status != 303 or "lid=" not in location:
            raise RuntimeError(f"launch answered {resp.status}: {_snippet(text)}")
        if follow:
            self.follow(conn, location, _cookies(resp, cookie))

    def follow(self, conn: http.client.HTTPConnection, location: str, cookie: str) -> None:
        """GET the launch's redirect as a browser does and read the page; a second redirect
        is followed once, a third is an error (the issue allows one redirect after the POST)."""
        for _ in range(2):
            target = urlsplit(location)
            path = target.path + (f"?{target.query}" if target.query else "")
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            resp = conn.getresponse()
            text = resp.read()
            if resp.status == 200:
                if b"<main" not in text:
                    raise RuntimeError(f"the page after the launch has no <main>: {path}")
                return
            if resp.status not in (302, 303):
                raise RuntimeError(f"{path} answered {resp.status}: {_snippet(text)}")
            location = resp.getheader("Location", "")
            cookie = _cookies(resp, cookie)
        raise RuntimeError(f"more than one redirect after the launch POST (at {location})")

    def ping(self, tool_port: int, count: int, concurrency: int) -> int:
        """``count`` plain GET /healthz requests (calibration: the cost of any Flask request on
        this machine right now); returns how many failed."""
        counter = itertools.count()
        failed = [0]

        def worker() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", tool_port, timeout=30)
            while next(counter) < count:
                try:
                    conn.request("GET", "/healthz")
                    resp = conn.getresponse()
                    resp.read()
                    failed[0] += resp.status != 200
                except OSError:
                    conn.close()
                    failed[0] += 1
            conn.close()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return failed[0]

    def run(
        self,
        tool_port: int,
        count: int,
        concurrency: int,
        offset: int,
        limit_s: float,
        follow: bool = True,
        login_only: bool = False,
    ) -> dict[str, Any]:
        tool_url = f"http://127.0.0.1:{tool_port}"
        counter = itertools.count()
        lock = threading.Lock()
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        deadline = time.monotonic() + limit_s

        def worker() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", tool_port, timeout=30)
            mine: list[float] = []
            try:
                while time.monotonic() < deadline:
                    n = next(counter)
                    if n >= count:
                        break
                    start = time.perf_counter()
                    try:
                        self.launch(conn, offset + n, tool_url, follow, login_only)
                    except Exception as exc:  # every failure is counted, none stops the run
                        conn.close()
                        with lock:
                            errors[f"{type(exc).__name__}: {exc}"[:160]] += 1
                    else:
                        mine.append(time.perf_counter() - start)
            finally:
                conn.close()
                with lock:
                    latencies.extend(mine)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        return {
            "latencies": latencies,
            "errors": dict(errors),
            "elapsed": elapsed,
            "timed_out": time.monotonic() >= deadline,
        }


def _cookies(resp: http.client.HTTPResponse, sent: str) -> str:
    """The Cookie header a browser sends next: what it sent, updated by this response."""
    jar = dict(c.split("=", 1) for c in sent.split("; ") if "=" in c)
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        jar[name.strip()] = value
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def _snippet(raw: bytes) -> str:
    return " ".join(raw.decode("utf-8", "replace").split())[:120]


def platform_main(conn: Any) -> None:
    """Entry point of the platform process: answer run requests from the parent over a pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    try:
        platform = _Platform()
        conn.send(("ready", platform.port))
        while True:
            msg = conn.recv()
            if msg[0] == "stop":
                break
            if msg[0] == "run":
                conn.send(("done", platform.run(*msg[1:])))
            elif msg[0] == "ping":
                conn.send(("done", platform.ping(*msg[1:])))
            elif msg[0] == "fetches":
                conn.send(("fetches", platform.jwks_fetches))
    except (EOFError, KeyboardInterrupt):
        pass
    except Exception:
        with contextlib.suppress(Exception):
            conn.send(("error", traceback.format_exc()))


@dataclass
class PlatformProcess:
    process: Any
    conn: Any
    port: int

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, *msg: Any, timeout: float = 900) -> Any:
        self.conn.send(msg)
        if not self.conn.poll(timeout):
            raise RuntimeError(f"the platform process did not answer {msg[0]!r} in {timeout}s")
        kind, value = self.conn.recv()
        if kind == "error":
            raise RuntimeError(f"the platform process failed:\n{value}")
        return value


@contextlib.contextmanager
def platform_process() -> Iterator[PlatformProcess]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=platform_main, args=(child,), name="bench-platform", daemon=True)
    proc.start()
    try:
        if not parent.poll(60):
            raise RuntimeError("the platform process did not start")
        kind, value = parent.recv()
        if kind != "ready":
            raise RuntimeError(f"the platform process failed:\n{value}")
        yield PlatformProcess(proc, parent, value)
    finally:
        with contextlib.suppress(Exception):
            parent.send(("stop",))
        proc.join(5)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


# ---------------------------------------------------------------------------------------------
# The tool under gunicorn
# ---------------------------------------------------------------------------------------------


@dataclass
class Tool:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    db_marker: str | None = None  # text naming the database in its server processes' titles
    workers: list[int] = field(default_factory=list)

    def cpu(self) -> tuple[int, int | None, list[int]]:
        """(worker CPU ticks, database server CPU ticks or None when its processes are not
        visible here, worker pids)."""
        workers = children(self.proc.pid)
        backends = pids_matching(self.db_marker) if self.db_marker else []
        server = sum(cpu_ticks(p) for p in backends) if backends else None
        return sum(cpu_ticks(p) for p in workers), server, workers

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def tool_env(database_url: str, instance: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CAREER_CREDIT_", "FLASK_")) and k != "DATABASE_URL"
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "CAREER_CREDIT_INSTANCE": str(instance),
            "CAREER_CREDIT_ENV": "development",
            "CAREER_CREDIT_SANDBOX_ENABLED": "false",
            "SECRET_KEY": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    workdir: Path,
    db_marker: str | None,
    workers: int = 2,
    profile: Path | None = None,
) -> Iterator[Tool]:
    port = free_port()
    log = workdir / f"gunicorn-{port}.log"
    extra: list[str] = []
    if profile is not None:
        conf = workdir / f"gunicorn-profile-{port}.py"
        conf.write_text(PROFILE_HOOKS.format(out=str(profile / env["BENCH_LABEL"])))
        extra = ["-c", str(conf)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--error-logfile",
                "-",
                *extra,
                "lti_tool:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    tool = Tool(proc, port, log, db_marker)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{tool.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer in 60 s:\n{tool.log_tail()}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/lti/jwks")
                status = conn.getresponse().status
                conn.close()
                if status == 200 and len(children(proc.pid)) >= workers:
                    break
            time.sleep(0.2)
        tool.workers = children(proc.pid)
        yield tool
    finally:
        stop(proc)


# ---------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Runs and reporting
# ---------------------------------------------------------------------------------------------


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(
    platform: PlatformProcess,
    tool: Tool,
    *,
    count: int,
    warmup: int,
    concurrency: int,
    offset: int,
    limit_s: float,
    follow: bool = True,
    login_only: bool = False,
) -> dict[str, Any]:
    if warmup:
        platform.call("run", tool.port, warmup, concurrency, offset, limit_s, follow, login_only)
    cpu0, server0, workers0 = tool.cpu()
    result = platform.call(
        "run", tool.port, count, concurrency, offset + warmup, limit_s, follow, login_only
    )
    cpu1, server1, workers1 = tool.cpu()
    lat = sorted(x * 1000 for x in result["latencies"])
    ok = len(lat)
    errors = sum(result["errors"].values())
    done = ok + errors
    row = {
        "concurrency": concurrency,
        "launches": ok,
        "errors": errors,
        "launches_per_s": round(ok / result["elapsed"], 1) if result["elapsed"] else 0.0,
        "p50_ms": round(percentile(lat, 50), 1),
        "p95_ms": round(percentile(lat, 95), 1),
        "p99_ms": round(percentile(lat, 99), 1),
        "tool_cpu_ms_per_launch": round((cpu1 - cpu0) * 1000 / CLK_TCK / done, 2) if done else None,
        "elapsed_s": round(result["elapsed"], 2),
    }
    if server0 is not None and server1 is not None and done:
        # PostgreSQL backends serving this database (the pool keeps them for the whole run)
        row["db_server_cpu_ms_per_launch"] = round((server1 - server0) * 1000 / CLK_TCK / done, 2)
    if result["errors"]:
        row["error_samples"] = dict(Counter(result["errors"]).most_common(3))
    if result["timed_out"]:
        row["stopped"] = f"time limit {limit_s:.0f} s reached after {done} of {count} launches"
    if workers0 != workers1:
        row["warning"] = "a gunicorn worker was replaced during the window; CPU figure is low"
    return row


def calibrate(platform: PlatformProcess, tool: Tool, count: int = 400) -> float | None:
    """Worker CPU per plain GET /healthz: what any request costs on this machine right now
    (NOTES.md: about 0.6 ms on an idle machine of this kind). Other load on the machine shows
    here first, so read the launch figures against it."""
    platform.call("ping", tool.port, 50, 4)
    cpu0, _, _ = tool.cpu()
    failed = platform.call("ping", tool.port, count, 4)
    cpu1, _, _ = tool.cpu()
    if failed:
        return None
    return round((cpu1 - cpu0) * 1000 / CLK_TCK / count, 2)


def bench_database(
    label: str,
    database_url: str,
    db_marker: str | None,
    workdir: Path,
    platform: PlatformProcess,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    instance = workdir / f"instance-{label}"
    env = tool_env(database_url, instance)
    env["BENCH_LABEL"] = label
    run_flask(ROOT, env, "db", "upgrade", "heads")
    run_flask(
        ROOT,
        env,
        "registration",
        "add",
        "--name",
        "Bench",
        "--issuer",
        platform.issuer,
        "--client-id",
        CLIENT_ID,
        "--auth-login-url",
        f"{platform.issuer}/auth",
        "--auth-token-url",
        f"{platform.issuer}/token",
        "--key-set-url",
        f"{platform.issuer}/jwks",
        "--deployment-id",
        DEPLOYMENT_ID,
    )
    rows: list[dict[str, Any]] = []
    with gunicorn(env, workdir, db_marker, profile=args.profile) as tool:
        calibration = calibrate(platform, tool)
        print(
            f"{label:<11}GET /healthz costs {calibration} ms of worker CPU "
            f"(about 0.6 on an idle machine); load average {_load()}; {interpreter()}",
            flush=True,
        )
        offset = 0

        def window(concurrency: int, follow: bool, login_only: bool = False) -> dict[str, Any]:
            nonlocal offset
            row = measure(
                platform,
                tool,
                count=args.launches,
                warmup=args.warmup,
                concurrency=concurrency,
                offset=offset,
                limit_s=args.time_limit,
                follow=follow,
                login_only=login_only,
            )
            offset += args.launches + args.warmup
            return row

        for concurrency in args.concurrency:
            row = window(concurrency, follow=True)
            if concurrency == args.concurrency[0]:
                # beside it, the launch alone (login + launch POST, to its answer: the page
                # itself now, an older tool's 303)
                alone = window(concurrency, follow=False)
                row["launch_only"] = {
                    k: alone[k] for k in ("tool_cpu_ms_per_launch", "p95_ms", "errors")
                }
                # and the login alone (its 302): the chain's three requests told apart
                login = window(concurrency, follow=False, login_only=True)
                row["login_only"] = {
                    k: login[k] for k in ("tool_cpu_ms_per_launch", "p95_ms", "errors")
                }
            row["database"] = label
            row["healthz_cpu_ms"] = calibration
            rows.append(row)
            print_row(row, flush=True)
        if tool.proc.poll() is not None:
            raise RuntimeError(f"gunicorn died during the run:\n{tool.log_tail()}")
    if args.profile is not None:
        print_profile(args.profile, label)
    return rows


def print_profile(directory: Path, label: str, top: int = 30) -> None:
    import pstats

    files = sorted(str(p) for p in directory.glob(f"{label}-*.pstats"))
    if not files:
        print(f"  no profile written for {label}")
        return
    stats = pstats.Stats(*files, stream=sys.stdout)
    print(
        f"\n--- {label}: worker CPU by function (cProfile, process_time; {len(files)} workers,"
        f" warm-up included; profiling inflates the totals) ---"
    )
    stats.sort_stats("cumulative").print_stats(top)


HEADER = (
    f"{'database':<11}{'conc':>5}{'launches':>9}{'/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
    f"{'p99 ms':>8}{'tool CPU ms':>12}{'db CPU ms':>10}{'errors':>7}"
)


def print_row(row: dict[str, Any], flush: bool = False) -> None:
    db_cpu = row.get("db_server_cpu_ms_per_launch")
    print(
        f"{row['database']:<11}{row['concurrency']:>5}{row['launches']:>9}"
        f"{row['launches_per_s']:>8.1f}{row['p50_ms']:>8.1f}{row['p95_ms']:>8.1f}"
        f"{row['p99_ms']:>8.1f}{row['tool_cpu_ms_per_launch'] or float('nan'):>12.2f}"
        f"{'-' if db_cpu is None else f'{db_cpu:.2f}':>10}{row['errors']:>7}",
        flush=flush,
    )
    if "launch_only" in row:
        alone = row["launch_only"]
        print(
            f"{'':<11}{'':>5}  launch alone (login + launch POST, to its answer): tool CPU "
            f"{alone['tool_cpu_ms_per_launch']} ms, p95 {alone['p95_ms']} ms, "
            f"{alone['errors']} errors",
            flush=flush,
        )
    if "login_only" in row:
        login = row["login_only"]
        print(
            f"{'':<11}{'':>5}  login alone (stopping at its 302): tool CPU "
            f"{login['tool_cpu_ms_per_launch']} ms, p95 {login['p95_ms']} ms, "
            f"{login['errors']} errors",
            flush=flush,
        )
    for key in ("error_samples", "stopped", "warning"):
        if key in row:
            print(f"  {key}: {row[key]}", flush=flush)


def _summary(rows: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
    by_conc = {r["concurrency"]: r for r in rows if r["database"] == label}
    base = by_conc.get(4) or (next(iter(by_conc.values())) if by_conc else None)
    if base is None:
        return None
    high = by_conc.get(32) or by_conc[max(by_conc)]
    return {
        "launches_per_s": base["launches_per_s"],
        "p95_ms": base["p95_ms"],
        "tool_cpu_ms_per_launch": base["tool_cpu_ms_per_launch"],
        "errors_at_32": high["errors"],
        "launch_only": base.get("launch_only"),
        "login_only": base.get("login_only"),
        "healthz_cpu_ms": base.get("healthz_cpu_ms"),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="200 measured launches per run")
    parser.add_argument("--launches", type=int, help="measured launches per run (1000)")
    parser.add_argument("--warmup", type=int, default=50, help="warm-up launches per run (50)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[4, 32])
    parser.add_argument("--db", choices=["all", "postgresql", "sqlite"], default="all")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile the workers' CPU with cProfile; pstats files go to DIR",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=180.0,
        help="seconds a single run may take before it stops (180)",
    )
    args = parser.parse_args(argv)
    if args.profile is not None:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.launches is None:
        args.launches = 200 if args.quick else 1000
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    try:
        with platform_process() as platform:
            print(
                f"platform {platform.issuer} (pid {platform.process.pid}); tool: gunicorn "
                f"-w 2; {args.launches} measured launches after {args.warmup} warm-up per "
                f"run; {os.cpu_count()} CPUs",
                flush=True,
            )
            print(HEADER, flush=True)
            if args.db in ("all", "postgresql"):
                reason = postgres_available()
                if reason:
                    skipped["postgresql"] = reason
                    print(f"postgresql skipped: {reason}", flush=True)
                else:
                    try:
                        with postgres_database() as (url, name):
                            rows += bench_database(
                                "postgresql", url, f" {name} ", workdir, platform, args
                            )
                    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                        failed["postgresql"] = str(exc)
                        print(f"postgresql FAILED: {exc}", flush=True)
            if args.db in ("all", "sqlite"):
                try:
                    rows += bench_database(
                        "sqlite", f"sqlite:///{workdir}/bench.db", None, workdir, platform, args
                    )
                except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                    failed["sqlite"] = str(exc)
                    print(f"sqlite FAILED: {exc}", flush=True)
            fetches = platform.call("fetches")
    except KeyboardInterrupt:
        print("interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\nplatform JWKS fetched {fetches} times in all. Targets (4 concurrent): tool CPU "
        f"<= {TARGETS['tool_cpu_ms_per_launch']} ms/launch, p95 <= {TARGETS['p95_ms']} ms; "
        f"no errors at 32."
    )
    print(f"load average at the end: {_load()} (the benchmark itself keeps about 2 busy)")
    primary = "postgresql" if _summary(rows, "postgresql") else "sqlite"
    summary: dict[str, Any] = _summary(rows, primary) or dict.fromkeys(
        ("launches_per_s", "p95_ms", "tool_cpu_ms_per_launch", "errors_at_32")
    )
    misses = [k for k, limit in TARGETS.items() if summary.get(k) is None or summary[k] > limit]
    print(f"{primary}: " + ("all targets met" if not misses else f"missed: {', '.join(misses)}"))
    line: dict[str, Any] = {**summary, "database": primary}
    for label in ("postgresql", "sqlite"):
        if label != primary and _summary(rows, label):
            line[label] = _summary(rows, label)
    if skipped:
        line["skipped"] = skipped
    if failed:
        line["failed"] = {k: v.splitlines()[0][:200] for k, v in failed.items()}
    print(json.dumps(line))
    return 0 if rows and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
