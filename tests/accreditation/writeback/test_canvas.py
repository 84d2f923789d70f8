"""Faculty rubric ratings of Canvas course outcomes go back to Canvas through the outbox: a
rubric created once per course (criteria aligned to the outcomes, not used for grading) and a
grading assessment of the student's submission; 401 refreshes the token, 429 waits for
Retry-After, a permanent 4xx fails with Canvas's words and can be retried; pending
assessments of the same student coalesce to the newest."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

from sqlalchemy import select

from accreditation.evidence.models import Evidence
from accreditation.writeback.models import CanvasRubricLink
from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.models import utcnow
from tests.connectors.conftest import fixture

from .conftest import ASSESSMENTS, RUBRICS, messages

KIND = "canvas.rubric_assessment"
LEVELS = {"Client communication": "3", "Project management": "4", "Teamwork": "2"}


def posted(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.text).items()}


def calls(requests_mock, method: str, url: str) -> list:
    return [r for r in requests_mock.request_history if r.method == method and r.url == url]


def due_now(app, row_id: int) -> None:
    with app.app_context():
        db.session.get(jobs.OutboxMessage, row_id).next_attempt_at = utcnow()
        db.session.commit()


def test_rating_is_evidence_and_one_rubric_assessment_reaches_canvas(
    app, canvas_course, canvas_mock
):
    canvas_mock.post(ASSESSMENTS, json=fixture("canvas", "rubric_assessment.json"))
    no_token = canvas_course.client.post(
        f"/evidence/ratings/{canvas_course.engagement_id}",
        data={"lid": canvas_course.lid},
    )
    assert no_token.status_code == 400  # CSRF stays on: nothing recorded, nothing queued
    assert messages(app, canvas_course.platform.tenant_id, KIND) == []

    resp = canvas_course.rate(LEVELS)
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    with app.app_context():
        rows = db.session.scalars(
            select(Evidence).where(
                Evidence.tenant_id == canvas_course.platform.tenant_id,
                Evidence.method == "faculty_rubric",
            )
        ).all()
        by_name = {r.item_version.name: r for r in rows}
        assert {n: by_name[n].level for n in LEVELS} == {
            "Client communication": 3,
            "Project management": 4,
            "Teamwork": 2,
        }
        assert by_name["Reflective practice"].level is None  # rated not applicable
        assert {r.source for r in rows} == {"direct"}
    [queued] = messages(app, canvas_course.platform.tenant_id, KIND)
    assert queued.status == "pending"
    assert [c["level"] for c in queued.payload["criteria"]] == [3, 4]  # Canvas outcomes only

    stats = jobs.drain(app)
    assert stats.sent == 1
    [create] = calls(canvas_mock, "POST", RUBRICS)
    form = posted(create)
    assert form["rubric_association[use_for_grading]"] == "0"
    assert form["rubric_association[purpose]"] == "grading"
    assert form["rubric_association[association_id]"] == "4502"  # the external-tool assignment
    aligned = {v for k, v in form.items() if k.endswith("[learning_outcome_id]")}
    assert aligned == {"11", "12"}
    [assessment] = calls(canvas_mock, "POST", ASSESSMENTS)
    sent = posted(assessment)
    assert sent["rubric_assessment[user_id]"] == "555"
    assert sent["rubric_assessment[assessment_type]"] == "grading"
    assert sent["rubric_assessment[_8120][points]"] == "3"
    assert sent["rubric_assessment[_8121][points]"] == "4"
    [done] = messages(app, canvas_course.platform.tenant_id, KIND)
    assert done.status == "sent"

    # rating again: the stored rubric is reused (never a second one), a new assessment is sent
    canvas_course.rate({**LEVELS, "Client communication": "4"})
    assert jobs.drain(app).sent == 1
    assert len(calls(canvas_mock, "POST", RUBRICS)) == 1
    last = posted(calls(canvas_mock, "POST", ASSESSMENTS)[-1])
    assert last["rubric_assessment[_8120][points]"] == "4"
    with app.app_context():
        link = db.session.scalar(select(CanvasRubricLink))
        assert (link.rubric_id, link.association_id, link.assignment_id) == ("812", "9031", "4502")


def test_pending_assessments_of_a_student_coalesce_to_the_newest(app, canvas_course, canvas_mock):
    canvas_mock.post(ASSESSMENTS, json=fixture("canvas", "rubric_assessment.json"))
    canvas_course.rate(LEVELS)
    canvas_course.rate({**LEVELS, "Project management": "1"})
    first, second = messages(app, canvas_course.platform.tenant_id, KIND)
    assert (first.status, first.superseded_by_id) == ("superseded", second.id)
    stats = jobs.drain(app)
    assert stats.sent == 1
    [assessment] = calls(canvas_mock, "POST", ASSESSMENTS)
    assert posted(assessment)["rubric_assessment[_8121][points]"] == "1"


def test_expired_token_is_refreshed_and_rate_limit_waits_for_retry_after(
    app, canvas_course, canvas_mock
):
    canvas_mock.post(
        ASSESSMENTS,
        [
            {
                "status_code": 401,
                "json": fixture("canvas", "error_invalid_token.json"),
                "headers": {"WWW-Authenticate": 'Bearer realm="canvas-lms"'},
            },
            {
                "status_code": 403,  # older Canvas throttling
                "text": "403 Forbidden (Rate Limit Exceeded)",
            },
            {
                "status_code": 429,
                "json": fixture("canvas", "error_rate_limited.json"),
                "headers": {"Retry-After": "120"},
            },
            {"json": fixture("canvas", "rubric_assessment.json")},
        ],
    )
    canvas_course.rate(LEVELS)
    stats = jobs.drain(app)
    assert (stats.sent, stats.retried) == (0, 1)
    [row] = messages(app, canvas_course.platform.tenant_id, KIND)
    assert (row.status, row.last_http_status) == ("pending", 403)
    assert "limiting how fast" in row.last_error  # Canvas's old 403 "Rate Limit Exceeded"
    due_now(app, row.id)
    before = utcnow()
    assert jobs.drain(app).retried == 1
    [row] = messages(app, canvas_course.platform.tenant_id, KIND)
    assert (row.status, row.last_http_status) == ("pending", 429)
    assert "limiting how fast" in row.last_error and "(HTTP 429)" in row.last_error
    assert row.next_attempt_at >= before + dt.timedelta(seconds=119)
    tries = calls(canvas_mock, "POST", ASSESSMENTS)
    # the refreshed token was used for the repeat (and kept for the next attempts)
    assert tries[0].headers["Authorization"] != tries[1].headers["Authorization"]
    assert tries[1].headers["Authorization"] == "Bearer 7~nEwAcCeSsFAKEtoken0003"
    assert tries[2].headers["Authorization"] == "Bearer 7~nEwAcCeSsFAKEtoken0003"

    due_now(app, row.id)  # the wait is over
    assert jobs.drain(app).sent == 1
    assert len(calls(canvas_mock, "POST", RUBRICS)) == 1


def test_permanent_refusal_fails_with_its_reason_and_can_be_retried(
    app, canvas_course, canvas_mock
):
    canvas_mock.post(
        ASSESSMENTS,
        [
            {"status_code": 404, "json": fixture("canvas", "error_not_found.json")},
            {"json": fixture("canvas", "rubric_assessment.json")},
        ],
    )
    canvas_course.rate(LEVELS)
    assert jobs.drain(app).failed == 1
    [row] = messages(app, canvas_course.platform.tenant_id, KIND)
    assert (row.status, row.last_http_status) == ("failed", 404)
    assert "no longer has what Career Credit wrote to (HTTP 404)" in row.last_error

    client, lid = canvas_course.client, canvas_course.lid
    page = client.get(f"/evidence/ratings/{canvas_course.engagement_id}?lid={lid}")
    html = page.get_data(as_text=True)
    assert "Failed" in html and "no longer has what Career Credit wrote to" in html
    assert "The specified resource does not exist." not in html  # never Canvas's body
    from tests.helpers import csrf_token

    retried = client.post(
        f"/evidence/ratings/sync/{row.id}/retry",
        data={
            "lid": lid,
            "csrf_token": csrf_token(page),
            "engagement_id": canvas_course.engagement_id,
        },
    )
    assert retried.status_code == 303
    assert jobs.drain(app).sent == 1
    [row] = messages(app, canvas_course.platform.tenant_id, KIND)
    assert row.status == "sent"


def test_a_rubric_created_by_a_crashed_send_is_found_not_duplicated(
    app, canvas_course, canvas_mock
):
    canvas_mock.get(RUBRICS, json=fixture("canvas", "rubrics_list.json"))
    canvas_mock.get(f"{RUBRICS}/812", json=fixture("canvas", "rubric_with_associations.json"))
    canvas_mock.post(ASSESSMENTS, json=fixture("canvas", "rubric_assessment.json"))
    canvas_course.rate(LEVELS)
    assert jobs.drain(app).sent == 1
    assert calls(canvas_mock, "POST", RUBRICS) == []
    shown = [r for r in canvas_mock.request_history if r.path.endswith("/rubrics/812")]
    assert shown[0].qs == {"include[]": ["associations"], "style": ["full"]}
    [assessment] = calls(canvas_mock, "POST", ASSESSMENTS)
    assert posted(assessment)["rubric_assessment[_8121][points]"] == "4"

    # an outcome rated for the first time is added to the same rubric (PUT), not a new one
    canvas_mock.put(f"{RUBRICS}/812", json=fixture("canvas", "rubric_create.json"))
    canvas_course.rate({**LEVELS, "Reflective practice": "2"})
    assert jobs.drain(app).sent == 1
    [put] = [r for r in canvas_mock.request_history if r.method == "PUT"]
    form = posted(put)
    assert form["rubric_association_id"] == "9031"
    assert {v for k, v in form.items() if k.endswith("[learning_outcome_id]")} == {
        "11",
        "12",
        "13",
    }
    assert calls(canvas_mock, "POST", RUBRICS) == []
    last = posted(calls(canvas_mock, "POST", ASSESSMENTS)[-1])
    assert last["rubric_assessment[_8122][points]"] == "2"
