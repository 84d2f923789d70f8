# ruff: noqa: S608 - the SQL is built from the calling scripts' constants and integers only
"""What the benchmark scripts share: the PostgreSQL server they create throw-away databases
on, percentiles, the programs generated students study, and stopping a server process.

The scripts run as ``python benchmarks/<name>.py``, so this folder is on ``sys.path`` and they
``import common``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PROGRAMS = (
    "Accounting", "Biology", "Business Administration", "Computer Science", "Economics",
    "English", "Finance", "History", "Marketing", "Nursing", "Psychology", "Sociology",
)  # fmt: skip


def interpreter() -> str:
    """The Python that runs the tool (the benchmarks start its servers with ``sys.executable``)
    and how its executable reaches the interpreter: the figures depend on it. The same code
    counts about 13 % more instructions a page under a CPython whose executable calls into a
    shared ``libpython`` built without optimization (pyenv's default build) than under
    Debian's ``/usr/bin/python3.11``, linked statically and built with profile-guided and
    link-time optimization (``benchmarks/README.md``, session 21)."""
    try:
        maps = Path("/proc/self/maps").read_text()  # the files mapped into this process
    except OSError:  # not Linux
        linked = "linking unknown"
    else:
        linked = "shared libpython" if "libpython" in maps else "libpython linked in"
    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    return f"Python {platform.python_version()} ({base}, {linked})"


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``values``, interpolated between the two nearest ranks (NaN
    for no values)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def postgres_available() -> str | None:
    """None when the server answers, else the reason PostgreSQL cannot be used."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"no PostgreSQL server answers at {PG_ADMIN_URL} ({str(exc).strip()[:120]})"
    return None


@contextlib.contextmanager
def postgres_database(keep: bool = False) -> Iterator[tuple[str, str]]:
    """A fresh ``cc_bench_*`` database: its URL and name; dropped afterwards unless ``keep``."""
    import psycopg
    from psycopg import sql

    name = f"cc_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        yield url, name
    finally:
        if keep:
            print(f"  kept: {url}")
        else:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@contextlib.contextmanager
def postgres_or_none(keep: bool = False) -> Iterator[str | None]:
    """A fresh database's URL, or None (after saying why) when no PostgreSQL server answers."""
    reason = postgres_available()
    if reason:
        print(f"PostgreSQL skipped: {reason}")
        yield None
        return
    with postgres_database(keep) as (url, _name):
        yield url


def stop(proc: subprocess.Popen) -> None:
    """Stop a server started in its own process group: SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is not None:
        return
    proc.terminate()  # SIGTERM: gunicorn stops its workers, then itself
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite, for the scripts that
    generate their data in SQL."""

    def __init__(self, name: str) -> None:
        self.pg = name == "postgresql"

    def series(self, n: int, select: str) -> str:
        """``select`` (which reads ``g.x``) over x = 1..n."""
        if self.pg:
            return f"{select} FROM generate_series(1, {n}) AS g(x)"
        return (
            f"WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {n}) "
            f"{select} FROM g"
        )

    def cross(self, n: int) -> str:
        """A join with k = 1..n."""
        if self.pg:
            return f"CROSS JOIN generate_series(1, {n}) AS k(k)"
        return (
            f"CROSS JOIN (WITH RECURSIVE s(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM s "
            f"WHERE k < {n}) SELECT k FROM s) AS k"
        )

    def day(self, base: dt.date | str, offset: str) -> str:
        if self.pg:
            return f"(DATE '{base}' + ({offset})::int)"
        return f"date('{base}', ({offset}) || ' days')"

    def moment(self, base: dt.date | str, offset_days: str) -> str:
        if self.pg:
            return f"(TIMESTAMP '{base}' + ({offset_days}) * INTERVAL '1 day')"
        return f"datetime('{base}', ({offset_days}) || ' days')"

    def json(self, literal: str) -> str:
        return f"CAST('{literal}' AS JSON)" if self.pg else f"'{literal}'"

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"


def drop_indexes(conn: Any, tables: Sequence[str]) -> list[str]:
    """PostgreSQL bulk load: drop the secondary indexes, unique and foreign-key constraints of
    ``tables`` (each row would otherwise update every index and check every key) and return the
    statements that put them back, as they were, afterwards."""
    from sqlalchemy import text

    regclasses = ", ".join(f"'{t}'::regclass" for t in tables)
    constraints = conn.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
            f"FROM pg_constraint WHERE conrelid IN ({regclasses}) AND contype IN ('u', 'f')"
        )
    ).all()
    owned = {name for _, name, _, _ in constraints}
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND "
            f"tablename IN ({', '.join(repr(t) for t in tables)}) "
            "AND indexname NOT LIKE 'pk_%'"
        )
    ).all()
    for table, name, _, _kind in sorted(constraints, key=lambda c: c[3] != "f"):
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        if name not in owned:
            conn.execute(text(f'DROP INDEX IF EXISTS "{name}"'))
    rebuild = [definition for name, definition in indexes if name not in owned]
    rebuild += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] == "f")
    ]
    return rebuild


# ---------------------------------------------------------------------------------------------
# Servers under gunicorn, their processes and their CPU
# ---------------------------------------------------------------------------------------------

# With --profile: each worker runs under cProfile timed by its own CPU clock (so waiting on the
# database or the network costs nothing) and writes <out>-<pid>.pstats when it exits (sync
# workers then: cProfile sees only the thread it was enabled in).
PROFILE_HOOKS = """
import cProfile, os, time

def post_fork(server, worker):
    worker._bench_profile = cProfile.Profile(time.process_time)
    worker._bench_profile.enable()

def worker_exit(server, worker):
    worker._bench_profile.disable()
    worker._bench_profile.dump_stats("{out}-%d.pstats" % os.getpid())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_stat(pid: int) -> list[str] | None:
    """``/proc/<pid>/stat`` after the command name (``[0]`` is the state), or None."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()
    except OSError:
        return None


def cpu_ticks(pid: int) -> int:
    """User + system CPU of a process so far, in clock ticks (0 once it is gone)."""
    fields = proc_stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0  # utime + stime


def server_ns(pids: list[int]) -> int:
    """CPU time so far of these processes in nanoseconds (``/proc/<pid>/schedstat``: exact,
    where ``/proc/<pid>/stat`` counts 10 ms ticks)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
    return total


def pids_matching(text: str) -> list[int]:
    """Processes whose command line contains ``text`` (PostgreSQL backends of one database)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    if text.encode() in fh.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = proc_stat(int(entry))
            if fields and int(fields[1]) == pid:
                found.append(int(entry))
    return sorted(found)


def run_flask(root: Path, env: dict[str, str], *args: str) -> None:
    """``flask --app lti_tool <args>`` in ``root`` with ``env``; raises with its output on
    failure."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "lti_tool", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}")


def bulk_load(
    d: Dialect, steps: Sequence[tuple[str, str]], tables: Sequence[str], sequences: Sequence[str]
) -> None:
    """Run the generation ``steps`` (name, INSERT … SELECT) in one transaction — on PostgreSQL
    with ``tables``' indexes and constraints dropped and rebuilt afterwards, and the id
    ``sequences`` moved past the explicit ids — then refresh the planner's statistics."""
    from sqlalchemy import text

    from lti_tool.extensions import db

    with db.engine.begin() as conn:
        rebuild = drop_indexes(conn, tables) if d.pg else []
        for name, sql in steps:
            start = time.perf_counter()
            count = conn.execute(text(sql)).rowcount
            print(f"  {name}: {count} rows in {time.perf_counter() - start:.1f} s", flush=True)
        if d.pg:  # explicit ids: move the sequences past them
            for table in sequences:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        start = time.perf_counter()
        for statement in rebuild:
            conn.execute(text(statement))
        if rebuild:
            print(f"  indexes and constraints rebuilt in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    if d.pg:
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(f"  analyze: {time.perf_counter() - start:.1f} s", flush=True)
