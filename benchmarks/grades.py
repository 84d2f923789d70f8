#!/usr/bin/env python
"""Grade passback benchmark: bulk-award 10,000 students, then drain the outbox into the sandbox
LMS's AGS with 20% of score posts failing transiently and 8 concurrent senders.

The sandbox LMS (platform, AGS endpoints, token endpoint and the tool's key set) runs under
gunicorn in a separate process; this process is the tool's worker side: it writes the awards'
outbox rows, fetches real access tokens (a JWT client assertion the sandbox verifies against the
tool's JWKS over HTTP) and posts the scores. Both share one database, PostgreSQL by default (a
fresh ``cc_bench_*`` database, dropped at the end) or SQLite (``--db sqlite``).

Printed: the bulk-award time, scores/s delivered, retries, and three counts that must be 0 --
``lost`` (newest awards whose grade the platform never stored), ``wrong`` (line item/user pairs
whose final platform result differs from the newest award; read from the platform's AGS results
endpoint) and ``extra_attempts`` (submission attempts the platform counted, plus accepted score
posts beyond one per award; from the sandbox's attempts record). The last line is one JSON object.

    .venv/bin/python benchmarks/grades.py                      # PostgreSQL, 10,000 students
    .venv/bin/python benchmarks/grades.py --db sqlite
    .venv/bin/python benchmarks/grades.py --students 2000 --enqueue many
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PROFILE_HOOKS,
    children,
    cpu_ticks,
    free_port,
    postgres_available,
    postgres_database,
    run_flask,
    stop,
)

sys.path.insert(0, str(ROOT))

COURSE_KEY = "bench-grades"
RESOURCE_ID = "career-credit-bench"
SCORE_MAXIMUM = 100.0
TARGETS = {"bulk_award_s": 5.0, "scores_per_s": 100.0}
CLK_TCK = os.sysconf("SC_CLK_TCK")
RESULT_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
RESULTS_MEDIA = "application/vnd.ims.lis.v2.resultcontainer+json"


# ---------------------------------------------------------------------------------------------
# Processes and databases
# ---------------------------------------------------------------------------------------------


def _postgres_backends(dbname: str) -> list[int]:
    """PIDs of the PostgreSQL backends serving ``dbname`` (visible when the server is local)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith("postgres:") and f" {dbname} " in cmdline:
            pids.append(int(proc.name))
    return pids


def tool_env(database_url: str, instance: Path, base_url: str) -> dict[str, str]:
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
            "CAREER_CREDIT_SANDBOX_ENABLED": "true",
            "CAREER_CREDIT_SANDBOX_TOOL_URL": base_url,
            "CAREER_CREDIT_SANDBOX_PLATFORM_URL": base_url,
            # The sandbox process must not deliver the outbox itself: this process does.
            "CAREER_CREDIT_JOB_RUNNER": "off",
            # The stand-in LMS pings no pooled connection before use, however long it sat
            # idle (the tool side keeps its default): its own per-request cost is not what is
            # measured.
            "CAREER_CREDIT_DATABASE_PING_AFTER_IDLE_S": "86400",
            "SECRET_KEY": secrets.token_hex(32),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    log: Path
    workers: list[int] = field(default_factory=list)

    def cpu(self) -> int:
        return sum(cpu_ticks(pid) for pid in self.workers)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def sandbox_server(
    env: dict[str, str],
    port: int,
    workdir: Path,
    workers: int,
    threads: int,
    profile: Path | None = None,
) -> Iterator[Server]:
    """The sandbox LMS (and the tool's /lti/jwks, which the sandbox fetches) under gunicorn."""
    import requests

    log = workdir / "sandbox-gunicorn.log"
    worker_args = ["-w", str(workers)]
    if profile is not None:
        conf = workdir / "gunicorn-profile.py"
        conf.write_text(PROFILE_HOOKS.format(out=str(profile / "sandbox")))
        worker_args += ["-c", str(conf)]
    elif threads > 1:
        worker_args += ["-k", "gthread", "--threads", str(threads)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *worker_args,
                "-b",
                f"127.0.0.1:{port}",
                "--backlog",
                "256",
                "--error-logfile",
                "-",
                "lti_tool:create_app()",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(proc, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer in 60 s:\n{server.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                ok = requests.get(f"http://127.0.0.1:{port}/sandbox/faults", timeout=5).ok
                if ok and len(children(proc.pid)) >= workers:
                    break
            time.sleep(0.2)
        server.workers = children(proc.pid)
        yield server
    finally:
        stop(proc)


@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[tuple[str, str | None]]:
    """A fresh database URL (and the PostgreSQL database name), removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir}/grades.db", None
        return
    with postgres_database(keep=bool(os.environ.get("BENCH_KEEP_DB"))) as (url, name):
        yield url, name


# ---------------------------------------------------------------------------------------------
# Setup: a course with N students on both sides, and its line item
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    tenant_id: int
    registration_id: int
    course_id: int  # the tool's course
    lineitem: str
    students: int
    base_url: str
    faculty_id: int


def student_sub(n: int) -> str:
    return f"bench-student-{n:05d}"


def first_score(n: int) -> float:
    """The bulk award's score of student ``n`` (varied, so a mixed-up result shows)."""
    return float(60 + n % 41)


def correction_score(n: int) -> float:
    return float(first_score(n) - 7)


def setup_course(app: Any, students: int, base_url: str) -> Setup:
    """Enrol ``students`` learners in a sandbox course and in the tool's copy of it (set-based
    inserts; not timed), and find or create the credit line item over AGS."""
    from sqlalchemy import insert, select

    from lti_tool.extensions import db
    from lti_tool.lti import ags
    from lti_tool.models import Course, Enrolment, Registration, User
    from lti_tool.sandbox.models import (
        SandboxCourse,
        SandboxEnrolment,
        SandboxPerson,
        SandboxResourceLink,
    )
    from lti_tool.sandbox.seed import CLIENT_ID, TERM, stable_id

    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == base_url, Registration.client_id == CLIENT_ID
            )
        )
        if reg is None:
            raise RuntimeError("the sandbox registration is missing (flask sandbox seed failed?)")
        name, start, end = TERM
        course = SandboxCourse(
            key=COURSE_KEY,
            context_id=stable_id(f"course:{COURSE_KEY}"),
            label="BENCH 100",
            title="BENCH 100 Grade passback at scale",
            term_name=name,
            term_start=start,
            term_end=end,
        )
        db.session.add(course)
        db.session.add(
            SandboxResourceLink(
                resource_link_id=stable_id(f"course-navigation:{COURSE_KEY}"),
                course=course,
                kind="course_navigation",
                title="Career Credit",
            )
        )
        db.session.flush()
        first_person = (db.session.scalar(select(db.func.max(SandboxPerson.id))) or 0) + 1
        db.session.execute(
            insert(SandboxPerson),
            [
                {
                    "id": first_person + n,
                    "key": student_sub(n),
                    "user_id": student_sub(n),
                    "kind": "student",
                    "given_name": "Student",
                    "family_name": f"{n:05d}",
                    "email": f"student{n:05d}@example.edu",
                }
                for n in range(students)
            ],
        )
        db.session.execute(
            insert(SandboxEnrolment),
            [
                {
                    "course_id": course.id,
                    "person_id": first_person + n,
                    "role": "learner",
                    "status": "Active",
                }
                for n in range(students)
            ],
        )
        tool_course = Course(
            tenant_id=reg.tenant_id,
            issuer=reg.issuer,
            context_id=course.context_id,
            title=course.title,
            label=course.label,
        )
        db.session.add(tool_course)
        db.session.flush()
        first_user = (db.session.scalar(select(db.func.max(User.id))) or 0) + 1
        db.session.execute(
            insert(User),
            [
                {
                    "id": first_user + n,
                    "tenant_id": reg.tenant_id,
                    "issuer": reg.issuer,
                    "sub": student_sub(n),
                    "name": f"Student {n:05d}",
                }
                for n in range(students)
            ],
        )
        db.session.execute(
            insert(Enrolment),
            [
                {
                    "tenant_id": reg.tenant_id,
                    "course_id": tool_course.id,
                    "user_id": first_user + n,
                    "role": "student",
                }
                for n in range(students)
            ],
        )
        if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in ("sandbox_person", "lti_user"):
                db.session.execute(
                    db.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        faculty_id = _credit_work(reg.tenant_id, tool_course.id, first_user, students, reg.issuer)
        db.session.commit()
        tenant_id, registration_id, course_id = reg.tenant_id, reg.id, tool_course.id
        item = ags.find_or_create_line_item(
            registration_id,
            f"{base_url}/sandbox/api/courses/{COURSE_KEY}/line_items",
            label="Micro-internship credit",
            score_maximum=SCORE_MAXIMUM,
            resource_id=RESOURCE_ID,
            tag=ags.OWN_TAG,
        )
        db.session.rollback()
        from credit.services.policy import get_policy

        get_policy(tenant_id, course_id).lineitem_url = item.id  # as if found or created
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
    return Setup(tenant_id, registration_id, course_id, item.id, students, base_url, faculty_id)


def _credit_work(
    tenant_id: int, course_id: int, first_user: int, students: int, issuer: str
) -> int:
    """Finished work for every student, set-based: an employer and a listing, one accepted
    application and completed engagement each, and confirmed hours (student n logs 1 + n % 3
    hours); the course's policy gives one credit per hour, up to 3, percentage grading, no
    artefacts required. Returns the instructor's user id."""
    from sqlalchemy import insert, literal, select

    from credit.models import CreditPolicy
    from internships.models import Employer, Listing
    from internships.work.models import Application, Engagement, HourLog
    from lti_tool.extensions import db
    from lti_tool.models import Enrolment, User

    faculty = User(tenant_id=tenant_id, issuer=issuer, sub="bench-faculty", name="Bench Instructor")
    db.session.add(faculty)
    db.session.flush()
    db.session.add(
        Enrolment(tenant_id=tenant_id, course_id=course_id, user_id=faculty.id, role="faculty")
    )
    employer = Employer(tenant_id=tenant_id, name="Bench Employer")
    db.session.add(employer)
    db.session.flush()
    listing = Listing(
        tenant_id=tenant_id,
        employer_id=employer.id,
        title="Bench project",
        summary="Bench",
        estimated_hours=3,
        compensation_type="fixed",
        pay_amount_cents=30000,
        location_type="remote",
        status="filled",
    )
    db.session.add(listing)
    db.session.add(
        CreditPolicy(
            tenant_id=tenant_id,
            course_id=course_id,
            hours_per_credit=1,
            max_credits=3,
            require_agreement=False,
            require_evaluation=False,
            require_reflection=False,
            grading_mode="percentage",
            updated_by="benchmark",
        )
    )
    db.session.flush()
    learners = (
        select(User.id)
        .where(User.tenant_id == tenant_id, User.id >= first_user, User.id < first_user + students)
        .subquery()
    )
    db.session.execute(
        insert(Application).from_select(
            ["tenant_id", "listing_id", "student_id", "course_id", "status"],
            select(
                literal(tenant_id),
                literal(listing.id),
                learners.c.id,
                literal(course_id),
                literal("accepted"),
            ).select_from(learners),
        )
    )
    apps = (
        select(Application.id, Application.student_id)
        .where(Application.listing_id == listing.id)
        .subquery()
    )
    db.session.execute(
        insert(Engagement).from_select(
            ["tenant_id", "application_id", "listing_id", "student_id", "course_id", "status"],
            select(
                literal(tenant_id),
                apps.c.id,
                literal(listing.id),
                apps.c.student_id,
                literal(course_id),
                literal("completed"),
            ),
        )
    )
    engs = (
        select(Engagement.id, Engagement.student_id)
        .where(Engagement.listing_id == listing.id)
        .subquery()
    )
    db.session.execute(
        insert(HourLog).from_select(
            [
                "tenant_id",
                "engagement_id",
                "student_id",
                "work_date",
                "minutes",
                "description",
                "status",
            ],
            select(
                literal(tenant_id),
                engs.c.id,
                engs.c.student_id,
                literal(dt.date(2026, 9, 1)),
                60 * (1 + (engs.c.student_id - first_user) % 3),
                literal("Bench work"),
                literal("confirmed"),
            ),
        )
    )
    return int(faculty.id)


# ---------------------------------------------------------------------------------------------
# The award step (swap in credit.services.awards.bulk_award when it exists)
# ---------------------------------------------------------------------------------------------


def _award_select(setup: Setup, timestamp: dt.datetime, *, correction: bool, every: int) -> Any:
    """The enrolled learners (every ``every``-th for a correction) with their score, as the
    labelled columns ``ags.enqueue_scores_from_select`` takes."""
    from sqlalchemy import Float, Integer, cast, func, literal, select

    from lti_tool.models import Enrolment, User

    # student n's sub ends in n: the score is computed from it in SQL, as first_score() does
    number = cast(func.substr(User.sub, len("bench-student-") + 1), Integer)
    score = 60 + number % 41 - (7 if correction else 0)
    query = (
        select(
            literal(setup.tenant_id).label("tenant_id"),
            literal(setup.registration_id).label("registration_id"),
            literal(setup.lineitem).label("lineitem"),
            User.sub.label("user_id"),
            cast(score, Float).label("score_given"),
            literal(SCORE_MAXIMUM).label("score_maximum"),
            literal(timestamp).label("timestamp"),
            literal("Credit corrected" if correction else "Credit awarded").label("comment"),
            (literal("bench-award:") + User.sub).label("source"),
        )
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(
            Enrolment.tenant_id == setup.tenant_id,
            Enrolment.course_id == setup.course_id,
            Enrolment.role == "student",
        )
    )
    if correction:
        query = query.where(number % every == 0)
    return query


def bulk_award_step(
    app: Any, setup: Setup, *, how: str, correction: bool = False, every: int = 10
) -> tuple[dt.datetime, int]:
    """Award credit to every enrolled learner in one set-based step and commit: the award's
    score rows and their outbox rows. Until ``credit.services.awards.bulk_award`` exists this
    writes the outbox rows only (``how="select"``: one INSERT ... SELECT; ``how="many"``: one
    SELECT, then one multi-row INSERT per 1,000). Returns the awards' timestamp and count."""
    from sqlalchemy import func, select

    from lti_tool.extensions import db
    from lti_tool.jobs import OutboxMessage
    from lti_tool.lti import ags

    if how == "credit":
        return _credit_award_step(app, setup, correction=correction, every=every)
    with app.app_context():
        # The award's own time, from the database (every retry re-sends it unchanged).
        timestamp = db.session.scalar(select(func.now()))
        if timestamp.tzinfo is not None:
            timestamp = timestamp.astimezone(dt.UTC).replace(tzinfo=None)
        query = _award_select(setup, timestamp, correction=correction, every=every)
        before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        if how == "select":
            ags.enqueue_scores_from_select(query)
        else:
            rows = db.session.execute(query).mappings().all()
            ags.enqueue_scores([ags.Score(**row) for row in rows])
        db.session.commit()
        after = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        db.session.rollback()
    return timestamp, int(after or 0) - int(before or 0)


def faculty_context(setup: Setup) -> Any:
    """The instructor's launch context, as a launch into the course would make it."""
    from lti_tool.context import LaunchContext

    return LaunchContext(
        launch_id="bench-launch",
        tenant_id=setup.tenant_id,
        tenant_name="Sandbox University",
        time_zone="UTC",
        registration_id=setup.registration_id,
        user_id=setup.faculty_id,
        user_name="Bench Instructor",
        user_email="",
        course_id=setup.course_id,
        course_title="BENCH 100",
        role="faculty",
        read_only=False,
        is_tool_admin=False,
        message_type="LtiResourceLinkRequest",
        nrps_url=None,
        ags_lineitems_url=None,
        ags_lineitem_url=setup.lineitem,
        ags_scopes=(),
        deep_linking=None,
        placement=None,
        expires_at=dt.datetime(2100, 1, 1),
    )


def _credit_award_step(
    app: Any, setup: Setup, *, correction: bool, every: int
) -> tuple[dt.datetime, int]:
    """The real thing: ``credit.services.awards.bulk_award`` for everyone ready (credits and
    a 90% grade each; awards, audit entries, notifications and outbox rows in a few set-based
    statements), or, for corrections, ``award_credit`` superseding every n-th student's award
    (one decision at a time, as an instructor makes them)."""
    from sqlalchemy import select

    from credit.models import CreditAward
    from credit.services import awards
    from lti_tool.extensions import db
    from lti_tool.models import Enrolment, utcnow

    ctx = faculty_context(setup)
    with app.app_context():
        if not correction:
            # The ids the confirmation page listed (the form posts them back).
            ids = list(
                db.session.scalars(
                    select(Enrolment.user_id).where(
                        Enrolment.course_id == setup.course_id, Enrolment.role == "student"
                    )
                )
            )
            made = awards.bulk_award(
                ctx,
                student_ids=ids,
                score=90.0,
                idempotency_key=awards.new_idempotency_key(),
                lineitem_url=setup.lineitem,
            )
            db.session.commit()
            return (made[0].created_at if made else utcnow()), len(made)
        current = db.session.execute(
            select(CreditAward.id, CreditAward.student_id, CreditAward.credits).where(
                CreditAward.course_id == setup.course_id,
                CreditAward.superseded_at.is_(None),
                CreditAward.student_id % every == 0,
            )
        ).all()
        count = 0
        for award_id, student_id, credits in current:
            awards.award_credit(
                ctx,
                student_id,
                awards.AwardInput(credits, 80.0, "Re-marked", awards.new_idempotency_key()),
                lineitem_url=setup.lineitem,
                supersedes_id=award_id,
            )
            db.session.commit()
            count += 1
        return utcnow(), count


# ---------------------------------------------------------------------------------------------
# Drain and verify
# ---------------------------------------------------------------------------------------------


def set_faults(base_url: str, **settings: Any) -> dict[str, Any]:
    import requests

    resp = requests.post(f"{base_url}/sandbox/faults", json=settings, timeout=10)
    resp.raise_for_status()
    return dict(resp.json())


def outbox_counts(app: Any) -> dict[str, int]:
    from lti_tool import jobs
    from lti_tool.extensions import db

    with app.app_context():
        counts = jobs.status_counts()
        db.session.rollback()
    return counts


@dataclass
class Verdict:
    lost: int
    wrong: int
    extra_attempts: int
    results: int
    samples: list[str]


def _newest_awards(app: Any, setup: Setup) -> dict[str, tuple[float, str, str, bool]]:
    """Each awarded student's newest award as the platform should hold it: score, timestamp,
    comment, and whether it corrects an earlier one."""
    from sqlalchemy import select

    from credit.models import CreditAward
    from lti_tool.extensions import db
    from lti_tool.lti import ags
    from lti_tool.models import User

    with app.app_context():
        rows = db.session.execute(
            select(User.sub, CreditAward)
            .join(User, User.id == CreditAward.student_id)
            .where(CreditAward.course_id == setup.course_id, CreditAward.superseded_at.is_(None))
        ).all()
        newest = {
            sub: (
                a.score_given,
                ags.iso_timestamp(a.score_timestamp),
                a.comment,
                a.supersedes_id is not None,
            )
            for sub, a in rows
        }
        db.session.rollback()
    return newest


def verify(
    app: Any,
    setup: Setup,
    first_at: dt.datetime,
    fixed_at: dt.datetime | None,
    every: int,
    how: str = "select",
) -> Verdict:
    """Compare the platform's results (its AGS results endpoint) and attempts record with the
    newest award of each student."""
    import requests

    from lti_tool.extensions import db
    from lti_tool.lti import ags, services_client
    from lti_tool.models import Registration

    with app.app_context():
        reg = db.session.get(Registration, setup.registration_id)
        assert reg is not None
        resp = services_client.request(
            reg,
            "GET",
            setup.lineitem.rstrip("/") + "/results",
            (RESULT_SCOPE,),
            RESULTS_MEDIA,
            timeout=300,
        )
        db.session.rollback()
    resp.raise_for_status()
    results = {r["userId"]: r for r in resp.json()}
    attempts_url = f"{setup.base_url}/sandbox/api/courses/{COURSE_KEY}/attempts.json"
    report = requests.get(attempts_url, timeout=300)
    report.raise_for_status()
    attempts = {r["user_id"]: r for r in report.json()["results"]}

    newest = _newest_awards(app, setup) if how == "credit" else {}
    lost = wrong = extra = 0
    samples: list[str] = []
    for n in range(setup.students):
        user = student_sub(n)
        corrected = fixed_at is not None and n % every == 0
        if how == "credit":
            if user not in newest:
                continue  # not awarded: nothing is owed to the platform
            score, stamp, comment, corrected = newest[user]
        else:
            score = correction_score(n) if corrected else first_score(n)
            stamp = ags.iso_timestamp(fixed_at if corrected and fixed_at else first_at)
            comment = "Credit corrected" if corrected else "Credit awarded"
        got = results.get(user)
        if got is None or dt.datetime.fromisoformat(got["timestamp"]) < dt.datetime.fromisoformat(
            stamp
        ):
            lost += 1
            if len(samples) < 5:
                samples.append(f"lost {user}: platform has {got}")
        if got is not None and (
            got.get("resultScore") != score
            or got.get("resultMaximum") != SCORE_MAXIMUM
            or got.get("timestamp") != stamp
            or got.get("comment") != comment
        ):
            wrong += 1
            if len(samples) < 5:
                samples.append(f"wrong {user}: want {score} at {stamp}, platform has {got}")
        record = attempts.get(user)
        if record is not None:
            awards = 2 if corrected else 1
            extra += int(record["attempts"]) + max(0, int(record["score_posts"]) - awards)
    extra += sum(1 for user in results if not user.startswith("bench-student-"))
    return Verdict(lost, wrong, extra, len(results), samples)


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with database(args.db, workdir) as (database_url, dbname):
        env = tool_env(database_url, workdir / "instance", base_url)
        run_flask(ROOT, env, "db", "upgrade", "heads")
        run_flask(ROOT, env, "sandbox", "seed")
        for key in ("CAREER_CREDIT_INSTANCE", "SECRET_KEY"):
            os.environ[key] = env[key]
        from lti_tool import create_app, jobs

        app = create_app(
            None,
            CAREER_CREDIT_ENV="development",  # the benchmark's own in-process app
            SQLALCHEMY_DATABASE_URI=database_url,
            SANDBOX_TOOL_URL=base_url,
            SANDBOX_PLATFORM_URL=base_url,
            JOB_RUNNER="off",
        )
        with sandbox_server(env, port, workdir, args.workers, args.threads, args.profile) as server:
            healthz_ms = calibrate(server, base_url)
            print(
                f"yardstick: GET /healthz costs {healthz_ms:.2f} ms of sandbox worker CPU",
                flush=True,
            )
            started = time.monotonic()
            setup = setup_course(app, args.students, base_url)
            print(
                f"setup: {args.students} students enrolled on both sides, line item "
                f"{setup.lineitem} ({time.monotonic() - started:.1f} s)",
                flush=True,
            )

            started = time.monotonic()
            first_at, enqueued = bulk_award_step(app, setup, how=args.enqueue)
            bulk_award_s = time.monotonic() - started
            print(
                f"bulk award ({args.enqueue}): {enqueued} awards with their outbox rows in "
                f"{bulk_award_s:.2f} s",
                flush=True,
            )

            if args.award_only:
                return {"bulk_award_s": round(bulk_award_s, 3), "enqueue": args.enqueue}
            set_faults(
                base_url,
                reset=True,
                fail_rate=args.fail_rate,
                score_429_retry_after=args.retry_after,
            )
            policy = jobs.RetryPolicy(base_s=args.backoff, cap_s=args.backoff_cap, max_attempts=25)
            stats_box: list[jobs.DrainStats] = []
            errors: list[BaseException] = []

            def drain() -> None:
                try:
                    stats_box.append(
                        jobs.drain(
                            app,
                            senders=args.senders,
                            batch=args.batch,
                            policy=policy,
                            wait_s=args.wait,
                        )
                    )
                except BaseException as exc:
                    errors.append(exc)

            tool_cpu0 = os.times()
            sandbox_cpu0 = server.cpu()
            backends = _postgres_backends(dbname) if dbname else []
            pg_cpu0 = sum(cpu_ticks(p) for p in backends)
            started = time.monotonic()
            thread = threading.Thread(target=drain, name="bench-drain")
            if args.profile is not None:
                profile_sender_threads(args.profile)
            thread.start()
            fixed_at = None
            corrections = 0
            if args.correct_every:
                # Corrections arrive while delivery runs: once about a third of the scores are
                # sent, every n-th student gets a newer award (pending ones must coalesce,
                # sent ones be replaced by the newer timestamp).
                while thread.is_alive():
                    if outbox_counts(app)["sent"] >= enqueued // 3:
                        break
                    time.sleep(0.5)
                fixed_at, corrections = bulk_award_step(
                    app, setup, how=args.enqueue, correction=True, every=args.correct_every
                )
            thread.join()
            if not errors and outbox_counts(app)["pending"]:
                # Corrections still queued when the first drain ran out of due rows: deliver
                # them too (a real runner keeps going; the benchmark must not count them lost).
                drain()
            drain_s = time.monotonic() - started
            tool_cpu1 = os.times()
            sandbox_cpu1 = server.cpu()
            pg_cpu1 = sum(cpu_ticks(p) for p in backends)
            if errors:
                raise errors[0]
            stats = stats_box[0]
            for more in stats_box[1:]:
                for name, value in vars(more).items():
                    if isinstance(value, int):
                        setattr(stats, name, getattr(stats, name) + value)
            counts = outbox_counts(app)
            faults = set_faults(base_url, reset=False)
            verdict = verify(app, setup, first_at, fixed_at, args.correct_every, args.enqueue)
            if server.proc.poll() is not None:
                raise RuntimeError(f"the sandbox died during the run:\n{server.log_tail()}")

    posts = stats.claimed
    tool_cpu = (tool_cpu1.user + tool_cpu1.system) - (tool_cpu0.user + tool_cpu0.system)
    print(
        f"drain: {stats.sent} scores sent in {drain_s:.2f} s with {args.senders} senders "
        f"({stats.sent / drain_s:.1f} scores/s); {posts} posts, {stats.retried} retried "
        f"(sandbox injected {faults['injected_500']}x 500 and {faults['injected_429']}x 429 "
        f"with Retry-After {args.retry_after} s), {stats.superseded} superseded, "
        f"{stats.failed} failed, {stats.lost_lease} lost leases",
        flush=True,
    )
    print(f"outbox: {counts}; corrections during the drain: {corrections}")
    cpu = (
        f"CPU per accepted post: tool {tool_cpu * 1000 / max(stats.sent, 1):.2f} ms, "
        f"sandbox {(sandbox_cpu1 - sandbox_cpu0) * 1000 / CLK_TCK / max(stats.sent, 1):.2f} ms"
    )
    if backends:
        cpu += f", PostgreSQL {(pg_cpu1 - pg_cpu0) * 1000 / CLK_TCK / max(stats.sent, 1):.2f} ms"
    print(f"{cpu}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"platform: {verdict.results} results; lost {verdict.lost}, wrong {verdict.wrong}, "
        f"extra attempts {verdict.extra_attempts}"
    )
    for sample in verdict.samples:
        print(f"  {sample}")
    summary = {
        "bulk_award_s": round(bulk_award_s, 3),
        "scores_per_s": round(stats.sent / drain_s, 1),
        "retries": stats.retried,
        "lost": verdict.lost,
        "wrong": verdict.wrong,
        "extra_attempts": verdict.extra_attempts,
    }
    misses = [k for k, limit in TARGETS.items() if not _meets(k, summary[k], limit)]
    misses += [k for k in ("lost", "wrong", "extra_attempts") if summary[k]]
    print(
        f"targets: bulk award <= {TARGETS['bulk_award_s']} s, delivery >= "
        f"{TARGETS['scores_per_s']} scores/s, lost = wrong = extra_attempts = 0: "
        + ("met" if not misses else f"MISSED {', '.join(misses)}")
    )
    return summary


def calibrate(server: Server, base_url: str, count: int = 400) -> float:
    """Sandbox worker CPU per plain ``GET /healthz`` over kept-alive connections: what any
    request costs on the machine right now, to read the per-score figures against."""
    import requests

    def ping(n: int) -> None:
        with requests.Session() as http:
            for _ in range(n):
                http.get(f"{base_url}/healthz", timeout=10).raise_for_status()

    ping(50)
    before = server.cpu()
    threads = [threading.Thread(target=ping, args=(count // 4,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (server.cpu() - before) * 1000 / CLK_TCK / count


def profile_sender_threads(directory: Path) -> None:
    """Run every sender thread started from now on under cProfile (CPU clock), one .pstats
    file per thread."""
    import cProfile

    original = threading.Thread.run

    def run(self: threading.Thread) -> None:
        if not self.name.startswith(("outbox-sender", "bench-drain")):
            original(self)
            return
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()
            profile.dump_stats(str(directory / f"tool-{self.name}.pstats"))

    threading.Thread.run = run  # type: ignore[method-assign]


def print_profile(directory: Path, prefix: str, top: int = 35) -> None:
    import pstats

    files = sorted(str(p) for p in directory.glob(f"{prefix}-*.pstats"))
    if not files:
        print(f"no {prefix} profile written")
        return
    print(f"\n--- {prefix}: CPU by function (cProfile, {len(files)} files) ---")
    stats = pstats.Stats(*files, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def _meets(key: str, value: float, limit: float) -> bool:
    return value <= limit if key == "bulk_award_s" else value >= limit


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=8, help="concurrent sender threads")
    parser.add_argument("--batch", type=int, default=10, help="rows claimed per lease")
    parser.add_argument(
        "--enqueue",
        choices=("credit", "select", "many"),
        default="credit",
        help="credit: the credit module's bulk award (awards, audit, notifications and "
        "scores set-based); select: ags.enqueue_scores_from_select (INSERT ... SELECT); "
        "many: ags.enqueue_scores (SELECT, then a multi-row INSERT per 1,000)",
    )
    parser.add_argument("--fail-rate", type=float, default=0.2, help="share of posts refused")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After of a 429 (s)")
    parser.add_argument("--backoff", type=float, default=0.25, help="retry backoff base (s)")
    parser.add_argument("--backoff-cap", type=float, default=4.0, help="retry backoff cap (s)")
    parser.add_argument(
        "--correct-every",
        type=int,
        default=100,
        help="during the drain, a newer award for every n-th student (0: none)",
    )
    parser.add_argument("--workers", type=int, default=2, help="sandbox gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per sandbox worker")
    parser.add_argument("--wait", type=float, default=600.0, help="longest drain (s)")
    parser.add_argument(
        "--award-only", action="store_true", help="time the bulk award, skip the delivery"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="directory for cProfile files of the senders and the sandbox's (sync) workers",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.db == "postgresql":
        reason = postgres_available()
        if reason:
            print(f"PostgreSQL unavailable: {reason}; use --db sqlite", file=sys.stderr)
            return 2

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    workdir = Path(tempfile.mkdtemp(prefix="cc-bench-grades-"))
    print(
        f"grades benchmark: {args.db}, {args.students} students, {args.senders} senders, "
        f"{args.fail_rate:.0%} of posts failing (500, or 429 with Retry-After "
        f"{args.retry_after} s), sandbox under gunicorn ({args.workers} workers x "
        f"{args.threads} threads); load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    try:
        summary = run(args, workdir)
        if args.profile is not None:
            print_profile(args.profile, "tool")
            print_profile(args.profile, "sandbox")
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
