#!/usr/bin/env python
"""Workspace benchmark: the engagement page of a busy project and the reminders tick of a
large institution.

A tenant with N active engagements (one student each; 50,000 by default, 10,000 with
``--quick``), each with two hour logs, a milestone and (every other one) a check-in, in a
database of its own (SQLite file in a temporary directory; ``--db postgresql`` for a fresh
``cc_bench_*`` database, dropped afterwards). Rows are written in batches through SQLAlchemy
Core (``insert`` executemany, so the models' defaults apply). The page's engagement also has
500 workspace messages and 20 milestones. Then, in this process (Flask's test client, a
stored student launch, templates rendered):

- page: ``GET /work/engagements/<id>`` as its student (warm, ``--requests`` times);
- tick: ``reminders.send_due_reminders`` once over all of it (the quiet engagements recorded,
  then the reminders; about 5% of the engagements
  have each kind of reminder due: agreement, hours, milestone tomorrow, no activity; every
  email goes through the outbox), then again (it must send nothing: each reminder once).

The last line is one JSON object: ``{"engagement_page_p95_ms": …, "reminder_tick_s": …}``.
Targets: page p95 <= 100 ms, tick <= 30 s.

    nice -n 10 .venv/bin/python benchmarks/workspace.py --quick
    nice -n 10 .venv/bin/python benchmarks/workspace.py                 # 50,000 engagements
    nice -n 10 .venv/bin/python benchmarks/workspace.py --db postgresql
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import percentile, postgres_or_none  # noqa: E402

TARGETS = {"engagement_page_p95_ms": 100.0, "reminder_tick_s": 30.0}
CHUNK = 5000
MESSAGES, MILESTONES = 500, 20
LISTINGS, EMPLOYERS = 200, 50


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _load(model: Any, rows: Iterator[dict[str, Any]]) -> None:
    from sqlalchemy import insert

    from lti_tool.extensions import db

    start, count = time.perf_counter(), 0
    for batch in _chunks(rows):
        db.session.execute(insert(model), batch)
        count += len(batch)
    db.session.commit()
    print(f"  {model.__tablename__}: {count} rows in {time.perf_counter() - start:.1f} s")


def _people(n: int) -> dict[str, Any]:
    """The tenant, its LMS, one course, the students, employers and listings."""
    from internships.models import Employer, Listing
    from lti_tool.extensions import db
    from lti_tool.models import Course, Registration, Tenant, User

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
    course = Course(tenant_id=tenant.id, issuer=reg.issuer, context_id="c1", title="BUS 390")
    db.session.add_all([reg, course])
    db.session.commit()
    t = tenant.id
    _load(
        User,
        (
            {"id": x, "tenant_id": t, "issuer": reg.issuer, "sub": f"s{x}", "name": f"Student {x}",
             "email": f"s{x}@bench.edu"}
            for x in range(1, n + 1)
        ),
    )  # fmt: skip
    _load(
        Employer,
        ({"id": x, "tenant_id": t, "name": f"Employer {x}"} for x in range(1, EMPLOYERS + 1)),
    )
    _load(
        Listing,
        (
            {"id": x, "tenant_id": t, "employer_id": 1 + x % EMPLOYERS, "title": f"Project {x}",
             "estimated_hours": 40, "compensation_type": "fixed", "pay_amount_cents": 50000,
             "location_type": "remote", "status": "filled"}
            for x in range(1, LISTINGS + 1)
        ),
    )  # fmt: skip
    return {"tenant": t, "registration": reg.id, "course": course.id}


def _work(ids: dict[str, Any], n: int, today: dt.date) -> None:
    """Applications and active engagements; hours, milestones, check-ins; about 5% of each
    reminder kind due (i % 20 quiet for 15 days, i % 25 hours pending for a week, i % 40 a
    milestone due tomorrow, i % 50 the agreement not accepted)."""
    from internships.work.models import Application, Engagement, HourLog
    from internships.workspace.plan.models import Milestone
    from internships.workspace.rhythm.models import CheckIn
    from lti_tool.models import utcnow

    t, c, now = ids["tenant"], ids["course"], utcnow()
    ago = lambda days: now - dt.timedelta(days=days)  # noqa: E731
    _load(
        Application,
        ({"id": x, "tenant_id": t, "listing_id": 1 + x % LISTINGS, "student_id": x,
          "course_id": c, "status": "accepted"} for x in range(1, n + 1)),
    )  # fmt: skip
    _load(
        Engagement,
        ({"id": x, "tenant_id": t, "application_id": x, "listing_id": 1 + x % LISTINGS,
          "student_id": x, "course_id": c, "status": "active", "competencies": ["Teamwork"],
          "planned_hours": 40, "weekly_hours": 8, "supervisor_name": f"Boss {x % EMPLOYERS}",
          "supervisor_email": f"boss{x % EMPLOYERS}@employer.example",
          "created_at": ago(20 + x % 30),
          "acknowledged_at": None if x % 50 == 0 else ago(19 + x % 30)}
         for x in range(1, n + 1)),
    )  # fmt: skip
    _load(
        HourLog,
        ({"tenant_id": t, "engagement_id": x, "student_id": x,
          "work_date": today - dt.timedelta(days=(15 if x % 20 == 0 else 1) + k * 2),
          "minutes": 120, "description": f"Work {k}",
          "status": "pending" if x % 25 == 0 else "confirmed",
          "created_at": ago(15 if x % 20 == 0 else 7 + k)}
         for x in range(1, n + 1) for k in range(2)),
    )  # fmt: skip
    _load(
        Milestone,
        ({"tenant_id": t, "engagement_id": x, "title": f"Milestone of {x}",
          "due_date": today + dt.timedelta(days=1 if x % 40 == 0 else 5 + x % 30)}
         for x in range(2, n + 1)),
    )  # fmt: skip
    _load(
        CheckIn,
        ({"tenant_id": t, "engagement_id": x, "student_id": x,
          "week_start": today - dt.timedelta(days=today.weekday() + 7), "done": "Work",
          "next": "More work", "blocked": x % 100 == 0, "submitted_at": ago(12),
          "updated_at": ago(12)}
         for x in range(2, n + 1, 2)),
    )  # fmt: skip


def _busy_page(ids: dict[str, Any], today: dt.date) -> str:
    """Engagement 1: 500 messages, 20 milestones, a check-in; its student's stored launch."""
    from internships.workspace.messages.models import WorkspaceMessage
    from internships.workspace.plan.models import Milestone
    from lti_tool.extensions import db
    from lti_tool.models import Launch, utcnow

    t, now = ids["tenant"], utcnow()
    _load(
        WorkspaceMessage,
        ({"tenant_id": t, "engagement_id": 1,
          "author_kind": "student" if m % 2 else "supervisor", "author_id": 1 if m % 2 else None,
          "author_name": "Student 1" if m % 2 else "Boss 1",
          "body": f"Message {m}: an update on the survey, with a question or two.",
          "created_at": now - dt.timedelta(minutes=(MESSAGES - m) * 30)}
         for m in range(MESSAGES)),
    )  # fmt: skip
    _load(
        Milestone,
        ({"tenant_id": t, "engagement_id": 1, "title": f"Milestone {m}", "position": m,
          "due_date": today + dt.timedelta(days=3 * m - 20),
          "done_at": now if m < 8 else None}
         for m in range(MILESTONES)),
    )  # fmt: skip
    lid = secrets.token_urlsafe(32)
    db.session.add(
        Launch(
            id=lid,
            tenant_id=t,
            registration_id=ids["registration"],
            user_id=1,
            course_id=ids["course"],
            role="student",
            message={},
            expires_at=now + dt.timedelta(days=1),
        )
    )
    db.session.commit()
    return lid


def run(url: str, n: int, requests: int) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from internships.workspace.rhythm.reminders import send_due_reminders
    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.models import utcnow

    app = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=url,
        SANDBOX_ENABLED=False,
        MAIL_SMTP_HOST="smtp.bench.invalid",  # every email queued in the outbox (never sent)
    )
    today = dt.date.today()
    with app.app_context():
        upgrade(revision="heads")
        start = time.perf_counter()
        ids = _people(n)
        _work(ids, n, today)
        lid = _busy_page(ids, today)
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)
    client = app.test_client()

    def page() -> float:
        begin = time.perf_counter()
        resp = client.get("/work/engagements/1", query_string={"lid": lid})
        assert resp.status_code == 200, resp.data[:300]
        return (time.perf_counter() - begin) * 1000

    for _ in range(5):  # warm: templates, the connection pool
        page()
    page_ms = [page() for _ in range(requests)]
    with app.test_request_context("/", base_url="https://careercredit.example.edu"):
        start = time.perf_counter()
        sent = send_due_reminders(utcnow())
        tick_s = time.perf_counter() - start
        start = time.perf_counter()
        again = send_due_reminders(utcnow())
        again_s = time.perf_counter() - start
        db.engine.dispose()
    print(
        f"  page: p50 {statistics.median(page_ms):.1f} ms, p95 {percentile(page_ms, 95):.1f} ms, "
        f"max {max(page_ms):.1f} ms"
    )
    print(f"  tick: {sent} reminders in {tick_s:.1f} s; again: {again} in {again_s:.1f} s")
    assert again == 0, "a second tick sent reminders again"
    return {
        "engagement_page_p50_ms": round(statistics.median(page_ms), 1),
        "engagement_page_p95_ms": round(percentile(page_ms, 95), 1),
        "reminder_tick_s": round(tick_s, 2),
        "reminders_sent": sent,
        "second_tick_s": round(again_s, 2),
        "engagements": n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 engagements, 40 requests")
    parser.add_argument("--engagements", type=int, help="active engagements (50,000)")
    parser.add_argument("--requests", type=int, help="engagement page requests (200)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    n = args.engagements or (10_000 if args.quick else 50_000)
    requests = args.requests or (40 if args.quick else 200)
    print(f"{args.db}: {n} active engagements, {requests} page requests", flush=True)
    if args.db == "postgresql":
        with postgres_or_none() as url:
            if url is None:
                sys.exit(1)
            result = run(url.replace("postgresql://", "postgresql+psycopg://"), n, requests)
    else:
        with tempfile.TemporaryDirectory(prefix="cc-bench-workspace-") as tmp:
            result = run(f"sqlite:///{tmp}/bench.db", n, requests)
    for key, target in TARGETS.items():
        verdict = "ok" if result[key] <= target else "MISSED"
        print(f"  {key}: {result[key]} (target {target}) {verdict}")
    print(json.dumps({key: result[key] for key in TARGETS}))


if __name__ == "__main__":
    main()
