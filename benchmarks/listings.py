#!/usr/bin/env python
"""Listings benchmark: the course board's search and the listing detail at 50,000 listings.

For SQLite (a file in a temporary directory) and PostgreSQL (a fresh ``cc_bench_*`` database,
dropped at the end; skipped with a reason when no server answers): upgrade through the
migrations, insert 50,000 listings of one tenant (search words and facets computed by the
same functions the services use), then time the service calls a page makes:

- search: ``search_board`` with one or two words and two filters (a skill or a competency,
  and paid-only, remote or an hours range), "Best match" order, page 1 (or 2);
- detail: ``get_listing`` + the Markdown rendering of its description.

Students, applications and "For you" recommendations are not built yet; their figures are
printed as null. The last line is one JSON object.

    .venv/bin/python benchmarks/listings.py            # 50,000 listings, 300 queries each
    .venv/bin/python benchmarks/listings.py --quick    # 5,000 listings, 100 queries
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TARGETS = {"search_p95_ms": 50.0, "recommend_p95_ms": 100.0}
BASE_WORDS = (
    "analysis data report survey design website audit campaign research budget model video "
    "podcast brand social content inventory logistics health clinic parks tutoring robotics "
    "testing documentation grant nonprofit dashboard customer interviews spreadsheet map "
    "sustainability training onboarding events finance pricing marketing accessibility"
)
TODAY = dt.date(2026, 9, 1)


def vocabulary() -> tuple[list[str], list[float]]:
    """20,000 words with Zipf weights 1/(rank + 50): the 50-rank offset stands for the function
    words (stop words) a real text starts with, so the commonest searchable word is in about a
    fifth of the listings and a typical one in a few percent, as in real postings."""
    from internships.vocabulary import skills

    words: list[str] = []
    for text in [BASE_WORDS, *(s.label for s in skills().values())]:
        for word in text.lower().replace("(", " ").replace(")", " ").split():
            if word.isalpha() and word not in words:
                words.append(word)
    letters = "bcdfghjklmnpqrstvwxz"
    n = 0
    while len(words) < 20_000:
        a, b, c = n % 20, n // 20 % 20, n // 400 % 20
        words.append(f"{letters[a]}a{letters[b]}o{letters[c]}e{n // 8000 or ''}")
        n += 1
    return words, [1 / (rank + 50) for rank in range(1, len(words) + 1)]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


@contextmanager
def postgres_database() -> Iterator[str | None]:
    try:
        import psycopg

        name = f"cc_bench_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any failure means "no PostgreSQL here"
        print(f"PostgreSQL skipped: {exc}")
        yield None
        return
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def populate(tenant_id: int, employer_ids: list[int], count: int, rng: random.Random) -> None:
    from sqlalchemy import insert

    from internships.models import Listing, ListingFacet
    from internships.services.search import words
    from internships.vocabulary import COMPETENCIES, skill_label, skills
    from lti_tool.extensions import db

    skill_ids = list(skills())
    vocab, weights = vocabulary()
    batch: list[dict[str, Any]] = []
    facets: list[dict[str, Any]] = []
    first_id = 1
    for n in range(count):
        title = " ".join(rng.choices(vocab, weights, k=4)).capitalize()
        body = " ".join(rng.choices(vocab, weights, k=60))
        chosen = rng.sample(skill_ids, 3)
        comps = rng.sample(COMPETENCIES, 2)
        hours = rng.randint(5, 40)
        kind = rng.choice(("fixed", "fixed", "hourly", "unpaid"))
        pay = (
            None
            if kind == "unpaid"
            else rng.randint(15, 40) * (100 if kind == "hourly" else 100 * hours)
        )
        batch.append({
            "id": first_id + n, "tenant_id": tenant_id, "employer_id": rng.choice(employer_ids),
            "title": title, "summary": body[:200], "description_md": f"## Plan\n\n{body}",
            "deliverables": "A report.", "skills": chosen, "tags": [], "competencies": comps,
            "estimated_hours": hours, "compensation_type": kind, "pay_amount_cents": pay,
            "currency": "USD", "effective_rate_cents": 0 if pay is None else
            (pay if kind == "hourly" else pay // hours),
            "location_type": rng.choice(("remote", "hybrid", "onsite")), "location": "Campus",
            "openings": 1, "eligibility": {}, "status": rng.choice(("open",) * 8 + ("closed",)),
            "application_deadline": TODAY + dt.timedelta(days=rng.randint(-10, 60)),
            "source": "manual", "approval_note": "", "created_by": "bench",
            "search_title": words(title),
            "search_body": words(body, " ".join(skill_label(s) for s in chosen), *comps),
        })  # fmt: skip
        facets += [{"listing_id": first_id + n, "tenant_id": tenant_id, "kind": "skill",
                    "value": s} for s in chosen]  # fmt: skip
        facets += [{"listing_id": first_id + n, "tenant_id": tenant_id, "kind": "competency",
                    "value": c} for c in comps]  # fmt: skip
        if len(batch) == 2000:
            db.session.execute(insert(Listing), batch)
            db.session.execute(insert(ListingFacet), facets)
            batch, facets = [], []
    if batch:
        db.session.execute(insert(Listing), batch)
        db.session.execute(insert(ListingFacet), facets)
    db.session.commit()


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(url: str, count: int, queries: int) -> dict[str, Any]:
    from flask_migrate import upgrade
    from sqlalchemy import text

    from internships.rendering import render_markdown
    from internships.services.board import BoardQuery, search_board
    from internships.services.listings import ensure_employer, get_listing
    from internships.vocabulary import COMPETENCIES, skills
    from lti_tool import create_app
    from lti_tool.extensions import db
    from lti_tool.models import Tenant

    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=url)
    rng = random.Random(7)
    with app.app_context():
        upgrade(revision="heads")
        tenant = Tenant(name="Bench University", settings={})
        db.session.add(tenant)
        db.session.flush()
        employers = [ensure_employer(tenant.id, f"Employer {n}", "bench").id for n in range(200)]
        db.session.commit()
        start = time.perf_counter()
        populate(tenant.id, employers, count, rng)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        print(f"  {count} listings inserted in {time.perf_counter() - start:.1f} s")
        skill_ids = list(skills())
        vocab, weights = vocabulary()

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
            text_ = " ".join(rng.choices(vocab[:600], weights[:600], k=rng.choice((1, 2))))
            query = BoardQuery(text=text_, page=rng.choice((1, 1, 1, 2)), **extra)
            search_board(tenant.id, query, TODAY)
            db.session.rollback()

        def one_detail() -> None:
            listing = get_listing(tenant.id, rng.randint(1, count))
            render_markdown(listing.description_md)
            db.session.rollback()

        timed(one_search, 20)  # warm caches
        search = timed(one_search, queries)
        detail = timed(one_detail, queries)
        db.engine.dispose()
    return {
        "search_p50_ms": round(statistics.median(search), 2),
        "search_p95_ms": round(percentile(search, 95), 2),
        "detail_p50_ms": round(statistics.median(detail), 2),
        "detail_p95_ms": round(percentile(detail, 95), 2),
        "recommend_p95_ms": None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count, queries = (5_000, 100) if args.quick else (50_000, 300)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cc-bench-") as tmp:
        os.environ.setdefault("CAREER_CREDIT_INSTANCE", tmp)
        print(f"SQLite, {count} listings")
        results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", count, queries)
        print(f"  {results['sqlite']}")
        with postgres_database() as pg_url:
            if pg_url:
                print(f"PostgreSQL, {count} listings")
                results["postgresql"] = run(pg_url.replace("postgresql://",
                                                           "postgresql+psycopg://"), count,
                                            queries)  # fmt: skip
                print(f"  {results['postgresql']}")
    print(f"targets: {TARGETS}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
