"""Limits on what a request may carry (``lti_tool.limits``), through HTTP: an oversized body is
refused with 413 before it is read; integers no column can hold are a 404 in paths and
ignored in query strings; JSON nested too deeply is a 4xx; a launch whose claims cannot be
stored is a 400 LTI error. None of them is a 500, on SQLite or PostgreSQL."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from lti_tool import create_app
from lti_tool.extensions import db
from lti_tool.limits import INT_MAX, BoundedJSONProvider, bounded_int, json_loads
from lti_tool.models import Launch, User
from lti_tool.settings import ConfigurationError
from tests.helpers import ADVISOR_RULE, csrf_token, reason
from tests.platform import page_address

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
# Past PostgreSQL's integer (2**31), past SQLite's and bigint's (2**63), and absurd.
HUGE = (str(2**31), str(2**63), "9" * 30)
DEEP = "[" * 100_000 + "]" * 100_000


# --- request size ------------------------------------------------------------------------------


class UnreadBody(io.RawIOBase):
    """A request body that records whether anything read it (and serves a few bytes if so)."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        self.reads += 1
        if self.reads > 3:
            return 0
        buffer[:5] = b"a=b&c"
        return 5


def _declared(body: UnreadBody, megabytes: int) -> dict:
    """The WSGI environ of a body that declares its (huge) length; only what is read is sent."""
    return {"wsgi.input": body, "CONTENT_LENGTH": str(megabytes * 1024 * 1024)}


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/lti/launch", "application/x-www-form-urlencoded"),
        ("/lti/login", "multipart/form-data; boundary=xyz"),
        ("/healthz", "application/x-www-form-urlencoded"),
        ("/internships/import", "multipart/form-data; boundary=xyz"),
        ("/nowhere", "application/octet-stream"),
    ],
)
def test_a_huge_declared_body_is_refused_before_it_is_read(client, path, content_type):
    small = client.post(path, data=b"a=b", content_type=content_type)
    assert small.status_code != 413  # positive control: an ordinary body is let through
    body = UnreadBody()
    resp = client.post(path, content_type=content_type, environ_overrides=_declared(body, 500))
    assert resp.status_code == 413
    assert reason(resp) == "request_too_large"
    assert "nothing was read or saved" in resp.get_data(as_text=True)
    assert body.reads == 0, "the body was read (and spooled) although it was refused"


def test_the_413_answers_json_to_json_clients(client):
    resp = client.post(
        "/lti/launch",
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
        environ_overrides=_declared(UnreadBody(), 1000),
    )
    assert resp.status_code == 413
    assert resp.get_json()["error"] == "request_too_large"


def test_the_limit_sits_just_above_the_largest_upload(app):
    from config.default import DELIVERABLE_MAX_BYTES, RESUME_MAX_BYTES

    largest = max(DELIVERABLE_MAX_BYTES, RESUME_MAX_BYTES)
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert largest < limit <= largest + 2 * 1024 * 1024


def test_a_form_field_above_the_form_memory_limit_is_413_not_500(client, app):
    """Werkzeug's own 413 (raised while parsing the form) on the LTI launch, whose response
    headers would otherwise parse the form again."""
    ok = client.post("/lti/launch", data={"id_token": "x" * 1000, "state": "s"})
    assert ok.status_code == 400  # positive control: a small bad token is an LTI error
    assert reason(ok) == "malformed_token"
    big = "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    resp = client.post(
        "/lti/launch",
        data={"id_token": (io.BytesIO(b"t"), "t.txt"), "state": big},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413
    assert reason(resp) == "request_too_large"


def test_upload_limits_above_the_request_limit_refuse_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("CAREER_CREDIT_INSTANCE", str(tmp_path))
    create_app("config.testing", SQLALCHEMY_DATABASE_URI="sqlite://", DELIVERABLE_MAX_BYTES=10)
    with pytest.raises(ConfigurationError, match="DELIVERABLE_MAX_BYTES"):
        create_app(
            "config.testing",
            SQLALCHEMY_DATABASE_URI="sqlite://",
            DELIVERABLE_MAX_BYTES=50 * 1024 * 1024,
        )


# --- integers ----------------------------------------------------------------------------------


def test_bounded_int():
    assert bounded_int("42") == 42 and bounded_int(str(INT_MAX)) == INT_MAX
    for bad in (None, "", "x", "4 2", "1e3", "٣", str(INT_MAX + 1), "9" * 5000, "-1"):
        assert bounded_int(bad) is None, bad
    assert bounded_int("-1", low=-5) == -1


def test_oversized_ids_in_paths_are_404(lti, driver, app):
    student = driver(lti.platform)
    student.launch(sub="student-int", role="student", follow=False)
    faculty = lti.launch(sub="faculty-int", role="faculty", follow=False)
    with app.app_context():
        sid = db.session.scalar(
            select(User.id).where(
                User.sub == "student-int", User.tenant_id == lti.platform.tenant_id
            )
        )
    ok = lti.client.get(f"/credit/students/{sid}?lid={faculty.lid}")
    assert ok.status_code == 200  # positive control: the student's page
    for huge in HUGE:
        resp = lti.client.get(f"/credit/students/{huge}?lid={faculty.lid}")
        assert resp.status_code == 404, (huge, resp.status_code)
        assert reason(resp) == "http_404"
        resp = lti.client.get(f"/internships/{huge}?lid={faculty.lid}")
        assert resp.status_code == 404, (huge, resp.status_code)
        assert reason(resp) == "http_404"


def test_oversized_ids_in_query_strings_are_ignored(make_platform, driver):
    advisor = driver(make_platform(tenant_settings=ADVISOR_RULE))
    lid = advisor.launch(
        sub="advisor-int",
        role="faculty",
        course=None,
        custom={"career_credit_role": "advisor"},
        follow=False,
    ).lid
    ok = advisor.client.get(f"/reports/students?lid={lid}&course=1&employer=1&page=1")
    assert ok.status_code == 200  # positive control
    for huge in HUGE:
        for name in ("course", "employer", "page"):
            resp = advisor.client.get(f"/reports/students?lid={lid}&{name}={huge}")
            assert resp.status_code == 200, (name, huge, resp.status_code)
        resp = advisor.client.get(f"/attainment/?lid={lid}&framework={huge}&course={huge}")
        assert resp.status_code < 500, (huge, resp.status_code)


# --- JSON --------------------------------------------------------------------------------------


def test_json_nested_too_deeply_is_a_value_error():
    assert json_loads('{"a": [1]}') == {"a": [1]}
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        json_loads(DEEP)
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        json_loads(DEEP.encode())


def test_a_deeply_nested_json_request_body_is_400(app):
    from werkzeug.exceptions import BadRequest

    assert isinstance(app.json, BoundedJSONProvider)
    with app.test_request_context(
        "/", method="POST", data="[[1]]", content_type="application/json"
    ):
        from flask import request

        assert request.get_json() == [[1]]  # positive control
    with app.test_request_context("/", method="POST", data=DEEP, content_type="application/json"):
        from flask import request

        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest) as refused:
            request.get_json()
        assert refused.value.code == 400


def test_a_deeply_nested_json_import_is_refused_not_500(make_platform, driver):
    advisor = driver(make_platform(tenant_settings=ADVISOR_RULE))
    lid = advisor.launch(
        sub="advisor-json",
        role="faculty",
        course=None,
        custom={"career_credit_role": "advisor"},
        follow=False,
    ).lid
    page = advisor.client.get(f"/internships/import?lid={lid}")
    token = csrf_token(page)

    def upload(content: bytes):
        return advisor.client.post(
            "/internships/import",
            data={"lid": lid, "csrf_token": token, "file": (io.BytesIO(content), "l.json")},
            content_type="multipart/form-data",
        )

    control = upload(b"{oops")
    assert control.status_code == 422  # positive control: bad JSON is the form's error
    assert "not valid JSON" in control.get_data(as_text=True)
    resp = upload(DEEP.encode())
    assert resp.status_code == 422, resp.status_code
    assert "not valid JSON" in resp.get_data(as_text=True)


# --- claims that cannot be stored ----------------------------------------------------------------


def _launch_with(lti, **claims):
    params = lti.login("stu-text")
    body = lti.platform.claims(
        sub="stu-text", role="student", nonce=params["nonce"], context={"id": "c-t", "title": "T"}
    )
    body.update(claims)
    return lti.post(lti.platform.sign(body), params["state"])


@pytest.mark.parametrize("value", ["\ud800", "dep-\udfff", "dep\x00"])
def test_a_deployment_id_that_cannot_be_stored_is_a_400_lti_error(lti, app, value):
    ok = _launch_with(lti)
    assert page_address(ok)  # positive control: the same launch with a plain deployment id
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Launch))
    resp = _launch_with(lti, **{CLAIM + "deployment_id": value})
    assert resp.status_code == 400, resp.status_code
    assert reason(resp) == "invalid_characters"
    assert "The LMS launch could not be completed" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Launch)) == before


def test_a_client_id_that_cannot_be_stored_is_a_400_lti_error(lti):
    """With no client id remembered by the login, the audience picks the registration."""
    assert page_address(_launch_with(lti))
    resp = _launch_with(lti, aud=["\ud800"], azp="\ud800")
    assert resp.status_code == 400
    assert reason(resp) == "invalid_characters"


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "how",
    ["query", "form body on a GET", "form field", "multipart field", "file name"],
)
def test_a_nul_character_anywhere_a_form_is_read_is_a_400(client, how):
    """The query string always; a body only where werkzeug reads one as a form (urlencoded or
    multipart), whatever the method."""
    if how == "query":
        resp = client.get("/home/student", query_string={"lid": "a\x00b"})
    elif how == "form body on a GET":
        resp = client.get(
            "/home/student", data="lid=a%00b", content_type="application/x-www-form-urlencoded"
        )
    elif how == "form field":
        resp = client.post("/work/notifications/read", data={"lid": "a\x00b"})
    elif how == "multipart field":
        resp = client.post(
            "/work/notifications/read",
            data={"lid": "a\x00b", "upload": (io.BytesIO(b"x"), "plain.txt")},
            content_type="multipart/form-data",
        )
    else:
        resp = client.post(
            "/work/notifications/read",
            data={"upload": (io.BytesIO(b"x"), "bad\x00.txt")},
            content_type="multipart/form-data",
        )
    assert resp.status_code == 400, resp.status_code
    assert reason(resp) == "invalid_characters"


def test_a_body_that_is_no_form_is_not_read_for_nul_characters(client):
    """A JSON body is the view's to validate (it is no form werkzeug would parse)."""
    resp = client.post(
        "/work/notifications/read", data='{"lid": "a\\u0000b"}', content_type="application/json"
    )
    assert reason(resp) != "invalid_characters"
