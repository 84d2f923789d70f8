#!/usr/bin/env python
"""Instructions benchmark: the machine instructions the tool executes per request for each of
``pages.py``'s pages and ``posts.py``'s two POSTs, and per launch for the launch chain
(``launch.py``'s login, launch POST and first page), counted by valgrind's callgrind.

CPU time on a shared machine drifts: the same code has measured 5.2 and 7.1 ms for the student
home fifty minutes apart (``benchmarks/README.md``, session 19), so a change of a few
percent cannot be told from the machine. An instruction count does not drift: the same code,
data and requests count the same to about 0.1 %, whatever else the machine runs. It is not
time (a cache miss costs more than an add), but a change that removes work removes
instructions, and this says by how many.

The script runs itself again under ``valgrind --tool=callgrind`` with instrumentation off, so
the set-up (migrations, the demo data, four launches: ``pages.py``'s loader) runs at about a
tenth of native speed and counts nothing. For each page it makes three requests uncounted,
then turns counting on for ``--requests`` requests (``callgrind_control -i on``), off, and
dumps the count. A launch is counted for the tool's three requests only, not for the sandbox
LMS's pages between them (the same process: the LMS's signing would count otherwise). Only the
thread that makes the requests is counted (callgrind's ``--separate-threads``): the test
client serves each request in it, so the sandbox's answer to the award POST's call for its
gradebook column (served by the loopback server's thread, while the request waits) and any
work a request hands to a background thread are not in a page's figure. The figure is
instructions per request (per launch) of the request's thread: the tool's Python, SQLAlchemy,
psycopg or sqlite3, Jinja; not the database server's.

    .venv/bin/python benchmarks/instructions.py                  # PostgreSQL when it answers
    .venv/bin/python benchmarks/instructions.py --db sqlite --requests 10
    .venv/bin/python benchmarks/instructions.py --tree /tmp/bench  # another checkout's code

``--tree`` measures the tool's code from another checkout (a ``git worktree`` of an earlier
commit: see the README for the links it needs) with this harness, so two commits are compared
by the same requests. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTE = "note: "  # the child's lines the parent shows
CHILD = "CC_INSTRUCTIONS_CHILD"  # set in the run under valgrind: its output directory
WARMUPS = 3
# Settings that act on the clock, fixed so that a run slowed by valgrind and a busy machine
# does the work a quick one does: no pooled connection is idle long enough to be pinged (as on
# a busy server), and the kept figures and roster never go stale during the run.
STEADY = {
    "CAREER_CREDIT_DATABASE_PING_AFTER_IDLE_S": "86400",
    "CAREER_CREDIT_ADVISOR_HOME_MAX_AGE_S": "86400",
    "CAREER_CREDIT_EMPLOYER_FIGURES_MAX_AGE_S": "86400",
    "CAREER_CREDIT_ROSTER_MAX_AGE_S": "86400",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--db", choices=("postgresql", "sqlite"), help="PostgreSQL when it answers, else SQLite"
    )
    parser.add_argument("--requests", type=int, default=5, help="counted requests a page (5)")
    parser.add_argument("--pages", help="comma-separated page labels (default: all)")
    parser.add_argument("--tree", type=Path, help="the tool's code from this checkout")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the callgrind dumps there (callgrind_annotate)",
    )
    return parser.parse_args(argv)


# ---------------------------------------------------------------------------------------------
# Under valgrind: the pages, counted
# ---------------------------------------------------------------------------------------------


def _callgrind(*args: str) -> None:
    subprocess.run(
        ["callgrind_control", *args, str(os.getpid())], check=True, stdout=subprocess.DEVNULL
    )


def counted_launch(pages: Any, bench: Any, person: str, counted: bool) -> None:
    """One launch as ``pages.launch`` makes it, with counting on for the tool's three requests
    (login, launch POST, the page it leads to) and off for the sandbox LMS's (the launch page,
    the authorization answer that signs the id_token): the chain ``launch.py`` measures."""
    client = bench.app.test_client()
    query = {"person": person, "storage": "off", "course": pages.COURSE}
    page = client.get("/sandbox/launch", base_url=bench.platform_url, query_string=query)
    found = re.search(r'data-login-url="([^"]+)"', page.get_data(as_text=True))
    if found is None:
        raise RuntimeError(f"sandbox launch page: HTTP {page.status_code}")
    with _counting(counted):
        login = client.get(html.unescape(found.group(1)))
    form = client.get(login.headers["Location"]).get_data(as_text=True)
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]+)"', form))
    action = re.search(r'id="launch-form" method="post" action="([^"]+)"', form)
    if action is None or len(fields) != 2:
        raise RuntimeError("sandbox /auth: no launch form")
    with _counting(counted):
        done = client.post(html.unescape(action.group(1)), data=fields)
        # the launch answers with its page (older code: a 303 to it, which a browser follows)
        landing = client.get(done.headers["Location"]) if done.status_code == 303 else done
    problem = pages.check(landing)
    if done.status_code not in (200, 303) or problem:
        raise RuntimeError(f"launch: HTTP {done.status_code}, then {problem}")


def _counted(label: str, args: argparse.Namespace, request: Callable[[int, bool], None]) -> None:
    """``request(i, counted)`` three times uncounted, then ``args.requests`` times counted,
    dumped under ``label``; nothing when ``--pages`` leaves ``label`` out.

    The window is counted again (up to twice) when the clock's minute turned between the first
    warm-up and the last counted request: the advisor's statements are built once per
    thresholds, day and minute (``accreditation.reports.services.risk.rule_conditions``), so
    a window the minute turns in counts their building too (about 60 M instructions more in the
    advisor students page's five requests); under valgrind a window lasts seconds."""
    if args.pages and label not in args.pages.split(","):
        return
    requests = args.requests
    for attempt in range(3):
        minute = int(time.time() // 60)
        for i in range(WARMUPS):
            request(i, False)
        # Each window starts from an empty collector, so its collections are the window's own
        # and not whichever the run's timing left pending (the server thread's polls allocate).
        gc.collect()
        _callgrind("--zero")
        for i in range(WARMUPS, WARMUPS + requests):
            request(i, True)
        if int(time.time() // 60) == minute:
            break
        if attempt < 2:
            print(f"{NOTE}{label}: the minute turned during its window; counted again")
        else:
            print(f"{NOTE}{label}: the minute turned during three windows; the last is kept")
    _callgrind(f"--dump={label}")


@contextlib.contextmanager
def _counting(counted: bool) -> Iterator[None]:
    if not counted:
        yield
        return
    _callgrind("--instr=on")
    try:
        yield
    finally:
        _callgrind("--instr=off")


def count_posts(bench: Any, lids: dict[str, str], ids: Any, args: argparse.Namespace) -> None:
    """The soak's two form POSTs as ``posts.py`` makes them: a quarter hour logged on the
    engagement page's form, and the instructor's correction from the review page's form (the
    review page's GET before each, uncounted)."""
    import posts  # benchmarks/posts.py: its forms, filled as it fills them

    client = bench.app.test_client(use_cookies=False)
    action, fields = posts.hours_form(client, ids.engagement_id, lids["student"])

    def post(url: str, data: dict[str, Any], counted: bool) -> None:
        with _counting(counted):
            resp = client.post(url, data=data)
        if resp.status_code != 303:
            raise RuntimeError(f"POST {url}: HTTP {resp.status_code}")

    def hours(i: int, counted: bool) -> None:
        text = f"Instructions benchmark work {i:03d}"
        post(action, posts.hours_data(fields, i, text), counted)

    def award(i: int, counted: bool) -> None:
        comment = f"Instructions benchmark correction {i:03d}"
        post(*posts.award_request(client, ids.reviewed_id, lids["faculty"], i, comment), counted)

    _counted("hours_post", args, hours)
    _counted("award_post", args, award)


def count_pages(
    pages: Any, bench: Any, lids: dict[str, str], ids: Any, args: argparse.Namespace
) -> None:
    """Each of ``pages.py``'s demo pages asked for (all by default)."""
    client = bench.app.test_client(use_cookies=False)
    for label, path, who, params in pages.demo_pages(ids):
        query = {"lid": lids[who], **params}

        def get(i: int, counted: bool, path: str = path, query: dict = query) -> None:
            with _counting(counted):
                problem = pages.check(client.get(path, query_string=query))
            if problem:
                raise RuntimeError(f"GET {path}: {problem}")

        _counted(label, args, get)


def counted_run(args: argparse.Namespace) -> None:
    """Set up the demo (``pages.py``) and count the launch chain, each page and each POST
    into a dump of its own."""
    import pages  # benchmarks/pages.py: demo data, launches, the app (this checkout's first)
    from common import postgres_database

    if args.tree is not None:  # the tool's packages from there (not imported yet)
        sys.path.insert(0, str(args.tree.resolve()))

    bench_args = argparse.Namespace(requests=1, warmups=0, sql=False)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-bench-instr-"))
        stack.enter_context(pages.instance(tmp))
        if args.db == "postgresql":
            url = stack.enter_context(postgres_database())[0]
        else:
            url = f"sqlite:///{tmp}/instructions.db"
        bench = stack.enter_context(pages.bench_on(url, bench_args, None))
        pages.load_demo(bench.app)
        lids = {
            "student": pages.launch(bench, pages.STUDENT),
            "faculty": pages.launch(bench, pages.FACULTY),
            "advisor": pages.launch(bench, pages.ADVISOR, course=None),
            "admin": pages.launch(bench, pages.ADMIN, course=None),
        }
        ids = pages.demo_ids(bench.app, lids["student"])
        pages.keep_roster(bench.app, lids["faculty"])
        _counted(
            "launch_chain",
            args,
            lambda i, counted: counted_launch(pages, bench, pages.STUDENT, counted),
        )
        count_pages(pages, bench, lids, ids, args)
        count_posts(bench, lids, ids, args)


# ---------------------------------------------------------------------------------------------
# The parent: valgrind, then the dumps read
# ---------------------------------------------------------------------------------------------


def read_dumps(directory: Path, requests: int) -> dict[str, float]:
    """Each dump's page label and its instruction total, per request: the main thread's
    (``callgrind.out.<pid>.<dump>-01``), which made the requests."""
    counts: dict[str, float] = {}
    dumps = directory.glob("callgrind.out.*.*-01")  # in the order they were made
    for dump in sorted(dumps, key=lambda path: int(path.name.rsplit(".", 1)[1].split("-")[0])):
        text = dump.read_text(errors="replace")
        label = re.search(r"^desc: Trigger: .*\s(\S+)$", text, re.M)
        total = re.search(r"^totals: (\d+)", text, re.M)
        if label and total and label.group(1) != "termination":
            counts[label.group(1)] = int(total.group(1)) / requests
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get(CHILD):
        counted_run(args)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("valgrind (callgrind) is not installed: apt-get install valgrind")
        return 1
    sys.path.insert(0, str(HERE))
    from common import interpreter, postgres_available

    if args.db is None:
        reason = postgres_available()
        args.db = "sqlite" if reason else "postgresql"
        if reason:
            print(f"PostgreSQL unavailable ({reason}): SQLite")
    tree = args.tree.resolve() if args.tree else HERE.parent
    print(f"{args.db}, the tool's code from {tree}, {args.requests} counted requests a page")
    print(interpreter())
    given = argv if argv is not None else sys.argv[1:]
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            if any(args.keep.iterdir()):  # its dumps would be read with this run's
                print(f"--keep {args.keep}: give a new or empty directory")
                return 1
            out = str(args.keep.resolve())
        else:
            out = stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-callgrind-"))
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", "--separate-threads=yes",
            f"--callgrind-out-file={out}/callgrind.out.%p",
            sys.executable, str(Path(__file__).resolve()), *given,
            "--db", args.db,
        ]  # fmt: skip
        # the same hashes every run: set and dict orders, and so the work, repeat exactly
        env = {**os.environ, **STEADY, CHILD: out, "PYTHONHASHSEED": "0"}
        run = subprocess.run(command, env=env, capture_output=True, text=True)
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:])
            print(f"the run under valgrind failed (exit {run.returncode})")
            return 1
        counts = read_dumps(Path(out), args.requests)
        for line in run.stdout.splitlines():
            if line.startswith(NOTE):
                print(f"  {line}")
    print(f"  {'page':<22}{'instructions per request':>26}")
    for label, count in counts.items():
        print(f"  {label:<22}{count / 1e6:>22.2f} M")
    print(
        json.dumps(
            {
                "instructions_m": {label: round(c / 1e6, 3) for label, c in counts.items()},
                "database": args.db,
                "requests": args.requests,
                "tree": str(tree),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
