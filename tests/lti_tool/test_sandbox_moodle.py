"""The sandbox LMS's Moodle web services, through the tool's real Moodle connector over HTTP (the
sandbox on the live server): a faculty member reads the course's competencies by clicking, maps
them in the crosswalk, rates a student, and the outbox's write-back lands in the sandbox, shown
on its competencies page. Another course reads its own competencies; another institution's
token, a made-up token or an LTI service token gets Moodle's ``invalidtoken``; Moodle's other
refusals keep its shapes."""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from accreditation.frameworks.models import Framework
from connectors import moodle
from connectors.errors import MoodleError
from lti_tool import jobs
from lti_tool.admin.services.connections import credentials_for
from lti_tool.auth import load_launch
from lti_tool.extensions import db
from lti_tool.models import Registration
from lti_tool.sandbox.seed import stable_id
from lti_tool.sandbox.tokens import moodle_url
from tests.accreditation.writeback.conftest import Course, messages
from tests.conftest import sandbox_launch
from tests.helpers import csrf_token
from tests.internships.work.helpers import accept

SERVER = "/sandbox/moodle/webservice/rest/server.php"
BUS_390 = ("Communication", "Written reports", "Critical Thinking", "Professionalism")
CS_195_ONLY = ("Technology", "Career & Self-Development")


def _credentials(app, sandbox):
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.issuer, Registration.client_id == sandbox.client_id
            )
        )
        creds = credentials_for(reg.id)
        return reg.tenant_id, creds.moodle_url, creds.moodle_ws_token


def _call(client, sandbox, **form: str):
    resp = client.post(SERVER, data=form, base_url=sandbox.platform_url)
    assert resp.status_code == 200  # Moodle answers its errors with 200 too
    return resp.get_json()


def _read(client, lid: str):
    """Press "Read competencies from Moodle" on the Course outcomes from the LMS page."""
    page = client.get("/frameworks/lms", query_string={"lid": lid})
    assert page.status_code == 200
    assert "Read competencies from Moodle" in page.get_data(as_text=True)
    return client.post(
        "/frameworks/lms/read/moodle",
        data={"lid": lid, "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )


def _names(app, tenant_id: int, course_label: str) -> set[str]:
    from lti_tool.models import Course as ToolCourse

    with app.app_context():
        fw = db.session.scalar(
            select(Framework)
            .join(ToolCourse, ToolCourse.id == Framework.course_id)
            .where(
                Framework.tenant_id == tenant_id,
                Framework.kind == "course",
                ToolCourse.label == course_label,
            )
        )
        assert fw is not None
        return {item.current.name for item in fw.items}


def test_seed_gives_the_registration_the_sandboxs_moodle_web_services(app, sandbox):
    _, url, token = _credentials(app, sandbox)
    assert url == moodle_url(sandbox) == f"{sandbox.platform_url}/sandbox/moodle"
    assert re.fullmatch(r"[0-9a-f]{32}", token)  # Moodle's token shape, random per database
    with app.app_context():
        from lti_tool.sandbox.seed import ensure_sandbox

        ensure_sandbox(sandbox.tool_url, sandbox.platform_url)  # seeding again keeps it
    assert _credentials(app, sandbox)[2] == token


def test_the_connector_reads_the_course_competencies_in_moodles_shapes(app, sandbox):
    _, url, token = _credentials(app, sandbox)
    client = moodle.MoodleClient(url, token, requests.Session())
    comps = client.course_competencies(int(stable_id("course:bus-390")))
    assert [c.shortname for c in comps][:4] == list(BUS_390)
    written = next(c for c in comps if c.shortname == "Written reports")
    communication = next(c for c in comps if c.shortname == "Communication")
    assert written.parent_id == communication.id  # nested as in the framework
    assert (
        written.description
        == "Writes reports an employer can act on: structured, sourced and concise."
    )
    (framework,) = client.competency_frameworks()
    assert (framework.shortname, framework.competencies_count) == ("Career Readiness", 8)


def test_faculty_reads_crosswalks_rates_and_the_rating_lands_in_the_sandbox(
    app, client, sandbox, seed_listing
):
    tenant_id = _credentials(app, sandbox)[0]
    faculty = sandbox_launch(client, sandbox, course="bus-390", person="priya-raman")
    home = faculty.home.get_data(as_text=True)
    assert "Course outcomes from the LMS" in home  # reached by clicking from the tool's home

    read = _read(client, faculty.lid)
    text = read.get_data(as_text=True)
    assert "Read 6 outcomes: 6 new" in text or "Read 6 outcomes: 0 new" in text
    assert set(BUS_390) <= _names(app, tenant_id, "BUS 390")

    crosswalk = client.get("/frameworks/crosswalk", query_string={"lid": faculty.lid})
    assert crosswalk.status_code == 200
    assert "Written reports" in crosswalk.get_data(as_text=True)

    student_client = app.test_client()
    student = sandbox_launch(student_client, sandbox, course="bus-390", person="chloe-martin")
    listing_id = seed_listing(tenant_id, competencies=["Teamwork"], title="Sandbox audit")
    with app.app_context():
        engagement = accept(load_launch(student.lid), listing_id)
        db.session.commit()
        engagement_id = engagement.id
    rated = Course(app, None, client, faculty.lid, engagement_id, 0).rate(
        {"Written reports": "4", "Critical Thinking": "2", "Teamwork": "3"}
    )
    assert rated.status_code == 303, rated.get_data(as_text=True)[:800]
    queued = [
        m
        for m in messages(app, tenant_id, "moodle.grade_competency")
        if m.payload["engagement_id"] == engagement_id
    ]
    assert {m.payload["name"]: m.payload["grade"] for m in queued} == {
        "Written reports": 4,
        "Critical Thinking": 2,
        "Teamwork": 3,  # the course's competency (the career competency's name too)
    }
    jobs.drain(app)
    sent = [
        m
        for m in messages(app, tenant_id, "moodle.grade_competency")
        if m.payload["engagement_id"] == engagement_id
    ]
    assert {m.status for m in sent} == {"sent"}, [m.last_error for m in sent]

    page = client.get(
        "/sandbox/competencies", query_string={"course": "bus-390"}, base_url=sandbox.platform_url
    ).get_data(as_text=True)
    rows = re.findall(
        r'<tr data-user="(\d+)">\s*<th scope="row">([^<]+)</th><td>([^<]+)</td>'
        r"<td>([^<]+)</td><td>([^<]*)</td>",
        page,
    )
    chloe = stable_id("person:chloe-martin")
    landed = {(r[2], r[3]) for r in rows if r[0] == chloe}
    assert ("Written reports", "4 · Advanced Application") in landed
    assert ("Critical Thinking", "2 · Understanding") in landed
    note = next(r[4] for r in rows if r[0] == chloe and r[2] == "Written reports")
    assert f"(engagement {engagement_id})" in note and "Sandbox audit" in note
    # The ratings are not gradebook columns: AGS and the gradebook page never show them.
    book = client.get(
        "/sandbox/gradebook", query_string={"course": "bus-390"}, base_url=sandbox.platform_url
    ).get_data(as_text=True)
    assert "Written reports" not in book


def test_another_course_reads_its_own_competencies_only(app, client, sandbox):
    tenant_id = _credentials(app, sandbox)[0]
    faculty = sandbox_launch(client, sandbox, course="cs-195", person="thomas-brooks")
    assert _read(client, faculty.lid).status_code == 200
    names = _names(app, tenant_id, "CS 195")
    assert set(CS_195_ONLY) <= names
    assert not {"Written reports", "Teamwork", "Leadership"} & names
    page = client.get("/frameworks/lms", query_string={"lid": faculty.lid}).get_data(as_text=True)
    assert "BUS 390" not in page


def test_another_institution_cannot_read_the_sandbox_course(app, sandbox, make_platform, driver):
    """Another institution pointed at the sandbox's Moodle gets nothing without its token."""
    from lti_tool.actor import Actor
    from lti_tool.admin.services.connections import CredentialsUpdate, set_credentials
    from lti_tool.registration.services.tenants import find_registration

    platform = make_platform()
    with app.app_context():
        reg = find_registration(platform.issuer, platform.client_id)
        update = CredentialsUpdate(
            moodle_url=_credentials(app, sandbox)[1],
            moodle_ws_token="0123456789abcdef0123456789abcdef",
        )
        set_credentials(Actor(reg.tenant_id, "tests"), reg, update, allow_http=True)
        db.session.commit()
    lti = driver(platform)
    launched = lti.launch(
        sub="77", role="faculty", course=stable_id("course:bus-390"), follow=False
    )
    page = _read(lti.client, launched.lid).get_data(as_text=True)
    assert "the web-service token is not valid (invalidtoken)" in page
    with app.app_context():
        assert (
            db.session.scalar(
                select(Framework.id).where(
                    Framework.tenant_id == platform.tenant_id, Framework.kind == "course"
                )
            )
            is None
        )


def test_a_bad_token_gets_moodles_invalidtoken(app, client, sandbox):
    course = stable_id("course:bus-390")
    fn = "core_competency_list_course_competencies"
    base = {"wsfunction": fn, "moodlewsrestformat": "json", "id": course}
    invalid = {
        "exception": "moodle_exception",
        "errorcode": "invalidtoken",
        "message": "Invalid token - token not found",
    }
    assert _call(client, sandbox, wstoken="not-a-token", **base) == invalid
    assert _call(client, sandbox, **base) == invalid  # no token at all
    # An LTI service (AGS) token is not a web-service token, and the other way round.
    from tests.lti_tool.test_sandbox import assertion, token_request

    ags = token_request(client, sandbox, assertion(app, sandbox)).get_json()["access_token"]
    assert _call(client, sandbox, wstoken=ags, **base) == invalid
    token = _credentials(app, sandbox)[2]
    refused = client.get(
        "/sandbox/api/courses/bus-390/line_items",
        headers={"Authorization": f"Bearer {token}"},
        base_url=sandbox.platform_url,
    )
    assert refused.status_code == 401


def test_moodles_other_refusals_keep_its_shapes(app, client, sandbox):
    token = _credentials(app, sandbox)[2]
    course, amara = stable_id("course:bus-390"), stable_id("person:amara-okafor")
    grade = "core_competency_grade_competency_in_course"
    form = {"wstoken": token, "moodlewsrestformat": "json"}

    def call(function: str, **params: str):
        return _call(client, sandbox, **form, wsfunction=function, **params)

    missing = call("core_competency_list_course_competencies", id="999")
    assert (missing["exception"], missing["errorcode"]) == (
        "dml_missing_record_exception",
        "invalidrecord",
    )
    assert missing["message"] == "Can't find data record in database table course."
    assert call("core_course_get_courses")["errorcode"] == "accessexception"
    assert call("no_such_function")["errorcode"] == "invalidrecord"
    assert call("core_competency_list_course_competencies", id="x")["errorcode"] == (
        "invalidparameter"
    )
    args = {"courseid": course, "userid": amara, "note": "n"}
    not_linked = call(grade, **args, competencyid="28", grade="3")  # Technology: CS 195's
    assert not_linked["errorcode"] == "codingerror"
    assert "does not belong to this course" in not_linked["message"]
    assert call(grade, **args, competencyid="21", grade="5")["errorcode"] == "invalidparameter"
    teacher = {**args, "userid": stable_id("person:priya-raman")}
    assert call(grade, **teacher, competencyid="21", grade="3")["errorcode"] == "codingerror"
    dropped = {**args, "userid": stable_id("person:farah-haddad")}
    assert call(grade, **dropped, competencyid="21", grade="3")["errorcode"] == "codingerror"
    # through the connector: the tool's words about Moodle's code, never Moodle's message
    _, url, _ = _credentials(app, sandbox)
    bad = moodle.MoodleClient(url, "not-a-token", requests.Session())
    with pytest.raises(MoodleError) as refused:
        bad.course_competencies(int(course))
    assert refused.value.errorcode == "invalidtoken"
