#!/usr/bin/env python
"""Listings benchmark: board search, listing detail and "For you" at 50,000 listings.

For SQLite (a file in a temporary directory) and PostgreSQL (a fresh ``cc_bench_*`` database,
dropped at the end; skipped with the reason printed when no server answers): upgrade through
the migrations, then insert, set-based (multi-row INSERTs; COPY on PostgreSQL), one tenant with

- 50,000 listings (search words and facets computed by the same functions the services use;
  about one in nine closed, one in six with eligibility rules, some with a work window);
- 20,000 students with profiles (skills, interests, career goals, weekly availability,
  program, class year, work authorisation; one in ten left empty);
- 200,000 applications (about ten a student, every status), the engagements of the accepted
  ones (some students at the concurrent-engagement cap) and supervisor evaluations with
  competency ratings for the completed ones (outcome gaps);

and time, in a warmed-up process, the service calls a page makes:

- search: ``search_board`` with one or two words and two filters (a skill or a competency, and
  paid-only, remote or an hours range), "Best match", page 1 (or 2), for a course with five
  pinned listings (as the board page asks);
- detail: ``get_listing`` + the Markdown rendering of its description;
- recommend: ``recommend`` (the "For you" list) for a random student's launch context in
  that course.

The last line is one JSON object.

    nice -n 10 .venv/bin/python benchmarks/listings.py          # full size, 300 calls each
    nice -n 10 .venv/bin/python benchmarks/listings.py --quick  # a tenth of the size, 100 calls
    .venv/bin/python benchmarks/listings.py --scale 5 --only postgresql  # 250,000 listings
    ... --only sqlite|postgresql                                # one engine
    ... --keep                                                  # keep the databases (EXPLAIN)
    ... --only postgresql --reuse cc_bench_1a2b3c4d             # time a kept database again
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PG_ADMIN_URL, percentile, postgres_or_none  # noqa: E402

ISSUER = "https://lms.bench.example"  # people and courses are per LMS (tenant, issuer, id)
TARGETS = {"search_p95_ms": 50.0, "recommend_p95_ms": 100.0}
BASE_WORDS = (
    "analysis data report survey design website audit campaign research budget model video "
    "podcast brand social content inventory logistics health clinic parks tutoring robotics "
    "testing documentation grant nonprofit dashboard customer interviews spreadsheet map "
    "sustainability training onboarding events finance pricing marketing accessibility"
)
PROGRAMS = (
    "Business Administration", "Computer Science", "Economics", "Nursing", "Public Health",
    "Marketing", "Journalism", "Mechanical Engineering", "Biology", "Psychology",
    "Graphic Design", "Environmental Science", "Accounting", "Sociology", "Mathematics",
)  # fmt: skip
CLASS_YEARS = ("First year", "Second year", "Third year", "Fourth year", "Graduate")
AUTHORIZATIONS = ("US citizen/permanent resident",) * 8 + (
    "F-1 (CPT needed for credit-bearing off-campus work)",
    "Other",
)
TODAY = dt.date.today()  # recommendations use the tenant's real date (UTC here)


class Words:
    """20,000 words with Zipf weights 1/(rank + 50): the 50-rank offset stands for the function
    words (stop words) a real text starts with, so the commonest searchable word is in about a
    fifth of the listings and a typical one in a few percent, as in real postings."""

    def __init__(self, rng: random.Random) -> None:
        from internships.vocabulary import skills

        words: list[str] = []
        seen: set[str] = set()
        for text in [BASE_WORDS, *(s.label for s in skills().values())]:
            for word in text.lower().replace("(", " ").replace(")", " ").split():
                if word.isalpha() and word not in seen:
                    words.append(word)
                    seen.add(word)
        letters = "bcdfghjklmnpqrstvwxz"
        n = 0
        while len(words) < 20_000:
            a, b, c = n % 20, n // 20 % 20, n // 400 % 20
            words.append(f"{letters[a]}a{letters[b]}o{letters[c]}e{n // 8000 or ''}")
            n += 1
        self.words = words
        self.cum = list(itertools.accumulate(1 / (rank + 50) for rank in range(1, 20_001)))
        self.rng = rng
        self.np = numpy.random.default_rng(rng.randrange(2**32))

    def texts(self, n: int, k: int) -> list[str]:
        """``n`` texts of ``k`` words each (drawn at once: the generation's hot spot)."""
        weights = numpy.diff(numpy.asarray([0.0, *self.cum]))
        drawn = self.np.choice(len(self.words), size=(n, k), p=weights / weights.sum())
        words = self.words
        return [" ".join([words[i] for i in row]) for row in drawn.tolist()]

    def pick(self, k: int, top: int | None = None) -> list[str]:
        if top is None:
            return self.rng.choices(self.words, cum_weights=self.cum, k=k)
        return self.rng.choices(self.words[:top], cum_weights=self.cum[:top], k=k)


def bulk_insert(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows of one model: COPY on PostgreSQL, the DB-API's executemany on SQLite.
    Every row has the same keys, in the same order; columns a row leaves out take the
    model's defaults."""
    from lti_tool.extensions import db

    if not rows:
        return
    table = model.__table__
    # Fill in the Python-side defaults (neither path below runs them).
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.default is not None and c.name not in rows[0] and not c.primary_key
    }
    filled = {k: (v(None) if callable(v) else v) for k, v in defaults.items()}
    columns = list(rows[0]) + list(filled)
    raw = db.session.connection().connection.dbapi_connection
    assert raw is not None
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql":
        # The DB-API's executemany with SQLAlchemy's own value conversions (dates, JSON).
        convert = [table.c[name].type.bind_processor(dialect) for name in columns]
        sql = (  # names of our own tables and columns, values bound
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        fixed = [filled[name] for name in columns[len(rows[0]) :]]
        params = (
            [f(v) if f else v for f, v in zip(convert, [*row.values(), *fixed], strict=True)]
            for row in rows
        )
        raw.cursor().executemany(sql, list(params))
        return
    json_columns = {c.name for c in table.columns if c.type.__class__.__name__ == "JSON"}
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[attr-defined]
        buf = io.StringIO()
        for n, row in enumerate(rows, 1):
            values = []
            for name in columns:
                value = row[name] if name in row else filled[name]
                if name in json_columns:
                    value = json.dumps(value)
                if value is None:
                    values.append("\\N")
                else:
                    values.append(
                        str(value)
                        .replace("\\", "\\\\")
                        .replace("\t", "\\t")
                        .replace("\n", "\\n")
                        .replace("\r", "\\r")
                    )
            buf.write("\t".join(values) + "\n")
            if n % 5000 == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


def populate_listings(
    tenant_id: int, employer_ids: list[int], count: int, vocab: Words, rng: random.Random
) -> None:
    from internships.models import Listing, ListingFacet
    from internships.services.search import words
    from internships.vocabulary import COMPETENCIES, skill_label, skills

    skill_ids = list(skills())
    # The generated words are already lower-case letters: the stored search words of a listing
    # are its text plus the words of its skill labels and competencies (as ``words`` makes).
    label_words = {s: words(skill_label(s)) for s in skill_ids}
    competency_words = {c: words(c) for c in COMPETENCIES}
    titles, bodies = vocab.texts(count, 4), vocab.texts(count, 60)
    rows: list[dict[str, Any]] = []
    facets: list[dict[str, Any]] = []
    for n in range(1, count + 1):
        title, body = titles[n - 1].capitalize(), bodies[n - 1]
        chosen = rng.sample(skill_ids, rng.randint(2, 4))
        comps = rng.sample(COMPETENCIES, 2)
        hours = rng.randint(5, 40)
        kind = rng.choice(("fixed", "fixed", "hourly", "unpaid"))
        pay = (
            None
            if kind == "unpaid"
            else rng.randint(12, 40) * (100 if kind == "hourly" else 100 * hours)
        )
        rule = rng.random()
        eligibility: dict[str, Any] = (
            {"programs": rng.sample(PROGRAMS, 3)} if rule < 0.08
            else {"class_years": rng.sample(CLASS_YEARS, 2)} if rule < 0.13
            else {"work_authorization": "US work authorisation"} if rule < 0.17
            else {}
        )  # fmt: skip
        start = TODAY + dt.timedelta(days=rng.randint(10, 70)) if rng.random() < 0.4 else None
        deadline = TODAY + dt.timedelta(days=rng.randint(-10, 60)) if rng.random() < 0.95 else None
        rows.append({
            "id": n, "tenant_id": tenant_id, "employer_id": rng.choice(employer_ids),
            "title": title, "summary": body[:200], "description_md": f"## Plan\n\n{body}",
            "deliverables": "A report.", "skills": chosen, "tags": [], "competencies": comps,
            "estimated_hours": hours, "compensation_type": kind, "pay_amount_cents": pay,
            "currency": "USD", "effective_rate_cents": 0 if pay is None else
            (pay if kind == "hourly" else pay // hours),
            "location_type": rng.choice(("remote", "hybrid", "onsite")), "location": "Campus",
            "openings": 1, "eligibility": eligibility,
            "status": rng.choice(("open",) * 8 + ("closed",)),
            "application_deadline": deadline, "work_start": start,
            "work_end": start + dt.timedelta(days=rng.randint(7, 60)) if start else None,
            "source": "manual", "external_id": None, "approval_note": "", "created_by": "bench",
            "created_at": dt.datetime(2026, 1, 1) + dt.timedelta(minutes=n),
            "search_title": title.lower(),
            "search_body": " ".join([body, *(label_words[s] for s in chosen),
                                     *(competency_words[c] for c in comps)]),
        })  # fmt: skip
        facets += [{"listing_id": n, "tenant_id": tenant_id, "kind": "skill", "value": s}
                   for s in chosen]  # fmt: skip
        facets += [{"listing_id": n, "tenant_id": tenant_id, "kind": "competency", "value": c}
                   for c in comps]  # fmt: skip
    bulk_insert(Listing, rows)
    bulk_insert(ListingFacet, facets)


def populate_students(tenant_id: int, count: int, vocab: Words, rng: random.Random) -> None:
    from internships.profile.models import StudentProfile
    from internships.vocabulary import skills
    from lti_tool.models import User

    skill_ids = list(skills())
    users, profiles = [], []
    for n in range(1, count + 1):
        users.append({"id": n, "tenant_id": tenant_id, "issuer": ISSUER, "sub": f"student-{n}",
                      "name": f"Student {n}", "email": f"s{n}@bench.example"})  # fmt: skip
        empty = rng.random() < 0.1
        profiles.append({
            "id": n, "tenant_id": tenant_id, "user_id": n,
            "program": "" if empty else rng.choice(PROGRAMS),
            "class_year": "" if empty else rng.choice(CLASS_YEARS),
            "expected_graduation": None,
            "work_authorization": "" if empty else rng.choice(AUTHORIZATIONS),
            "skills": [] if empty else rng.sample(skill_ids, rng.randint(1, 8)),
            "interests": "" if empty else " ".join(vocab.pick(rng.randint(2, 8), top=3000)),
            "career_goals": "" if empty else "I want to work in "
            + " ".join(vocab.pick(rng.randint(2, 6), top=3000)),
            "weekly_availability_hours": None if empty else rng.choice((None, 5, 8, 10, 15, 20)),
        })  # fmt: skip
    bulk_insert(User, users)
    bulk_insert(StudentProfile, profiles)


def populate_applications(
    tenant_id: int, students: int, listings: int, count: int, rng: random.Random
) -> None:
    from internships.vocabulary import COMPETENCIES
    from internships.work.models import (
        Application,
        CompetencyRating,
        Engagement,
        SupervisorEvaluation,
    )

    per_student = count // students
    applications, engagements, evaluations, ratings = [], [], [], []
    app_id = 0
    for student in range(1, students + 1):
        active = rng.choices((0, 1, 2), (75, 20, 5))[0]  # 5 % at the default cap of 2
        completed = rng.choices((0, 1, 2), (80, 15, 5))[0]
        chosen = rng.sample(range(1, listings + 1), per_student)
        for n, listing in enumerate(chosen):
            app_id += 1
            if n < active + completed:
                status = "accepted"
            else:
                status = rng.choice(("submitted", "submitted", "shortlisted", "declined",
                                     "withdrawn"))  # fmt: skip
            applications.append({
                "id": app_id, "tenant_id": tenant_id, "listing_id": listing,
                "student_id": student, "statement": "I would like to help.",
                "availability": "Evenings", "status": status,
            })  # fmt: skip
            if status != "accepted":
                continue
            done = n >= active
            engagements.append({
                "id": app_id, "tenant_id": tenant_id, "application_id": app_id,
                "listing_id": listing, "student_id": student,
                "status": "completed" if done else "active",
                "competencies": ["Teamwork", "Communication"], "planned_hours": 20,
                "weekly_hours": rng.choice((3, 5, 8)),
            })  # fmt: skip
            if done:
                evaluations.append({"id": app_id, "tenant_id": tenant_id,
                                    "engagement_id": app_id, "supervisor_name": "Sam"})  # fmt: skip
                ratings += [{"tenant_id": tenant_id, "evaluation_id": app_id, "competency": c,
                             "level": rng.randint(1, 4)}
                            for c in rng.sample(COMPETENCIES, 3)]  # fmt: skip
    bulk_insert(Application, applications)
    bulk_insert(Engagement, engagements)
    bulk_insert(SupervisorEvaluation, evaluations)
    bulk_insert(CompetencyRating, ratings)


def launch_context(tenant_id: int, user_id: int, course_id: int | None = None) -> Any:
    from lti_tool.context import LaunchContext

    return LaunchContext(
        launch_id="bench", tenant_id=tenant_id, tenant_name="Bench University", time_zone="UTC",
        registration_id=0, user_id=user_id, user_name=f"Student {user_id}",
        user_email=f"s{user_id}@bench.example", course_id=course_id, course_title="",
        role="student", read_only=False, is_tool_admin=False,
        message_type="LtiResourceLinkRequest", nrps_url=None, ags_lineitems_url=None,
        ags_lineitem_url=None, ags_scopes=(), deep_linking=None, placement=None,
        expires_at=dt.datetime(2100, 1, 1),
    )  # fmt: skip


def backend_cpu_seconds(pid: int | None) -> float:
    """CPU time of the PostgreSQL backend serving this process (0 when not visible)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(
    fn: Callable[[], Any], runs: int, backend: int | None = None
) -> tuple[list[float], float]:
    """Wall times (ms) of ``runs`` calls, and the mean CPU per call (ms): this process plus
    the PostgreSQL backend, which other processes on the machine do not inflate as they do
    the wall time."""
    out = []
    cpu, server = time.process_time(), backend_cpu_seconds(backend)
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    used = time.process_time() - cpu + backend_cpu_seconds(backend) - server
    return out, used * 1000 / runs


def generate(
    n_listings: int, n_students: int, n_applications: int, vocab: Words, rng: random.Random
) -> tuple[int, int]:
    """The tenant, its board, students and applications, and a course with five pinned
    listings; returns the tenant's and the course's ids."""
    from sqlalchemy import text

    from internships.models import CoursePin
    from internships.services.listings import ensure_employer
    from lti_tool.actor import Actor
    from lti_tool.extensions import db
    from lti_tool.models import Course, Tenant

    tenant = Tenant(name="Bench University", settings={})
    db.session.add(tenant)
    db.session.flush()
    employers = [ensure_employer(Actor(tenant.id, "bench"), f"Employer {n}").id for n in range(200)]
    db.session.commit()
    start = time.perf_counter()
    populate_listings(tenant.id, employers, n_listings, vocab, rng)
    populate_students(tenant.id, n_students, vocab, rng)
    populate_applications(tenant.id, n_students, n_listings, n_applications, rng)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(
        f"  {n_listings} listings, {n_students} students, {n_applications} applications "
        f"inserted in {time.perf_counter() - start:.1f} s"
    )
    course = Course(
        tenant_id=tenant.id, issuer=ISSUER, context_id="bench-course", title="Bench 101"
    )
    db.session.add(course)
    db.session.flush()
    for listing_id in rng.sample(range(1, n_listings + 1), 5):  # the instructor's pins
        db.session.add(CoursePin(tenant_id=tenant.id, course_id=course.id,
                                 listing_id=listing_id, pinned_by="bench"))  # fmt: skip
    db.session.commit()
    return tenant.id, course.id


def run(url: str, scale: float, queries: int, reuse: bool = False) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from internships.models import Listing
    from internships.profile.models import StudentProfile
    from internships.profile.recommend import recommend
    from internships.rendering import render_markdown
    from internships.services.board import BoardQuery, search_board
    from internships.services.listings import get_listing
    from internships.vocabulary import COMPETENCIES, skills
    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.models import Course

    n_listings, n_students, n_applications = (
        int(50_000 * scale),
        int(20_000 * scale),
        int(200_000 * scale),
    )
    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=url)
    rng = random.Random(7)
    vocab = Words(rng)
    with app.app_context():
        upgrade(revision="heads")  # a kept database gets the migrations added since
        if reuse:
            tenant_id, course_id = db.session.execute(
                select(Course.tenant_id, Course.id).where(Course.context_id == "bench-course")
            ).one()
            n_listings = db.session.scalar(select(func.count()).select_from(Listing)) or 0
            n_students = db.session.scalar(select(func.count()).select_from(StudentProfile)) or 0
            print(f"  kept: {n_listings} listings, {n_students} students")
        else:
            tenant_id, course_id = generate(n_listings, n_students, n_applications, vocab, rng)
        # The calls draw from their own generator: a kept database gets the same calls
        rng = vocab.rng = random.Random(8)
        skill_ids = list(skills())

        def one_search() -> None:
            extra: dict[str, Any] = rng.choice(
                [
                    {"skills": (rng.choice(skill_ids),)},
                    {"competencies": (rng.choice(COMPETENCIES),)},
                ]
            )
            extra |= rng.choice(
                [{"paid_only": True}, {"remote_only": True}, {"min_hours": 10, "max_hours": 25}]
            )
            text_ = " ".join(vocab.pick(rng.choice((1, 2)), top=600))
            page = rng.choice((1, 1, 1, 2))
            query = BoardQuery(text=text_, page=page, course_id=course_id, **extra)
            search_board(tenant_id, query, TODAY)
            db.session.rollback()

        def one_detail() -> None:
            listing = get_listing(tenant_id, rng.randint(1, n_listings))
            render_markdown(listing.description_md)
            db.session.rollback()

        empty_lists = 0

        def one_recommend() -> None:
            nonlocal empty_lists
            ctx = launch_context(tenant_id, rng.randint(1, n_students), course_id)
            picks = recommend(ctx)
            empty_lists += not picks
            db.session.rollback()

        backend = None
        if db.engine.dialect.name == "postgresql":
            backend = db.session.scalar(text("SELECT pg_backend_pid()"))
            db.session.rollback()
        for fn in (one_search, one_detail, one_recommend):  # a warm worker
            timed(fn, 20, backend)
        empty_lists = 0
        load = os.getloadavg()[0]
        search, search_cpu = timed(one_search, queries, backend)
        detail, detail_cpu = timed(one_detail, queries, backend)
        recommendations, recommend_cpu = timed(one_recommend, queries, backend)
        print(f"  {empty_lists} of {queries} students got an empty list (at their caps)")
        print(f"  load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        db.engine.dispose()
    return {
        "search_p50_ms": round(statistics.median(search), 2),
        "search_p95_ms": round(percentile(search, 95), 2),
        "detail_p50_ms": round(statistics.median(detail), 2),
        "detail_p95_ms": round(percentile(detail, 95), 2),
        "recommend_p50_ms": round(statistics.median(recommendations), 2),
        "recommend_p95_ms": round(percentile(recommendations, 95), 2),
        "cpu_ms_per_call": {
            "search": round(search_cpu, 2),
            "detail": round(detail_cpu, 2),
            "recommend": round(recommend_cpu, 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data, 100 calls")
    parser.add_argument(
        "--scale", type=float, help="of the full sizes (issue 16's state system: --scale 5)"
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument(
        "--reuse", metavar="NAME", help="time a PostgreSQL database --keep kept (not dropped)"
    )
    args = parser.parse_args()
    if args.reuse and args.only != "postgresql":
        parser.error("--reuse needs --only postgresql")
    scale, queries = (0.1, 100) if args.quick else (1.0, 300)
    if args.scale is not None:
        scale = args.scale
    results: dict[str, Any] = {}
    tmp = tempfile.mkdtemp(prefix="cc-bench-")
    os.environ.setdefault("CAREER_CREDIT_INSTANCE", tmp)
    try:
        if args.only != "postgresql":
            print(f"SQLite ({tmp}/bench.db)")
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", scale, queries)
            print(f"  {results['sqlite']}")
        if args.reuse:
            print(f"PostgreSQL, kept database {args.reuse}")
            url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{args.reuse}"
            url = url.replace("postgresql://", "postgresql+psycopg://")
            results["postgresql"] = run(url, scale, queries, reuse=True)
            print(f"  {results['postgresql']}")
        elif args.only != "sqlite":
            with postgres_or_none(args.keep) as pg_url:
                if pg_url:
                    print("PostgreSQL")
                    url = pg_url.replace("postgresql://", "postgresql+psycopg://")
                    results["postgresql"] = run(url, scale, queries)
                    print(f"  {results['postgresql']}")
    finally:
        if not args.keep:
            for path in Path(tmp).glob("*"):
                path.unlink()
            Path(tmp).rmdir()
    print(f"targets: {TARGETS}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
