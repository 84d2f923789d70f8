#!/usr/bin/env python
"""Plumbing benchmark: the tool's CPU per request for what every launched request pays besides
its view's own work (the launch lookup, the CSRF seed, the NUL check, the security headers and
Content-Security-Policy, the unit of work's commit, the launch's messages, the session cookie).

The app runs in this process as in ``benchmarks/pages.py`` (its loader, launches and meter,
imported): the demo data, one launch of an observer (whose home page shows nothing of anyone:
a template and no query of its own) and one of a student. Then, in rounds that alternate the
requests (so a busy moment of the machine weighs on each alike), each of these N times:

- ``healthz``: ``GET /healthz``, no launch, the floor of any request;
- ``observer_home``: ``GET /home/observer?lid=…``, a launched HTML page whose view only renders
  a short template: its figure less the template's is the launched page's plumbing;
- ``home_redirect``: ``GET /home/?lid=…`` (the student's), a launched 303 with no body.

Each figure is the median over the rounds of each round's median ``time.thread_time()`` per
request (and the statements each request executed). ``--profile`` runs the observer's page
again under cProfile and prints where its time went.

    nice -n 10 .venv/bin/python benchmarks/plumbing.py                 # PostgreSQL, else SQLite
    nice -n 10 .venv/bin/python benchmarks/plumbing.py --db sqlite --rounds 5 --requests 300
    nice -n 10 .venv/bin/python benchmarks/plumbing.py --profile /tmp/plumbing-prof
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # benchmarks/pages.py: loader, launches, meter
from common import postgres_available, postgres_database

OBSERVER, STUDENT = "linda-okafor", pages.STUDENT


def requests_of(lids: dict[str, str]) -> dict[str, tuple[str, dict[str, str], int]]:
    """label -> (path, query, the status every answer must have)."""
    return {
        "healthz": ("/healthz", {}, 200),
        "observer_home": ("/home/observer", {"lid": lids["observer"]}, 200),
        "home_redirect": ("/home/", {"lid": lids["student"]}, 303),
    }


def run(bench: pages.Bench, label: str, path: str, query: dict[str, str], status: int) -> None:
    """``bench.requests`` requests, each answer checked (measured when the meter's label is
    set)."""
    client = bench.client
    for _ in range(bench.requests):
        resp = client.get(path, query_string=query)
        if resp.status_code != status:
            raise RuntimeError(f"{label} (GET {path}): HTTP {resp.status_code}, not {status}")


def measure(url: str, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every request's figures on one database: the median of the rounds' medians."""
    with pages.bench_on(url, args, None) as bench:
        pages.load_demo(bench.app)
        lids = {
            "observer": pages.launch(bench, OBSERVER),
            "student": pages.launch(bench, STUDENT),
        }
        plan = requests_of(lids)
        for label, (path, query, status) in plan.items():  # warm-up, unmeasured
            bench.requests, kept = args.warmups, bench.requests
            run(bench, label, path, query, status)
            bench.requests = kept
        rounds: dict[str, list[dict[str, Any]]] = {label: [] for label in plan}
        for _ in range(args.rounds):
            for label, (path, query, status) in plan.items():
                bench.meter.samples.pop(label, None)
                bench.meter.label = label
                try:
                    run(bench, label, path, query, status)
                finally:
                    bench.meter.label = None
                rounds[label].append(pages.stats(bench.meter.samples[label]))
        if args.sql:
            for label, (path, query, status) in plan.items():
                bench.requests, kept = 1, bench.requests
                bench.meter.label = label
                run(bench, label, path, query, status)
                bench.meter.label, bench.requests = None, kept
                for statement in bench.meter.sql:
                    print(f"    {label} SQL {' '.join(statement.split())[:160]}")
        if args.profile:
            bench.profile_dir = args.profile
            path, query, _status = plan["observer_home"]
            pages.profile(bench, "observer_home", path, query)
        return {label: combined(figures) for label, figures in rounds.items()}


def combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one request as one figure: medians of the rounds' medians, their range."""
    medians = [r["median_ms"] for r in rounds]
    return {
        "median_ms": round(statistics.median(medians), 3),
        "rounds_ms": [round(m, 3) for m in medians],
        "template_ms": round(statistics.median(r["template_ms"] for r in rounds), 3),
        "statements": int(statistics.median(r["statements"] for r in rounds)),
        "requests": sum(r["requests"] for r in rounds),
    }


@contextlib.contextmanager
def database(engine: str, tmp: str) -> Iterator[str]:
    if engine == "postgresql":
        with postgres_database() as (url, _):
            yield url
    else:
        yield f"sqlite:///{tmp}/plumbing.db"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--db", choices=("auto", "sqlite", "postgresql"), default="auto")
    parser.add_argument("--requests", type=int, default=200, help="a request, a round")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    parser.add_argument("--warmups", type=int, default=20, help="unmeasured requests first")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile the observer page")
    parser.add_argument("--sql", action="store_true", help="print each request's statements")
    args = parser.parse_args(argv)
    if args.db == "auto":
        args.db = "sqlite" if postgres_available() else "postgresql"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="cc-bench-plumbing-") as tmp,
        pages.instance(tmp),
        database(args.db, tmp) as url,
    ):
        figures = measure(url, args)
    print(f"\n{args.db}: {args.rounds} rounds of {args.requests} requests (tool CPU a request)")
    print(f"  {'request':<16}{'median ms':>10}{'templates':>11}{'statements':>12}  rounds")
    for label, fig in figures.items():
        spread = " ".join(f"{m:.3f}" for m in fig["rounds_ms"])
        print(
            f"  {label:<16}{fig['median_ms']:>10.3f}{fig['template_ms']:>11.3f}"
            f"{fig['statements']:>12}  {spread}"
        )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(json.dumps({"database": args.db, "requests": figures}))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
