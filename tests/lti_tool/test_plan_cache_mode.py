"""PostgreSQL plans the pages' statements once per connection (``POSTGRESQL_PLAN_CACHE_MODE``:
generic plans for prepared statements), while a report's or a board search's transaction plans
for its own values again; the runner's reads end with a commit, which keeps the connection's
prepared statements. On SQLite the setting changes nothing."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select, text

from lti_tool import create_app
from lti_tool.extensions import db
from tests.internships import test_views
from tests.internships.test_views import student

seed = test_views.seed  # the listing factory fixture


def _mode() -> str:
    return str(db.session.execute(text("SHOW plan_cache_mode")).scalar())


def test_the_tools_connections_use_generic_plans(app, app_ctx):
    assert app.config["POSTGRESQL_PLAN_CACHE_MODE"] == "force_generic_plan"
    if db.engine.dialect.name != "postgresql":
        assert db.session.execute(text("SELECT 1")).scalar() == 1  # no SET reached SQLite
        return
    assert db.engine.pool._pool.use_lifo  # the connection used last
    db.engine.dispose()  # a new connection: the setting comes with it, not with a request
    assert _mode() == "force_generic_plan"
    db.session.rollback()
    assert _mode() == "force_generic_plan"  # a session setting, not the transaction's


def test_reports_and_board_searches_plan_for_their_values(app, app_ctx):
    from accreditation.attainment.services.attribution import TUNE_FOR_REPORTS
    from accreditation.reports.services.common import without_jit

    if db.engine.dialect.name != "postgresql":
        without_jit()  # nothing to set on SQLite
        return
    without_jit()
    assert _mode() == "auto"
    db.session.commit()
    assert _mode() == "force_generic_plan"  # only that transaction
    db.session.execute(TUNE_FOR_REPORTS, {"mem": "64MB"})
    assert _mode() == "auto"
    db.session.rollback()
    assert _mode() == "force_generic_plan"


def test_a_board_search_plans_for_its_values(app, advised_platform, driver, seed):
    seed(advised_platform.tenant_id, title="Survey project")
    client, lid = student(driver, advised_platform)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "plan_cache_mode" in statement:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get("/internships/", query_string={"lid": lid, "q": "survey"})
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200 and "Survey project" in response.get_data(as_text=True)
    if engine.dialect.name == "postgresql":
        assert len(seen) == 1 and "set_config('plan_cache_mode', 'auto', true)" in seen[0]
    else:
        assert seen == []


@pytest.mark.parametrize("mode", ["sometimes", "force_generic_plan; DROP TABLE x"])
def test_an_unknown_mode_is_refused_at_start(database_url, mode):
    with pytest.raises(ValueError, match="POSTGRESQL_PLAN_CACHE_MODE must be one of"):
        create_app(
            "config.testing",
            SQLALCHEMY_DATABASE_URI=database_url,
            POSTGRESQL_PLAN_CACHE_MODE=mode,
        )


@contextlib.contextmanager
def _endings() -> Iterator[list[str]]:
    """How the session's transactions end meanwhile ("commit", "rollback"), in order."""
    ended: list[str] = []
    session = db.session()
    commit, rollback = (lambda _s: ended.append("commit")), (lambda _s: ended.append("rollback"))
    event.listen(session, "after_commit", commit)
    event.listen(session, "after_rollback", rollback)
    try:
        yield ended
    finally:
        event.remove(session, "after_commit", commit)
        event.remove(session, "after_rollback", rollback)


def test_the_runners_reads_end_with_a_commit(app, app_ctx):
    # the module (the package names its function ``drain``)
    drain = importlib.import_module("lti_tool.jobs.drain")
    with _endings() as ended:
        drain._next_due()
        drain._registrations([None])  # no registration to read: no transaction either
    assert ended == ["commit"]


def test_a_read_only_transaction_ends_with_a_commit_before_a_network_call(app, app_ctx):
    """``end_reads``: PostgreSQL keeps its prepared statements (a commit when nothing was
    written); anything written is taken back, as a rollback does, on both engines."""
    from lti_tool.models import LtiState
    from lti_tool.unit_of_work import end_reads

    with _endings() as ended:
        db.session.execute(text("SELECT 1")).scalar()
        end_reads()
        postgresql = db.engine.dialect.name == "postgresql"
        assert ended == (["commit"] if postgresql else ["rollback"])
        ended.clear()
        table = LtiState.__table__
        db.session.execute(table.insert().values(key="end-reads", value="x", expires_at=1))
        end_reads()
        assert ended == ["rollback"]
        ended.clear()
        end_reads()  # no transaction: nothing to end
        assert ended == []
    assert db.session.scalar(select(table.c.key).where(table.c.key == "end-reads")) is None


def test_for_you_candidates_are_planned_for_their_values(app, app_ctx):
    """``plan_for_values``: once a transaction, PostgreSQL plans the rest of it for its values
    (the "For you" candidates over every open listing); SQLite has nothing to set."""
    from lti_tool.db_helpers import plan_for_values
    from tests.helpers import counted

    with counted() as seen:
        plan_for_values()
        plan_for_values()  # once a transaction
    if db.engine.dialect.name != "postgresql":
        assert seen == []
        return
    assert len(seen) == 1
    assert _mode() == "auto"
    db.session.commit()
    assert _mode() == "force_generic_plan"
    with counted() as seen:
        plan_for_values()  # a new transaction asks again
    assert len(seen) == 1 and _mode() == "auto"
    db.session.rollback()
