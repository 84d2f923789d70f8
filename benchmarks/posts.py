#!/usr/bin/env python
"""Posts benchmark: the tool's CPU and SQL statements per request for the two form POSTs of the
soak's mix (``soak.py``), as ``pages.py`` measures pages.

- **hours**: the student logs a quarter hour on the demo engagement (the engagement page's
  "hours" form: checks, the entry, its confirmation for the next page), 303.
- **award**: the instructor corrects the reviewed student's award from the review page (the
  "correct" form, the "award" form the first time): the checks, the gradebook column checked
  against the sandbox LMS (one AGS request), the award, its score queued, the student told,
  the confirmation kept; 303. The review page's GET before each POST is not measured.

The app runs in this process on the demo data (``pages.py``'s loader, meter and sandbox
server); each POST is made a few times unmeasured, then ``--requests`` times measured. Figures
are this thread's CPU (``time.thread_time``) per request, median and p95, and the statements
each request runs (the last one's). SQLite (a file) always; PostgreSQL (a fresh ``cc_bench_*``
database, dropped) when a server answers. The last line is one JSON object.

    .venv/bin/python benchmarks/posts.py                  # 80 requests each, both databases
    .venv/bin/python benchmarks/posts.py --db sqlite --profile /tmp/posts-prof
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # benchmarks/pages.py: demo data, launches, the meter
from common import interpreter, postgres_available, postgres_database
from soak import _form  # a page's form by its name: action and inputs

WARMUPS = 3


def _post(bench: Any, label: str, url: str, data: dict[str, Any]) -> None:
    """One POST, measured under ``label``; it must answer 303 (done, to the next page)."""
    bench.meter.label = label
    try:
        resp = bench.client.post(url, data=data)
    finally:
        bench.meter.label = None
    if resp.status_code != 303:
        raise RuntimeError(f"{label} POST: HTTP {resp.status_code}")


def _measured(bench: Any, label: str, times: int, post: Callable[[int], None]) -> dict[str, Any]:
    """``post(i)`` made ``WARMUPS`` times, then ``times`` times with the meter on ``label``
    (``post`` sets the label around its POST only)."""
    for i in range(WARMUPS):
        post(i)
    bench.meter.samples.pop(label, None)
    for i in range(WARMUPS, WARMUPS + times):
        post(i)
    if bench.show_sql:
        for statement in bench.meter.sql:
            print(f"    {label} SQL {' '.join(statement.split())[:300]}")
    return pages.stats(bench.meter.samples[label])


def _profiled(bench: Any, label: str, times: int, post: Callable[[int], None], out: Path) -> None:
    profiler = cProfile.Profile(time.thread_time)
    bench.meter.profiler = profiler
    try:
        for i in range(WARMUPS, WARMUPS + times):
            post(i)
    finally:
        bench.meter.profiler = None
    out.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out / f"{label}.pstats")


def _forget_hours(app: Any) -> None:
    """Delete the hour logs this benchmark made."""
    from sqlalchemy import delete

    from internships.work.models import HourLog
    from lti_tool.extensions import db

    with app.app_context():
        db.session.execute(delete(HourLog).where(HourLog.description.like("Posts benchmark %")))
        db.session.commit()


def hours_form(client: Any, engagement_id: int, lid: str) -> tuple[str, dict[str, str]]:
    """The engagement page's "hours" form: its action and inputs."""
    page = client.get(f"/work/engagements/{engagement_id}", query_string={"lid": lid})
    found = _form(page.get_data(as_text=True), "hours")
    if found is None:
        raise RuntimeError("engagement page: no hours form")
    return found


def hours_data(fields: dict[str, str], i: int, description: str) -> dict[str, str]:
    """The ``i``-th quarter hour: four a day, going back from yesterday (within every cap)."""
    day = dt.date.today() - dt.timedelta(days=1 + i // 4)
    return {**fields, "work_date": day.isoformat(), "hours": "0.25", "description": description}


def award_request(
    client: Any, reviewed_id: int, lid: str, i: int, comment: str
) -> tuple[str, dict[str, str]]:
    """The review page read (not measured), then its correction form filled (its award form the
    first time): the action and the data to post."""
    review = client.get(f"/credit/students/{reviewed_id}", query_string={"lid": lid})
    page = review.get_data(as_text=True)
    found = _form(page, "correct") or _form(page, "award")
    if found is None:
        raise RuntimeError("review page: no award or correction form")
    target, inputs = found
    data = {**inputs, "credits": inputs.get("credits") or "1", "score": str(50 + i % 50)}
    if inputs.get("form") == "correct":
        data["comment"] = comment
    return target, data


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Both POSTs on one database."""
    options = argparse.Namespace(requests=args.requests, warmups=0, sql=args.sql)
    with pages.bench_on(url, options, None) as bench:
        pages.load_demo(bench.app)
        student, faculty = pages.launch(bench, pages.STUDENT), pages.launch(bench, pages.FACULTY)
        ids = pages.demo_ids(bench.app, student)
        client = bench.client
        action, fields = hours_form(client, ids.engagement_id, student)

        def hours(i: int) -> None:
            text = f"Posts benchmark work {i} ({secrets.token_hex(3)})"
            _post(bench, "hours", action, hours_data(fields, i, text))

        def award(i: int) -> None:
            target, data = award_request(
                client, ids.reviewed_id, faculty, i, f"Posts benchmark correction {i}"
            )
            _post(bench, "award", target, data)

        figures = {
            "hours": _measured(bench, "hours", args.requests, hours),
            "award": _measured(bench, "award", args.requests, award),
        }
        if args.profile is not None:
            _forget_hours(bench.app)  # the same days again: within the engagement and its caps
            _profiled(bench, "hours", args.requests, hours, args.profile)
            _profiled(bench, "award", args.requests, award, args.profile)
        return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("all", "sqlite", "postgresql"), default="all")
    parser.add_argument("--requests", type=int, default=80, help="measured POSTs of each (80)")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="cProfile each POST")
    parser.add_argument("--sql", action="store_true", help="print each POST's statements")
    args = parser.parse_args(argv)
    print(interpreter(), flush=True)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, pages.instance(tmp):
        if args.db in ("all", "sqlite"):
            results["sqlite"] = run(f"sqlite:///{tmp}/posts.db", args)
        if args.db in ("all", "postgresql"):
            reason = postgres_available()
            if reason is None:
                with postgres_database() as (url, _name):
                    results["postgresql"] = run(url, args)
            else:
                print(f"postgresql: skipped ({reason})")
    for database, figures in results.items():
        for label, f in figures.items():
            print(
                f"{database:11s} {label:6s} median {f['median_ms']:6.2f} ms  "
                f"p95 {f['p95_ms']:6.2f} ms  statements {f['statements']}"
            )
    main_db = "postgresql" if "postgresql" in results else "sqlite"
    summary: dict[str, Any] = {"posts": results.get(main_db, {}), "database": main_db}
    summary.update({db: {"posts": f} for db, f in results.items() if db != main_db})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
