"""Course outcomes from the LMS through the pages: a faculty member authorises Career Credit in
Canvas (OAuth2, tokens encrypted), reads the course's outcomes across pages, the token is
refreshed when it lapses, access is revoked; Moodle competencies through a web-service token."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, text

from accreditation.frameworks.models import CanvasAuthorization, Framework
from lti_tool.actor import Actor
from lti_tool.admin.services.connections import CredentialsUpdate, set_credentials
from lti_tool.extensions import db
from lti_tool.registration.services.tenants import find_registration
from tests.connectors.conftest import fixture
from tests.connectors.test_canvas import GROUPS, LINKS, link_header
from tests.helpers import csrf_token, launch_csrf, reason

CANVAS = "https://school.instructure.com"
MOODLE = "https://moodle.example.edu"


def configure(app, platform, **values) -> None:
    with app.app_context():
        reg = find_registration(platform.issuer, platform.client_id)
        actor = Actor(reg.tenant_id, "tests")
        set_credentials(actor, reg, CredentialsUpdate(**values), allow_http=False)
        db.session.commit()


@pytest.fixture
def canvas_mock(requests_mock):
    requests_mock.real_http = True  # launches fetch the test platform's keys for real
    requests_mock.post(
        f"{CANVAS}/login/oauth2/token",
        [
            {"json": fixture("canvas", "oauth_token.json")},
            {"json": fixture("canvas", "oauth_refresh.json")},
        ],
    )
    requests_mock.delete(f"{CANVAS}/login/oauth2/token", json={})
    for url, name in ((GROUPS, "outcome_groups"), (LINKS, "outcome_group_links")):
        requests_mock.get(
            url, json=fixture("canvas", f"{name}_page1.json"), headers=link_header(url, 1, 2)
        )
        requests_mock.get(
            f"{url}?page=2",
            json=fixture("canvas", f"{name}_page2.json"),
            headers=link_header(url, 2, 2),
        )
    return requests_mock


def faculty(driver, platform, sub="prof-1", custom=None):
    lti = driver(platform)
    launched = lti.launch(
        sub=sub,
        role="faculty",
        follow=False,
        custom=custom if custom is not None else {"canvas_course_id": "101"},
    )
    return lti.client, launched.lid


def authorise(client, lid) -> str:
    page = client.get(f"/frameworks/lms?lid={lid}")
    assert "Authorize with Canvas" in page.get_data(as_text=True)
    resp = client.post(
        "/frameworks/lms/canvas/authorize", data={"lid": lid, "csrf_token": csrf_token(page)}
    )
    assert resp.status_code == 303
    target = urlsplit(resp.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{CANVAS}/login/oauth2/auth"
    query = parse_qs(target.query)
    assert query["client_id"] == ["10000000000123"]
    # the redirect URI Canvas developer keys name, from before the pages moved to /frameworks
    assert query["redirect_uri"] == ["http://localhost/outcomes/lms/canvas/callback"]
    # Canvas sends the browser back there (without the launch id: the state names it), which
    # answers a permanent redirect to the callback with Canvas's answer intact
    answer = {"code": "code-1", "state": query["state"][0]}
    sent = client.get("/outcomes/lms/canvas/callback", query_string=answer)
    assert sent.status_code == 308
    callback = urlsplit(sent.headers["Location"])
    assert callback.path == "/frameworks/lms/canvas/callback"
    assert parse_qs(callback.query) == {k: [v] for k, v in answer.items()}
    done = client.get(sent.headers["Location"])
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert "Career Credit is authorized" in done.get_data(as_text=True)
    return query["state"][0]


def test_authorise_read_refresh_and_revoke(app, driver, platform, canvas_mock):
    configure(
        app,
        platform,
        canvas_url=CANVAS,
        canvas_oauth_client_id="10000000000123",
        canvas_oauth_client_secret="dev-key-secret",
    )
    client, lid = faculty(driver, platform)
    authorise(client, lid)
    with app.app_context():
        auth = db.session.scalar(
            select(CanvasAuthorization).where(CanvasAuthorization.tenant_id == platform.tenant_id)
        )
        assert auth.access_token == "7~wE3rTjk2uQyFAKEaccessTOKENfirst0001"
        raw = db.session.execute(
            text(
                "SELECT access_token, refresh_token FROM canvas_authorization WHERE tenant_id = :t"
            ),
            {"t": platform.tenant_id},
        ).one()
        assert all(v.startswith("fernet:") and "FAKE" not in v for v in raw)

    page = client.get(f"/frameworks/lms?lid={lid}")
    token = csrf_token(page)
    resp = client.post("/frameworks/lms/read/canvas", data={"lid": lid, "csrf_token": token})
    assert resp.status_code == 303, resp.get_data(as_text=True)[:500]
    detail = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Read 5 outcomes: 5 new" in detail  # two groups + three outcomes
    for title in ("Professional practice", "Client communication", "Reflective practice"):
        assert title in detail
    with app.app_context():
        fw = db.session.scalar(
            select(Framework).where(
                Framework.source == "lms", Framework.tenant_id == platform.tenant_id
            )
        )
        assert fw.kind == "course" and fw.course_id is not None
        rows = {i.current.name: i for i in fw.items}
        assert rows["Client communication"].parent_id == rows["Professional practice"].id

    # the access token lapses: refreshed first, the old refresh token kept
    with app.app_context():
        auth = db.session.scalar(
            select(CanvasAuthorization).where(CanvasAuthorization.tenant_id == platform.tenant_id)
        )
        auth.expires_at = dt.datetime(2020, 1, 1)
        db.session.commit()
    again = client.post("/frameworks/lms/read/canvas", data={"lid": lid, "csrf_token": token})
    assert "0 new, 0 changed" in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        auth = db.session.scalar(
            select(CanvasAuthorization).where(CanvasAuthorization.tenant_id == platform.tenant_id)
        )
        assert auth.access_token == "7~nEwAcCeSsFAKEtoken0003"
        assert auth.refresh_token == "7~rEfReShFAKEtoken0002"
    outcome_calls = [r for r in canvas_mock.request_history if "/api/v1/" in r.url]
    assert outcome_calls[-1].headers["Authorization"] == "Bearer 7~nEwAcCeSsFAKEtoken0003"

    resp = client.post("/frameworks/lms/canvas/revoke", data={"lid": lid, "csrf_token": token})
    assert resp.status_code == 303
    deletes = [r for r in canvas_mock.request_history if r.method == "DELETE"]
    assert deletes[-1].headers["Authorization"] == "Bearer 7~nEwAcCeSsFAKEtoken0003"
    with app.app_context():
        assert (
            db.session.scalar(
                select(CanvasAuthorization).where(
                    CanvasAuthorization.tenant_id == platform.tenant_id
                )
            )
            is None
        )


def test_a_forged_or_foreign_state_is_refused(app, driver, platform, canvas_mock):
    configure(
        app,
        platform,
        canvas_url=CANVAS,
        canvas_oauth_client_id="10000000000123",
        canvas_oauth_client_secret="dev-key-secret",
    )
    client, lid = faculty(driver, platform)
    state = authorise(client, lid)  # control
    forged = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    resp = client.get(
        "/frameworks/lms/canvas/callback", query_string={"code": "c", "state": forged}
    )
    assert resp.status_code == 403 and reason(resp) == "oauth_state"
    resp = client.get("/frameworks/lms/canvas/callback", query_string={"code": "c"})
    assert resp.status_code == 403 and reason(resp) == "oauth_state"
    page = client.get(f"/frameworks/lms?lid={lid}")
    fresh = client.post(
        "/frameworks/lms/canvas/authorize", data={"lid": lid, "csrf_token": csrf_token(page)}
    )
    state = parse_qs(urlsplit(fresh.headers["Location"]).query)["state"][0]  # states are single-use
    declined = client.get(
        "/frameworks/lms/canvas/callback", query_string={"error": "access_denied", "state": state}
    )
    assert "Nothing was authorized" in declined.get_data(as_text=True)


def test_reading_without_setup_or_authorisation_says_what_to_do(app, driver, platform, canvas_mock):
    client, lid = faculty(driver, platform)
    page = client.get(f"/frameworks/lms?lid={lid}")
    assert "not connected to your LMS" in page.get_data(as_text=True)
    resp = client.post(
        "/frameworks/lms/read/canvas",
        data={"lid": lid, "csrf_token": launch_csrf(app, lid)},
        follow_redirects=True,
    )
    assert "You have not authorized Career Credit" in resp.get_data(as_text=True)
    resp = client.post(
        "/frameworks/lms/canvas/authorize",
        data={"lid": lid, "csrf_token": launch_csrf(app, lid)},
    )
    assert resp.status_code == 422 and reason(resp) == "canvas_not_configured"


def test_canvas_throttling_is_reported_on_the_page(app, driver, platform, canvas_mock, monkeypatch):
    import connectors.canvas.outcomes

    monkeypatch.setattr(connectors.canvas.outcomes.time, "sleep", lambda s: None)
    configure(
        app,
        platform,
        canvas_url=CANVAS,
        canvas_oauth_client_id="10000000000123",
        canvas_oauth_client_secret="dev-key-secret",
    )
    client, lid = faculty(driver, platform)
    authorise(client, lid)
    canvas_mock.get(GROUPS, status_code=403, text="403 Forbidden (Rate Limit Exceeded)")
    page = client.get(f"/frameworks/lms?lid={lid}")
    resp = client.post(
        "/frameworks/lms/read/canvas",
        data={"lid": lid, "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    body = resp.get_data(as_text=True)
    assert "Canvas kept limiting requests" in body and "Wait a few minutes" in body
    with app.app_context():
        assert (
            db.session.scalar(
                select(Framework).where(
                    Framework.source == "lms", Framework.tenant_id == platform.tenant_id
                )
            )
            is None
        )


def test_moodle_competencies_are_read_with_the_registration_token(
    app, driver, platform, requests_mock
):
    requests_mock.real_http = True
    server = f"{MOODLE}/webservice/rest/server.php"
    requests_mock.post(server, json=fixture("moodle", "list_course_competencies.json"))
    configure(app, platform, moodle_url=MOODLE, moodle_ws_token="ws-token-1234")
    lti = driver(platform)
    launched = lti.launch(sub="prof-2", role="faculty", course="7", follow=False)
    client, lid = lti.client, launched.lid
    page = client.get(f"/frameworks/lms?lid={lid}")
    resp = client.post(
        "/frameworks/lms/read/moodle", data={"lid": lid, "csrf_token": csrf_token(page)}
    )
    assert resp.status_code == 303
    body = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Read 3 outcomes: 3 new" in body and "Written reports" in body
    sent = parse_qs(requests_mock.last_request.text)
    assert sent["wstoken"] == ["ws-token-1234"] and sent["id"] == ["7"]
    requests_mock.post(server, json=fixture("moodle", "error_invalidtoken.json"))
    failed = client.post(
        "/frameworks/lms/read/moodle",
        data={"lid": lid, "csrf_token": csrf_token(page)},
        follow_redirects=True,
    )
    text_ = failed.get_data(as_text=True)
    assert "the web-service token is not valid (invalidtoken)" in text_
    assert "ws-token-1234" not in text_
    assert re.search(r"Ask your Moodle administrator for a new web-service token", text_)
