"""What every request pays for besides its view, made cheaper without a change of behavior:
the session cookie's signing serializer is built once per key (the same cookies, a key
rotation still takes effect), and Flask-Limiter's after-request and teardown hooks run only
for a request it counted (its headers stay on every counted one)."""

from __future__ import annotations

import secrets

from flask.sessions import SecureCookieSessionInterface

from lti_tool.web import KeptSerializerSessions


def test_the_session_serializer_is_kept_per_key_and_signs_as_flask_does(app, monkeypatch):
    sessions = app.session_interface
    assert isinstance(sessions, KeptSerializerSessions)
    flask_own = SecureCookieSessionInterface()
    kept = sessions.get_signing_serializer(app)
    assert sessions.get_signing_serializer(app) is kept  # built once
    data = {"lid": "x" * 43, "csrf_token": "t"}
    # a cookie of either verifies with the other: the same key, salt, digest and format
    assert flask_own.get_signing_serializer(app).loads(kept.dumps(data)) == data
    assert kept.loads(flask_own.get_signing_serializer(app).dumps(data)) == data

    old_cookie = kept.dumps(data)
    old_key = app.config["SECRET_KEY"]
    monkeypatch.setitem(app.config, "SECRET_KEY", secrets.token_urlsafe(32))
    rotated = sessions.get_signing_serializer(app)
    assert rotated is not kept
    assert rotated.loads(rotated.dumps(data)) == data
    assert not _verifies(rotated, old_cookie)  # the old key is no longer trusted...
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    assert sessions.get_signing_serializer(app).loads(old_cookie) == data  # ...unless kept


def _verifies(serializer, cookie: str) -> bool:
    from itsdangerous import BadSignature

    try:
        serializer.loads(cookie)
    except BadSignature:
        return False
    return True


def test_the_limiter_headers_stay_on_a_counted_page_and_none_elsewhere(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_PUBLIC", "50 per minute")
    monkeypatch.setitem(app.config, "SUPERVISOR_RATE_LIMIT", "")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    counted = client.get("/supervisor/hours/not-a-token")  # a limited blueprint's page
    assert counted.status_code == 404
    assert counted.headers["X-RateLimit-Limit"] == "50"
    assert counted.headers["X-RateLimit-Remaining"] == "49"
    assert int(counted.headers["X-RateLimit-Reset"]) > 0
    again = client.get("/supervisor/hours/not-a-token")
    assert again.headers["X-RateLimit-Remaining"] == "48"  # the context was reset and counted
    health = client.get("/healthz")  # counted by nothing
    assert health.status_code == 200
    assert not [name for name, _ in health.headers.items() if name.startswith("X-RateLimit")]


def test_a_request_the_limiter_never_saw_gets_no_limiter_state(app, monkeypatch):
    from flask import request_finished

    from lti_tool.ratelimit import _touched

    monkeypatch.setitem(app.config, "RATELIMIT_PUBLIC", "50 per minute")
    monkeypatch.setitem(app.config, "SUPERVISOR_RATE_LIMIT", "")
    seen: list[bool] = []

    def record(_sender, **_kw) -> None:  # after the after-request hooks
        seen.append(_touched())

    request_finished.connect(record, app)
    try:
        assert app.test_client().get("/healthz").status_code == 200
        assert app.test_client().get("/supervisor/hours/not-a-token").status_code == 404
    finally:
        request_finished.disconnect(record, app)
    assert seen == [False, True]
