"""Real launches: OIDC login through the tool, id_tokens signed by an independent platform
(lti1p3platform) whose key set the tool fetches over HTTP. Each refusal names its reason,
and each negative case runs after a positive control launch succeeded."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Course, Deployment, Enrolment, Launch, LtiState, User
from tests.helpers import counted
from tests.platform import CLAIM, PAGE_ADDRESS, LmsPlatform, page_address


def reason(resp) -> str:
    match = re.search(r'data-reason="([\w-]+)"', resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)[:500]
    return match.group(1)


def correlation(resp) -> str:
    return re.search(r'data-correlation-id="(\w+)"', resp.get_data(as_text=True)).group(1)


def test_student_launch_lands_on_student_home(lti, app):
    launched = lti.launch(sub="stu-a", role="student", name="Ana Alvarez")
    assert launched.home.status_code == 200
    page = launched.home.get_data(as_text=True)
    assert "Ana Alvarez" in page
    assert "BUS 390 Internship Seminar" in page
    assert "Student" in page
    with app.app_context():
        user = db.session.scalar(
            select(User).where(User.sub == "stu-a", User.tenant_id == lti.platform.tenant_id)
        )
        assert user.email == "stu-a@example.edu"
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id))
        assert enrolment.role == "student"


@pytest.mark.parametrize(
    ("role", "heading"), [("student", "Welcome,"), ("faculty", "Students and staff in this course")]
)
def test_the_launch_answers_with_the_page_itself(lti, app, role, heading):
    """No redirect after the launch POST: it answers with the role's page, which puts its own
    address (with the launch id) in the browser's history in place of the POST, so a reload
    is a GET of the page, never the id_token posted again; the page is the one that GET
    shows, with the page's headers."""
    launched = lti.launch(sub=f"once-{role}", role=role, follow=False)
    resp = launched.response
    assert resp.status_code == 200 and "Location" not in resp.headers
    address = page_address(resp)
    assert address == f"/home/{role}?lid={launched.lid}"
    text = resp.get_data(as_text=True)
    assert heading in text and 'id="main"' in text
    assert resp.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'self'" in resp.headers["Content-Security-Policy"]
    cookieless = app.test_client()  # a browser in an iframe that keeps no cookie reloads
    reloaded = cookieless.get(address)
    assert reloaded.status_code == 200 and heading in reloaded.get_data(as_text=True)
    # (its forms' CSRF tokens work without the cookie: test_admin's
    # test_approve_pending_deployment_without_cookie posts the launch page's own form)


def test_a_launch_whose_page_fails_is_kept_and_its_reload_shows_the_page(lti, app, monkeypatch):
    """The launch is committed before its page renders: a page that fails (a panel's bug)
    answers 500, but the launch is kept and its state used, and the error page's address is
    the page's own, so a reload (a GET) shows the page once it works again."""
    panels = list(app.extensions["home_panels"])
    broken = [*panels, ("student", "home/student.html", lambda ctx: 1 / 0)]
    monkeypatch.setitem(app.extensions, "home_panels", broken)
    params = lti.login("stu-broken-page")
    body = lti.platform.claims(
        sub="stu-broken-page", role="student", nonce=params["nonce"], context={"id": "c1"}
    )
    token = lti.platform.sign(body)
    resp = lti.post(token, params["state"])
    assert resp.status_code == 500 and reason(resp) == "internal"
    found = PAGE_ADDRESS.search(resp.get_data(as_text=True))  # the error page names the page's
    assert found and found.group(1).startswith("/home/student?lid="), resp.get_data(as_text=True)
    address = found.group(1)
    monkeypatch.setitem(app.extensions, "home_panels", panels)  # fixed
    again = app.test_client().get(address)
    assert again.status_code == 200 and "Person stu-broken-page" in again.get_data(as_text=True)
    replay = lti.post(token, params["state"])
    assert replay.status_code == 400 and reason(replay) == "replayed"


def test_launch_id_in_url_works_without_cookie(lti, app):
    launched = lti.launch(sub="stu-nocookie", follow=False)
    fresh = app.test_client()  # a browser that kept no cookie
    resp = fresh.get(f"/home/student?lid={launched.lid}")
    assert resp.status_code == 200
    assert "Person stu-nocookie" in resp.get_data(as_text=True)
    assert fresh.get("/home/student").status_code == 401


def test_launch_records_term_from_custom_variables(lti, app):
    lti.launch(
        sub="stu-term",
        course="course-term",
        custom={
            "term_name": "Fall 2026",
            "term_start": "2026-08-24",
            "term_end": "$Canvas.term.endAt",
        },
    )
    with app.app_context():
        course = db.session.scalar(
            select(Course).where(
                Course.context_id == "course-term", Course.tenant_id == lti.platform.tenant_id
            )
        )
        assert (course.term_name, course.term_start, course.term_end) == (
            "Fall 2026",
            "2026-08-24",
            None,
        )


def _control(lti) -> None:
    assert page_address(lti.launch(sub="control", follow=False).response)


def _refused(
    lti, body_changes=None, *, headers=None, sign_with=None, state=None, drop=()
) -> tuple[object, str]:
    params = lti.login("stu-neg")
    body = lti.platform.claims(
        sub="stu-neg", role="student", nonce=params["nonce"], context={"id": "c-neg", "title": "T"}
    )
    body.update(body_changes or {})
    for key in drop:
        body.pop(key, None)
    token = (sign_with or lti.platform).sign(body, headers=headers)
    resp = lti.post(token, state or params["state"])
    assert 400 <= resp.status_code < 500
    return resp, reason(resp)


def test_bad_signature(lti, make_platform, keyset):
    _control(lti)
    impostor = LmsPlatform(
        issuer=lti.platform.issuer,
        client_id=lti.platform.client_id,
        deployment_id="dep-1",
        keyset=keyset,
    )
    impostor.registration.set_platform_private_key(impostor.registration.get_platform_private_key())
    # same kid as the real platform, different private key
    body_kid = lti.platform.registration.get_kid()
    _, why = _refused(lti, headers={"kid": body_kid}, sign_with=impostor)
    assert why == "bad_signature"


def test_expired_token(lti):
    _control(lti)
    past = int(time.time()) - 3600
    _, why = _refused(lti, {"iat": past - 300, "exp": past})
    assert why == "expired"


def test_wrong_audience(lti):
    _control(lti)
    _, why = _refused(lti, {"aud": "someone-else"})
    assert why == "wrong_audience"


def test_unsigned_token(lti):
    _control(lti)
    params = lti.login("stu-neg")
    import base64
    import json

    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    body = lti.platform.claims(sub="stu-neg", role="student", nonce=params["nonce"])
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(body)}."
    resp = lti.post(token, params["state"])
    assert resp.status_code == 400
    assert reason(resp) == "unsigned"


def test_login_reads_and_writes_with_no_transaction_of_its_own(lti, app):
    """The login reads its registration and writes its state record, and the record is kept for
    the launch that follows, which then succeeds. On PostgreSQL each of the two statements
    commits by itself: the request's session opens no transaction (no BEGIN and COMMIT round
    trips). SQLite has no round trip to save and keeps the request's session."""
    _control(lti)
    began: list[object] = []
    caller = threading.get_ident()  # the test client serves the login in this thread

    def on_begin(_session: object, transaction: object, _connection: object) -> None:
        if threading.get_ident() == caller:
            began.append(transaction)

    event.listen(Session, "after_begin", on_begin)
    try:
        with app.app_context(), counted(this_thread=True) as statements:
            params = lti.login("stu-own-connection")
    finally:
        event.remove(Session, "after_begin", on_begin)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
    assert len(began) == (0 if postgres else 1)
    assert len(statements) == 2, statements
    assert statements[0].lstrip().upper().startswith("SELECT")
    assert "registration" in statements[0]
    assert statements[1].lstrip().upper().startswith("INSERT INTO LTI_STATE")
    with app.app_context():
        kept = db.session.scalar(select(LtiState).where(LtiState.key == f"state:{params['state']}"))
        assert kept is not None and params["nonce"] in kept.value
    body = lti.platform.claims(
        sub="stu-own-connection",
        role="student",
        nonce=params["nonce"],
        context={"id": "course-1", "title": "BUS 390 Internship Seminar"},
    )
    assert page_address(lti.post(lti.platform.sign(body), params["state"]))


def test_unknown_issuer_at_login(lti):
    _control(lti)
    resp = lti.client.post(
        "/lti/login", data={"iss": "https://nobody.example", "login_hint": "x", "client_id": "c"}
    )
    assert resp.status_code == 400
    assert reason(resp) == "unknown_issuer"


def test_unknown_client_id_at_login(lti):
    _control(lti)
    resp = lti.client.post(
        "/lti/login", data={"iss": lti.platform.issuer, "login_hint": "x", "client_id": "not-ours"}
    )
    assert resp.status_code == 400
    assert reason(resp) == "unknown_client"


def test_missing_deployment_id(lti):
    _control(lti)
    _, why = _refused(lti, drop=(CLAIM + "deployment_id",))
    assert why == "missing_deployment"


def test_missing_nonce(lti):
    _control(lti)
    _, why = _refused(lti, drop=("nonce",))
    assert why == "missing_nonce"


def test_replayed_id_token(lti):
    params = lti.login("stu-replay")
    body = lti.platform.claims(
        sub="stu-replay", role="student", nonce=params["nonce"], context={"id": "c1", "title": "T"}
    )
    token = lti.platform.sign(body)
    assert page_address(lti.post(token, params["state"]))
    resp = lti.post(token, params["state"])
    assert resp.status_code == 400
    assert reason(resp) == "replayed"


def test_consumed_nonce_reused_after_fresh_login(lti):
    params = lti.login("stu-replay2")
    body = lti.platform.claims(
        sub="stu-replay2", role="student", nonce=params["nonce"], context={"id": "c1", "title": "T"}
    )
    token = lti.platform.sign(body)
    assert page_address(lti.post(token, params["state"]))
    fresh = lti.login("stu-replay2")
    resp = lti.post(token, fresh["state"])
    assert resp.status_code == 400
    assert reason(resp) == "replayed_nonce"


def test_blocked_cookie_offers_a_new_window(lti, app):
    _control(lti)
    params = lti.login("stu-state")
    body = lti.platform.claims(
        sub="stu-state", role="student", nonce=params["nonce"], context={"id": "c1", "title": "T"}
    )
    cookieless = app.test_client()  # the browser dropped the state cookie in the frame
    resp = cookieless.post(
        "/lti/launch", data={"id_token": lti.platform.sign(body), "state": params["state"]}
    )
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'data-reason="cookies_blocked"' in page
    restart = re.search(r'href="(/lti/login\?[^"]+)" target="_blank"', page).group(1)
    again = lti.client.get(restart.replace("&amp;", "&"))
    assert again.status_code == 302  # a fresh login, in a first-party window
    assert "login_hint=stu-state" in again.headers["Location"]


def test_state_cookie_of_another_login_is_a_mismatch(lti):
    _control(lti)
    first = lti.login("stu-mix")
    second = lti.login("stu-mix")
    body = lti.platform.claims(
        sub="stu-mix", role="student", nonce=first["nonce"], context={"id": "c1", "title": "T"}
    )
    lti.client.delete_cookie(f"lti1p3-{first['state']}")
    lti.client.set_cookie(f"lti1p3-{first['state']}", second["state"])
    resp = lti.post(lti.platform.sign(body), first["state"])
    assert resp.status_code == 400
    assert reason(resp) == "state_mismatch"


def _storage_login(lti, sub):
    resp = lti.client.post(
        "/lti/login",
        data={
            "iss": lti.platform.issuer,
            "login_hint": sub,
            "client_id": lti.platform.client_id,
            "target_link_uri": "http://127.0.0.1/lti/launch",
            "lti_storage_target": "post_message_forwarding",
        },
    )
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    data = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', page))
    assert data["target"] == "post_message_forwarding"
    assert data["origin"] == f"http://localhost:{lti.platform.keyset.port}"
    return data


def test_platform_storage_launch_without_cookies(lti, app):
    _control(lti)
    data = _storage_login(lti, "stu-storage")
    body = lti.platform.claims(
        sub="stu-storage", role="student", nonce=data["nonce"], context={"id": "c1", "title": "T"}
    )
    token = lti.platform.sign(body)
    cookieless = app.test_client()
    check = cookieless.post("/lti/launch", data={"id_token": token, "state": data["state"]})
    assert check.status_code == 200  # the page that reads state and nonce back with lti.get_data
    assert 'data-step="launch"' in check.get_data(as_text=True)
    forged = cookieless.post(
        "/lti/launch",
        data={
            "id_token": token,
            "state": data["state"],
            "lti_storage_state": "state-other",
            "lti_storage_nonce": data["nonce"],
        },
    )
    assert reason(forged) == "state_mismatch"
    done = cookieless.post(
        "/lti/launch",
        data={
            "id_token": token,
            "state": data["state"],
            "lti_storage_state": data["state"],
            "lti_storage_nonce": data["nonce"],
        },
    )
    assert page_address(done)
    replay = cookieless.post(
        "/lti/launch",
        data={
            "id_token": token,
            "state": data["state"],
            "lti_storage_state": data["state"],
            "lti_storage_nonce": data["nonce"],
        },
    )
    assert reason(replay) == "replayed"


def test_unknown_state(lti):
    _control(lti)
    _, why = _refused(lti, state="state-forged")
    assert why == "state_mismatch"


def test_unsupported_message_type(lti):
    _control(lti)
    _, why = _refused(lti, {CLAIM + "message_type": "LtiSubmissionReviewRequest"})
    assert why == "unsupported_message"


def test_failure_page_has_correlation_id_in_log(lti, caplog):
    _control(lti)
    resp, _ = _refused(lti, {"aud": "someone-else"})
    cid = correlation(resp)
    assert cid in caplog.text
    assert "stu-neg@example.edu" not in caplog.text


def test_unknown_deployment_recorded_and_allowed_when_not_strict(lti, app):
    params = lti.login("stu-dep")
    body = lti.platform.claims(
        sub="stu-dep",
        role="student",
        nonce=params["nonce"],
        context={"id": "c1", "title": "T"},
        extra={CLAIM + "deployment_id": "course-copy-7"},
    )
    assert page_address(lti.post(lti.platform.sign(body), params["state"]))
    with app.app_context():
        dep = db.session.scalar(
            select(Deployment).where(
                Deployment.deployment_id == "course-copy-7",
                Deployment.tenant_id == lti.platform.tenant_id,
            )
        )
        assert dep.status == "active"
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "deployment.first_seen",
                    AuditEntry.tenant_id == lti.platform.tenant_id,
                )
            )
            == 1
        )


def test_strict_deployments_refuse_then_approve(make_platform, driver, runner, app):
    platform = make_platform(strict=True)
    lti = driver(platform)
    _control(lti)
    params = lti.login("stu-strict")
    body = platform.claims(
        sub="stu-strict",
        role="student",
        nonce=params["nonce"],
        context={"id": "c1", "title": "T"},
        extra={CLAIM + "deployment_id": "new-dep-9"},
    )
    resp = lti.post(platform.sign(body), params["state"])
    assert resp.status_code == 400
    assert reason(resp) == "unknown_deployment"
    assert "new-dep-9" in resp.get_data(as_text=True)
    result = runner.invoke(
        args=[
            "registration",
            "deployments",
            "approve",
            "--issuer",
            platform.issuer,
            "--client-id",
            platform.client_id,
            "--deployment-id",
            "new-dep-9",
        ]
    )
    assert result.exit_code == 0, result.output
    params = lti.login("stu-strict")
    body["nonce"] = params["nonce"]
    assert page_address(lti.post(platform.sign(body), params["state"]))


def test_platform_key_rotation_refetches_unknown_kid(lti, keyset):
    _control(lti)
    before = keyset.fetches.get(lti.platform.name, 0)
    lti.platform.rotate_key()
    assert page_address(lti.launch(sub="after-rotation", follow=False).response)
    assert keyset.fetches[lti.platform.name] == before + 1
    assert page_address(lti.launch(sub="after-rotation-2", follow=False).response)
    assert keyset.fetches[lti.platform.name] == before + 1  # cached again


def test_launch_get_is_a_clear_error(client):
    resp = client.get("/lti/launch")
    assert resp.status_code == 400
    assert reason(resp) == "not_a_launch"


@pytest.mark.parametrize("junk", ["", "a.b", "x" * 5000, "a.b.c.d", "eyJhbGciOiJSUzI1NiJ9.e30."])
def test_garbage_id_tokens_are_4xx(lti, junk):
    params = lti.login("stu-junk")
    resp = lti.post(junk, params["state"])
    assert resp.status_code == 400


def test_every_launch_row_expires(lti, app):
    launched = lti.launch(sub="stu-exp", follow=False)
    with app.app_context():
        launch = db.session.get(Launch, launched.lid)
        assert launch.expires_at > launch.created_at
