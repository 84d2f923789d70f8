"""Migration b9c0d1e2f3a4 fills outcome_evidence.listing_id from each row's engagement: on a
database of its own (the attainment benchmark's generator, a few dozen rows), the column is
emptied, the migration undone and done again, and every row's listing is its engagement's
again, the coverage by listing the same as before."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from accreditation.evidence.models import Evidence
from internships.work.models import Engagement
from lti_tool.extensions import db

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
SIZES = {"students": 40, "engagements": 120, "evidence": 480}


@pytest.fixture
def own_database(database_url, tmp_path) -> Iterator[Any]:
    """An app on a fresh database of its own, upgraded to the migrations' heads."""
    from flask_migrate import upgrade

    from lti_tool import create_app

    if database_url.startswith("postgresql"):
        import psycopg

        base, name = database_url.rsplit("/", 1)
        own = f"{name}_backfill"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{own}"')
        url = f"{base}/{own}"
    else:
        url = f"sqlite:///{tmp_path}/backfill.db"
    app = create_app("config.testing", SQLALCHEMY_DATABASE_URI=url, SANDBOX_ENABLED=False)
    with app.app_context():
        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


def _listings() -> dict[int, int | None]:
    return dict(db.session.execute(select(Evidence.id, Evidence.listing_id)).all())


def _schema() -> tuple[Any, ...]:
    """outcome_evidence's indexes and unique constraints, with their columns."""
    seen = inspect(db.engine)
    return (
        sorted((i["name"], tuple(i["column_names"])) for i in seen.get_indexes("outcome_evidence")),
        sorted(
            (u["name"], tuple(u["column_names"]))
            for u in seen.get_unique_constraints("outcome_evidence")
        ),
    )


def _cells(ids: dict[str, Any]) -> dict[tuple[str, int | None, int], int]:
    from accreditation.attainment import services

    scope = services.Scope(ids["tenant_id"], ids["framework_id"])
    cover = services.coverage(scope, listing_limit=None)
    db.session.rollback()
    return cover.counts


def test_the_migration_fills_each_rows_listing_from_its_engagement(own_database):
    from flask_migrate import downgrade, upgrade

    sys.path.insert(0, str(BENCHMARKS))
    try:
        import reports  # the benchmark: set-based generation on either database
    finally:
        sys.path.remove(str(BENCHMARKS))
    with own_database.app_context():
        ids = reports.generate(SIZES)
        expected = dict(
            db.session.execute(
                select(Evidence.id, Engagement.listing_id).join(
                    Engagement, Engagement.id == Evidence.engagement_id
                )
            ).all()
        )
        assert len(expected) == SIZES["evidence"] and _listings() == expected
        before = _cells(ids)
        schema = _schema()
        assert ("ix_outcome_evidence_listing", ("tenant_id", "item_id", "listing_id", "level")) in (
            schema[0]
        )
        assert {k for k in before if k[0] == "listing"}  # the control: listings are counted

        db.session.execute(text("UPDATE outcome_evidence SET listing_id = NULL"))
        db.session.commit()
        assert set(_listings().values()) == {None}
        db.session.remove()  # no transaction of this session may hold the table
        downgrade(revision="a8b9c0d1e2f3")
        db.session.remove()
        columns = db.session.execute(text("SELECT * FROM outcome_evidence LIMIT 1")).keys()
        assert "listing_id" not in columns
        db.session.remove()
        upgrade(revision="heads")
        db.session.remove()

        assert _listings() == expected
        assert _schema() == schema  # the indexes dropped for the backfill are back
        assert _cells(ids) == before
