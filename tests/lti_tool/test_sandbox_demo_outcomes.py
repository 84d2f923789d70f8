"""What ``make run``'s demo shows an advisor (loaded by ``flask sandbox reset``, which runs the
same loaders and the evidence sync the server's job runner runs): students at risk for
different reasons, and outcome evidence across several competencies, levels, students and
terms on the attainment pages. The reset restores
the sandbox's Moodle connection and drops the competency ratings it received. A database and a
server of their own: the reset drops the sandbox tenant's data, which other tests keep."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from connectors import moodle
from lti_tool.extensions import db
from lti_tool.sandbox.models import SandboxResult
from lti_tool.sandbox.seed import sandbox_info, stable_id
from tests.conftest import _free_port, sandbox_launch


@pytest.fixture(scope="module")
def demo(database_url, tmp_path_factory) -> Iterator[tuple[Any, Any]]:
    """An app on a database of its own, served on a port of its own, with the demo loaded."""
    from flask_migrate import upgrade

    from lti_tool import create_app

    port = _free_port()
    if database_url.startswith("postgresql"):
        import psycopg

        base, name = database_url.rsplit("/", 1)
        url = f"{base}/{name}_demo"
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}_demo"')
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
    app = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=url,
        SANDBOX_TOOL_URL=f"http://127.0.0.1:{port}",
        SANDBOX_PLATFORM_URL=f"http://localhost:{port}",
    )
    with app.app_context():
        upgrade(revision="heads")
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    out = app.test_cli_runner().invoke(args=["sandbox", "reset", "--yes"])
    assert out.exit_code == 0, out.output
    info = sandbox_info(app.config["SANDBOX_TOOL_URL"], app.config["SANDBOX_PLATFORM_URL"])
    yield app, info
    server.shutdown()
    with app.app_context():
        db.engine.dispose()
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_demo" WITH (FORCE)')


def _text(resp) -> str:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    page = re.sub(r"<script.*?</script>", "", resp.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _advisor(demo) -> tuple[Any, str]:
    app, info = demo
    client = app.test_client()
    return client, sandbox_launch(client, info, course=None, person="jordan-ellis").lid


def _rows(resp, table_start: str) -> dict[str, list[str]]:
    """The rows of the first table after ``table_start``: first cell -> the other cells."""
    page = resp.get_data(as_text=True)
    table = page[page.index(table_start) :]
    table = table[: table.index("</table>")]
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        if cells:
            out[cells[0]] = cells[1:]
    return out


def test_the_advisor_sees_students_at_risk_for_different_reasons(demo):
    client, lid = _advisor(demo)
    at_risk = _text(client.get("/reports/students", query_string={"lid": lid, "risk": "any"}))
    assert "2 engagements" in at_risk
    assert re.search(r"Amara Okafor .*? Behind planned hours near the end date", at_risk)
    assert re.search(r"Benjamin Tran .*? Lowest supervisor rating on a competency", at_risk)
    everyone = _text(client.get("/reports/students", query_string={"lid": lid}))
    assert "14 engagements" in everyone  # this term's five, and nine of the two before
    for term in ("Fall 2025", "Spring 2026", "Fall 2026"):
        assert f"({term})" in everyone
    averages = set(re.findall(r"Evaluated, average level ([\d.]+) of 4", everyone))
    assert len(averages) >= 5  # the supervisors' evaluations differ


def test_program_attainment_has_varied_evidence(demo):
    client, lid = _advisor(demo)
    page = client.get("/attainment/program", query_string={"lid": lid})
    direct = _rows(page, "<caption>Direct measures")
    # per outcome: target, students assessed (n), at or above target, then levels 1..4
    direct.pop("Outcome")
    assessed = {name: int(cells[1]) for name, cells in direct.items()}
    assert sum(1 for n in assessed.values() if n > 0) >= 6  # several competencies
    assert assessed["COM Communication"] >= 4  # several students
    levels = [sum(int(cells[3 + level]) for cells in direct.values()) for level in range(4)]
    assert all(count > 0 for count in levels), levels  # every level reached


def test_the_trend_spans_three_terms(demo):
    client, lid = _advisor(demo)
    page = client.get("/attainment/trend", query_string={"lid": lid})
    rows = _rows(page, "direct measures")
    assert rows["Outcome"] == ["Fall 2025", "Spring 2026", "Fall 2026"]
    communication = rows["Communication"]
    assert all(re.fullmatch(r"[\d.]+% \(\d+\)", cell) for cell in communication), communication


def test_the_reset_keeps_the_moodle_connection_and_drops_the_ratings(demo):
    from lti_tool.admin.services.connections import credentials_for
    from lti_tool.models import Registration

    app, info = demo

    def connection() -> tuple[str, str]:
        with app.app_context():
            reg = db.session.scalar(select(Registration).where(Registration.issuer == info.issuer))
            creds = credentials_for(reg.id)
            return creds.moodle_url, creds.moodle_ws_token

    url, token = connection()
    client = moodle.MoodleClient(url, token, requests.Session())
    course, amara = int(stable_id("course:bus-390")), int(stable_id("person:amara-okafor"))
    moodle.grade_competency_in_course(client, course, amara, 21, 3, "Before the reset")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SandboxResult)) >= 1
    out = app.test_cli_runner().invoke(args=["sandbox", "reset", "--yes"])
    assert out.exit_code == 0, out.output
    assert connection() == (url, token)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SandboxResult)) == 0
    assert [c.shortname for c in client.course_competencies(course)][:2] == [
        "Communication",
        "Written reports",
    ]
    # the demo loaded again, the same
    advisor, lid = _advisor(demo)
    at_risk = _text(advisor.get("/reports/students", query_string={"lid": lid, "risk": "any"}))
    assert "2 engagements" in at_risk


def test_a_database_seeded_with_the_old_ids_is_brought_up_to_date(demo):
    """People and courses seeded before they took Moodle's numbers keep their data."""
    from internships.work.models import Engagement
    from lti_tool.models import Course, User
    from lti_tool.sandbox.models import SandboxPerson
    from lti_tool.sandbox.seed import legacy_id

    app, _ = demo
    new_sub, old_sub = stable_id("person:amara-okafor"), legacy_id("person:amara-okafor")
    with app.app_context():
        users = db.session.scalar(select(func.count()).select_from(User))
        amara = db.session.scalar(select(User).where(User.sub == new_sub))
        engagements = db.session.scalar(
            select(func.count()).where(Engagement.student_id == amara.id)
        )
        amara.sub = old_sub
        person = db.session.scalar(select(SandboxPerson).where(SandboxPerson.key == "amara-okafor"))
        person.user_id = old_sub
        course = db.session.scalar(
            select(Course).where(Course.context_id == stable_id("course:bus-390"))
        )
        course.context_id = legacy_id("course:bus-390")
        db.session.commit()
    runner = app.test_cli_runner()
    for args in (["sandbox", "seed"], ["internships", "demo", "--tenant", "Sandbox University"]):
        out = runner.invoke(args=args)
        assert out.exit_code == 0, out.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == users
        amara = db.session.scalar(select(User).where(User.sub == new_sub))
        assert amara is not None
        assert (
            db.session.scalar(select(func.count()).where(Engagement.student_id == amara.id))
            == engagements
        )
        assert (
            db.session.scalar(
                select(SandboxPerson.user_id).where(SandboxPerson.key == "amara-okafor")
            )
            == new_sub
        )
        assert db.session.scalar(
            select(Course.id).where(Course.context_id == stable_id("course:bus-390"))
        )
