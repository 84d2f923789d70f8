"""The AGS client: the scores URL, the score body, how a platform's answer is classified
(Canvas's documented error shapes), the exact request a score makes (requests_mock), and line
items found or created by resourceId/tag against the sandbox over real HTTP."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import secrets
import threading

import pytest
import requests
from sqlalchemy import select

from lti_tool import jobs
from lti_tool.extensions import db
from lti_tool.jobs import Message
from lti_tool.lti import ags
from lti_tool.models import Registration, Tenant

CANVAS = "https://canvas.example.edu"
TOKEN_URL = f"{CANVAS}/login/oauth2/token"
LINE_ITEM = f"{CANVAS}/api/lti/courses/101/line_items/7"


@pytest.mark.parametrize(
    ("lineitem", "expected"),
    [
        (LINE_ITEM, f"{LINE_ITEM}/scores"),
        (f"{LINE_ITEM}/", f"{LINE_ITEM}/scores"),
        (
            "https://moodle.example.edu/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3",
            "https://moodle.example.edu/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3",
        ),
    ],
)
def test_scores_url_goes_before_the_query_string(lineitem, expected):
    assert ags.scores_url(lineitem) == expected


def test_timestamp_has_milliseconds_and_an_offset():
    naive = dt.datetime(2026, 11, 26, 8, 4, 52, 123456)
    assert ags.iso_timestamp(naive) == "2026-11-26T08:04:52.123+00:00"
    aware = dt.datetime(2026, 11, 26, 3, 4, 52, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert ags.iso_timestamp(aware) == "2026-11-26T08:04:52.123+00:00"


def test_score_body_is_complete_and_never_adds_a_submission():
    payload = {
        "lineitem": LINE_ITEM,
        "userId": "u-1",
        "scoreGiven": 3,
        "scoreMaximum": 3,
        "comment": "Great work",
        "timestamp": "2026-11-26T08:04:52.123+00:00",
    }
    assert ags.score_body(payload) == {
        "userId": "u-1",
        "scoreGiven": 3,
        "scoreMaximum": 3,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "comment": "Great work",
        "timestamp": "2026-11-26T08:04:52.123+00:00",
        "https://canvas.instructure.com/lti/submission": {"new_submission": False},
    }


def canvas_error(message: str, status: str = "bad_request") -> str:
    """Canvas's AGS error shape (Lti::IMS render_error)."""
    return json.dumps({"errors": {"type": status, "message": message}})


@pytest.mark.parametrize(
    ("status", "headers", "body", "result"),
    [
        (200, {}, '{"resultUrl": "x"}', "sent"),
        (201, {}, "", "sent"),
        (204, {}, "", "sent"),
        (500, {}, "oops", "retry"),
        (503, {"Retry-After": "7"}, "", "retry"),
        (429, {"Retry-After": "2"}, "", "retry"),
        (403, {}, "403 Forbidden (Rate Limit Exceeded)", "retry"),
        (403, {}, canvas_error("Access denied", "forbidden"), "failed"),
        (401, {}, canvas_error("Invalid access token", "unauthorized"), "retry"),
        (
            400,
            {},
            canvas_error(
                "Provided timestamp of 2026-11-26T07:00:00.000+00:00 before last updated "
                "timestamp of 2026-11-26T08:00:00.000+00:00"
            ),
            "superseded",
        ),
        (400, {}, canvas_error("Provided timestamp of x not a valid timestamp"), "failed"),
        (
            422,
            {},
            canvas_error("User not found in course or is not a student", "unprocessable_entity"),
            "failed",
        ),
        (404, {}, canvas_error("The specified resource does not exist.", "not_found"), "failed"),
    ],
)
def test_classification(status, headers, body, result):
    outcome = ags.classify(status, headers, body)
    assert (outcome.result, outcome.http_status) == (result, status)


def test_classification_explains_in_the_tools_words_never_the_platforms_body():
    failed = ags.classify(422, {}, canvas_error("User not found in course or is not a student"))
    assert failed.message.startswith("The LMS says this person is not a gradable student")
    moodle = ags.classify(
        400, {}, json.dumps({"exception": "x", "errorcode": "y", "message": "Not gradable"})
    )
    assert moodle.result == "failed" and "not a gradable student" in moodle.message
    # whatever a platform (or anything posing as one) answers, none of it reaches a page
    reflected = ags.classify(400, {}, "<html>secret internal page: db-password=hunter2</html>")
    assert reflected.message == "The LMS refused the request (HTTP 400)."
    assert "hunter2" not in ags.classify(500, {}, "hunter2").message
    assert ags.classify(429, {"Retry-After": "12"}, "").retry_after_s == 12
    when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)
    dated = ags.classify(503, {"Retry-After": email.utils.format_datetime(when)}, "")
    assert dated.retry_after_s is not None and 80 <= dated.retry_after_s <= 90
    assert ags.classify(503, {"Retry-After": "soon"}, "").retry_after_s is None


def test_backoff_is_full_jitter_capped_and_honours_retry_after():
    import random

    policy = jobs.RetryPolicy(base_s=2, cap_s=600)
    rng = random.Random(1)
    delays = [policy.delay(n, None, rng) for n in range(1, 30)]
    assert all(
        0 <= d <= min(600, 2 * 2 ** (n - 1)) for n, d in zip(range(1, 30), delays, strict=True)
    )
    assert max(delays) > 100  # grows toward the cap
    assert policy.delay(1, 30, rng) >= 30
    assert policy.delay(1, 10**6, rng) == 3600  # an absurd Retry-After is bounded


@pytest.fixture
def canvas_reg(app_ctx):
    """A registration that is never stored (the token cache keys on its id), of a tenant of its
    own (its signing key is made on first use)."""
    tenant = Tenant(name=f"AGS school {secrets.token_hex(4)}", settings={})
    db.session.add(tenant)
    db.session.commit()
    return Registration(
        id=900000 + secrets.randbelow(99999),
        tenant_id=tenant.id,
        name="Canvas",
        issuer="https://canvas.instructure.com",
        client_id="10000000000001",
        auth_login_url=f"{CANVAS}/api/lti/authorize_redirect",
        auth_token_url=TOKEN_URL,
        key_set_url=f"{CANVAS}/api/lti/security/jwks",
    )


# A Canvas line item as its AGS documentation shows it: the tool's own column.
OWNED_COLUMN = {
    "id": LINE_ITEM,
    "scoreMaximum": 100.0,
    "label": "Micro-internship credit",
    "resourceId": "career-credit",
    "tag": "micro-internship-credit",
    "resourceLinkId": "6e2c6c1d-6ea5-4c38-a9a0-8d0c6e9b5e11",
    "https://canvas.instructure.com/lti/submission_type": {"type": "external_tool"},
}


@pytest.fixture
def column(requests_mock):
    """The line item the scores go to, as Canvas answers a GET of it."""
    return requests_mock.get(f"{LINE_ITEM}?include=x", json={**OWNED_COLUMN, "id": LINE_ITEM})


def message(**payload) -> Message:
    base = {
        "lineitem": f"{LINE_ITEM}?include=x",
        "userId": "535fa085f22b4655f48cd5a36a9215f64c062838",
        "scoreGiven": 2.5,
        "scoreMaximum": 3,
        "comment": None,
        "timestamp": "2026-11-26T08:04:52.123+00:00",
    }
    return Message(1, 1, 1, ags.KIND_SCORE, {**base, **payload}, "award:1", 1)


def test_score_request_is_exactly_what_canvas_expects(canvas_reg, requests_mock, column):
    token = requests_mock.post(TOKEN_URL, json={"access_token": "tok-1", "expires_in": 3600})
    scores = requests_mock.post(f"{LINE_ITEM}/scores?include=x", json={"resultUrl": "r"})

    outcome = jobs.send_one(message(), canvas_reg)

    assert outcome.result == "sent"
    assert token.call_count == 1
    form = dict(p.split("=", 1) for p in token.last_request.text.split("&"))
    assert form["grant_type"] == "client_credentials"
    # one token for the check of the column and the score
    assert requests.utils.unquote(form["scope"].replace("+", " ")) == (
        f"{ags.SCOPE_LINEITEM} {ags.SCOPE_SCORE}"
    )
    assert column.call_count == 1
    assert column.last_request.headers["Accept"] == ags.LINEITEM_MEDIA
    sent = scores.last_request
    assert sent.headers["Content-Type"] == "application/vnd.ims.lis.v1.score+json"
    assert sent.headers["Authorization"] == "Bearer tok-1"
    body = sent.json()
    assert body["timestamp"] == "2026-11-26T08:04:52.123+00:00"
    assert body["https://canvas.instructure.com/lti/submission"] == {"new_submission": False}
    assert (body["scoreGiven"], body["scoreMaximum"]) == (2.5, 3)
    assert "comment" not in body

    jobs.send_one(message(), canvas_reg)
    assert token.call_count == 1  # cached per registration + scopes


def test_a_score_for_a_column_that_is_not_the_tools_is_refused_before_any_post(
    canvas_reg, requests_mock
):
    """The gradebook-column bug: a queued score naming a quiz's column is never posted."""
    requests_mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
    scores = requests_mock.post(f"{LINE_ITEM}/scores?include=x", json={})
    quiz = {"id": LINE_ITEM, "scoreMaximum": 10.0, "label": "Week 5 quiz", "resourceLinkId": "q"}
    requests_mock.get(f"{LINE_ITEM}?include=x", json=quiz)

    refused = jobs.send_one(message(), canvas_reg)

    assert refused.result == "failed"
    assert "'Week 5 quiz' is not Career Credit's" in refused.message
    assert scores.call_count == 0
    # the tool's mark in the tag alone is enough (positive control on the same line item)
    requests_mock.get(f"{LINE_ITEM}?include=x", json={**quiz, "tag": ags.OWN_TAG})
    assert jobs.send_one(message(), canvas_reg).result == "sent"
    assert scores.call_count == 1


def test_a_deleted_column_fails_with_its_reason_and_is_read_again(canvas_reg, requests_mock):
    requests_mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
    column = requests_mock.get(f"{LINE_ITEM}?include=x", json=OWNED_COLUMN)
    scores = requests_mock.post(
        f"{LINE_ITEM}/scores?include=x",
        [{"status_code": 200, "json": {}}, {"status_code": 404, "json": {"errors": "gone"}}],
    )
    assert jobs.send_one(message(), canvas_reg).result == "sent"
    assert jobs.send_one(message(), canvas_reg).result == "failed"  # deleted since the check
    assert column.call_count == 1  # the check is remembered while the column answers
    requests_mock.get(f"{LINE_ITEM}?include=x", status_code=404, json={"errors": "not found"})
    gone = jobs.send_one(message(), canvas_reg)
    assert (gone.result, gone.http_status) == ("failed", 404)
    assert "no longer exists" in gone.message
    assert scores.call_count == 2  # nothing posted after the column was found gone


def test_a_401_refreshes_the_token_once(canvas_reg, requests_mock, column):
    token = requests_mock.post(
        TOKEN_URL,
        [
            {"json": {"access_token": "old", "expires_in": 3600}},
            {"json": {"access_token": "new", "expires_in": 3600}},
            {"json": {"access_token": "newer", "expires_in": 3600}},
        ],
    )
    scores = requests_mock.post(
        f"{LINE_ITEM}/scores?include=x",
        [{"status_code": 401, "text": "expired"}, {"status_code": 200, "json": {}}],
    )
    assert jobs.send_one(message(), canvas_reg).result == "sent"
    assert [r.headers["Authorization"] for r in scores.request_history] == [
        "Bearer old",
        "Bearer new",
    ]
    requests_mock.post(f"{LINE_ITEM}/scores?include=x", status_code=401, text="nope")
    refused = jobs.send_one(message(), canvas_reg)
    assert (refused.result, refused.http_status) == ("retry", 401)  # once, then transient
    assert token.call_count == 3


def test_network_and_token_errors_are_transient(canvas_reg, requests_mock, column):
    requests_mock.post(TOKEN_URL, status_code=503, text="down")
    assert jobs.send_one(message(), canvas_reg).result == "retry"
    requests_mock.post(TOKEN_URL, json={"access_token": "t", "expires_in": 3600})
    requests_mock.post(f"{LINE_ITEM}/scores?include=x", exc=requests.ConnectTimeout)
    timed_out = jobs.send_one(message(), canvas_reg)
    assert timed_out.result == "retry"
    assert "t" not in timed_out.message.split()  # the token never reaches a message


def test_senders_starting_together_fetch_one_token(app, canvas_reg, requests_mock, column):
    from lti_tool.lti import services_client

    token = requests_mock.post(TOKEN_URL, json={"access_token": "shared", "expires_in": 3600})
    barrier = threading.Barrier(8)
    got: list[str] = []

    def sender() -> None:
        with app.app_context():
            barrier.wait()
            got.append(services_client.access_token(canvas_reg, (ags.SCOPE_SCORE,)))

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert got == ["shared"] * 8
    assert token.call_count == 1
    # After a 401, threads that saw the refused token share one new fetch as well.
    token = requests_mock.post(TOKEN_URL, json={"access_token": "renewed", "expires_in": 3600})
    refused = [
        services_client.access_token(canvas_reg, (ags.SCOPE_SCORE,), refused="shared")
        for _ in range(3)
    ]
    assert refused == ["renewed"] * 3
    assert token.call_count == 1


def test_each_thread_keeps_its_own_session_and_the_environments_proxies(monkeypatch):
    from lti_tool.lti import services_client

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.edu:3128")
    mine = services_client.session()
    assert services_client.session() is mine  # kept alive between calls
    theirs: list[requests.Session] = []
    thread = threading.Thread(target=lambda: theirs.append(services_client.session()))
    thread.start()
    thread.join(10)
    assert theirs and theirs[0] is not mine

    fresh = services_client.ServiceSession()
    settings = fresh.merge_environment_settings(LINE_ITEM, {}, None, None, None)
    assert settings["proxies"]["https"] == "http://proxy.example.edu:3128"  # read once, kept
    assert fresh.merge_environment_settings(LINE_ITEM, {}, None, None, None) == settings
    explicit = fresh.merge_environment_settings(
        LINE_ITEM, {"https": "http://other:8080"}, None, None, None
    )
    assert explicit["proxies"]["https"] == "http://other:8080"  # explicit settings still win


def test_line_item_is_found_or_created_by_resource_id_and_tag(app, sandbox):
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.issuer, Registration.client_id == sandbox.client_id
            )
        )
        assert reg is not None
        container = sandbox.api_url("bus-390", "line_items") + "?limit=100"
        resource = f"credit-{secrets.token_hex(4)}"
        created = ags.find_or_create_line_item(
            reg.id,
            container,
            label="Micro-internship credit",
            score_maximum=3,
            resource_id=resource,
            tag="career-credit",
        )
        again = ags.find_or_create_line_item(
            reg.id,
            container,
            label="Micro-internship credit",
            score_maximum=3,
            resource_id=resource,
            tag="career-credit",
        )
        other_tag = ags.find_line_items(reg.id, container, resource_id=resource, tag="other")
        db.session.rollback()
    assert created.id.startswith(sandbox.api_url("bus-390", "line_items") + "/")
    assert (created.label, created.score_maximum, created.resource_id, created.tag) == (
        "Micro-internship credit",
        3.0,
        resource,
        "career-credit",
    )
    assert again == created
    assert other_tag == []
    with pytest.raises(ValueError, match="resource_id or a tag"):
        ags.find_or_create_line_item(1, container, label="x", score_maximum=1)
