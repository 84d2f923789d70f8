"""Rate limits on everything reachable without a launch: the LTI login and launch, the key
set, Dynamic Registration, install pages and public pages. A limited client gets 429 with the
plain error page; other addresses (and real launches) go on working.

The suite's app is shared, so each test sets a low limit on it and uses an address of its own
(the limits count per client address)."""

from __future__ import annotations

import os
import secrets

import pytest

from lti_tool.ratelimit import is_limited
from tests.conftest import LaunchDriver

# Public routes that are deliberately not limited: the probes (health, readiness, metrics: behind
# a token), the favicon (a static file), and the
# sandbox LMS (development and demos only; production turns it off).
UNLIMITED = {"healthz", "ops.readyz", "ops.metrics", "ops.favicon"}


def _address() -> str:
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def _client(app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = _address()
    return client


def _assert_limited(resp) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code == 429, text[:300]
    assert 'data-reason="rate_limited"' in text
    assert "Too many requests" in text and "Wait a minute and try again." in text
    assert int(resp.headers["Retry-After"]) > 0
    assert "<script>" not in text  # the plain page of every error, nothing else


def test_every_public_route_is_rate_limited(app):
    public = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and app.view_functions[rule.endpoint].required_roles == ()
        and not rule.endpoint.startswith("sandbox")
    ]
    assert "lti.oidc_login" in public and "supervisor.evaluate" in public
    unlimited = [e for e in public if e not in UNLIMITED and not is_limited(app, e)]
    assert unlimited == [], "add @rate_limited(...) or limited(bp) (lti_tool/ratelimit.py)"


def test_login_is_limited_per_address(app, platform, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LTI", "2 per minute")
    browser = LaunchDriver(_client(app), platform)
    browser.login("student-1")
    browser.login("student-1")
    _assert_limited(
        browser.client.post("/lti/login", data={"iss": platform.issuer, "login_hint": "x"})
    )
    # Another address is not affected: it logs in and launches.
    other = LaunchDriver(_client(app), platform)
    launched = other.launch(sub="student-2")
    assert launched.home.status_code == 200


def _production_lti_limits(monkeypatch, app) -> None:
    import config.default as production

    monkeypatch.setitem(app.config, "RATELIMIT_LTI", production.RATELIMIT_LTI)
    monkeypatch.setitem(app.config, "RATELIMIT_LTI_PERSON", production.RATELIMIT_LTI_PERSON)


@pytest.mark.slow
def test_a_lecture_hall_behind_one_address_all_get_in(app, platform, monkeypatch):
    """1,000 distinct students launch from one campus NAT address within a minute, under the
    production limits: every login and launch is accepted (none throttled)."""
    _production_lti_limits(monkeypatch, app)
    hall = LaunchDriver(_client(app), platform)
    prefix = secrets.token_hex(4)
    statuses = [hall.launch(sub=f"hall-{prefix}-{n}").response.status_code for n in range(1000)]
    assert statuses == [200] * 1000  # each on its home (``launch`` fails on anything else)


def test_one_person_in_a_loop_is_limited_not_their_class(app, platform, monkeypatch):
    """The per-person limit stops one student reopening the tool in a loop; a classmate behind
    the same address, and a forged token naming no one, are counted on their own."""
    _production_lti_limits(monkeypatch, app)
    monkeypatch.setitem(app.config, "RATELIMIT_LTI_PERSON", "3 per minute")
    client = _client(app)
    looping = LaunchDriver(client, platform)
    sub = f"loop-{secrets.token_hex(4)}"
    for _ in range(3):
        looping.login(sub)
    _assert_limited(client.post("/lti/login", data={"iss": platform.issuer, "login_hint": sub}))
    classmate = LaunchDriver(client, platform).launch(sub=f"mate-{secrets.token_hex(4)}")
    assert classmate.home.status_code == 200
    forged = [client.post("/lti/launch", data={"id_token": "x", "state": "y"}) for _ in range(3)]
    assert [r.status_code for r in forged] == [400, 400, 400]  # the launch's own refusal


def test_launch_is_limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LTI", "2 per minute")
    client = _client(app)
    refused = [client.post("/lti/launch", data={"id_token": "x", "state": "y"}) for _ in range(2)]
    assert [r.status_code for r in refused] == [400, 400]  # the launch's own refusal first
    _assert_limited(client.post("/lti/launch", data={"id_token": "x", "state": "y"}))


def test_key_set_is_limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LTI", "1 per minute")
    client = _client(app)
    assert client.get("/lti/jwks").status_code == 200
    _assert_limited(client.get("/lti/jwks"))


def test_registration_is_limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTRATION", "2 per minute")
    client = _client(app)
    for _ in range(2):  # no invitation: refused politely, and counted
        assert client.get("/registration/register").status_code == 403
    _assert_limited(client.get("/registration/register"))
    for _ in range(2):  # each page counts on its own
        assert client.post("/registration/register", data={}).status_code == 400
    _assert_limited(client.post("/registration/register", data={}))
    assert client.get("/registration/config/moodle").status_code == 200
    assert client.get("/registration/config/moodle").status_code == 200
    _assert_limited(client.get("/registration/config/moodle"))  # the limit counts per page
    # another client is not limited (the bare Canvas JSON names no tenant: 404, not 429)
    assert _client(app).get("/registration/config/canvas.json").status_code == 404


def test_limited_json_client_gets_json(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LTI", "1 per minute")
    client = _client(app)
    client.get("/lti/jwks")
    resp = client.get("/lti/jwks", headers={"Accept": "application/json"})
    assert resp.status_code == 429
    assert resp.get_json()["error"] == "rate_limited"


def test_public_pages_share_the_public_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_PUBLIC", "2 per minute")
    monkeypatch.setitem(app.config, "SUPERVISOR_RATE_LIMIT", "")  # the older name, unset
    client = _client(app)
    assert [client.get("/supervisor/hours/not-a-token").status_code for _ in range(2)] == [404, 404]
    _assert_limited(client.get("/supervisor/hours/not-a-token"))


def test_production_counts_in_redis(app, database_url, monkeypatch, tmp_path):
    """With Redis configured the counters live there (shared by every worker)."""
    import redis

    from lti_tool import create_app

    # its own database when the suites run side by side (scripts/run_tests.py)
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {url}: {exc}")
    try:
        shared = create_app(
            "config.testing",
            SQLALCHEMY_DATABASE_URI=database_url,
            LTI_STATE_REDIS_URL=url,
            RATELIMIT_LTI="1 per minute",
        )
        assert shared.config["RATELIMIT_STORAGE_URI"] == url
        address = _address()
        worker_one, worker_two = shared.test_client(), shared.test_client()
        for worker in (worker_one, worker_two):
            worker.environ_base["REMOTE_ADDR"] = address
        assert worker_one.get("/lti/jwks").status_code == 200
        _assert_limited(worker_two.get("/lti/jwks"))
        keys = redis.Redis.from_url(url).keys("LIMITS:*")
        assert keys, "the counter is in Redis"
    finally:
        redis.Redis.from_url(url).flushdb()
        # The limiter is one object per process: give it back process memory for the suite.
        create_app("config.testing", SQLALCHEMY_DATABASE_URI=database_url)


def test_redis_down_falls_back_to_memory_instead_of_failing(app, database_url):
    """A rate-limit store that stops answering must not turn launches into errors."""
    from lti_tool import create_app

    try:
        cut_off = create_app(
            "config.testing",
            SQLALCHEMY_DATABASE_URI=database_url,
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",  # nothing listens on port 9
            RATELIMIT_LTI="2 per minute",
        )
        client = cut_off.test_client()
        client.environ_base["REMOTE_ADDR"] = _address()
        codes = [client.get("/lti/jwks").status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # still limited, from process memory
    finally:
        create_app("config.testing", SQLALCHEMY_DATABASE_URI=database_url)


def test_memory_counters_start_no_thread_per_request_and_are_swept(monkeypatch):
    """The process-memory store (no Redis) counts without limits' timer thread per hit, and
    counters past their window are swept inline."""
    import threading
    import time

    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import FixedWindowRateLimiter

    from lti_tool.ratelimit import SweptMemoryStorage

    storage = storage_from_string("swept-memory://")
    assert isinstance(storage, SweptMemoryStorage)
    counter = FixedWindowRateLimiter(storage)
    two = parse("2 per second")
    assert [counter.hit(two, "one", "view") for _ in range(3)] == [True, True, False]
    storage.timer.join()  # the one timer limits starts with the store
    threads = threading.active_count()
    for n in range(200):
        counter.hit(two, f"person-{n}", "view")
    assert threading.active_count() == threads
    monkeypatch.setattr(SweptMemoryStorage, "SWEEP_EVERY_S", 0.0)
    later = time.time() + 5
    monkeypatch.setattr("time.time", lambda: later)
    counter.hit(two, "later", "view")
    assert list(storage.storage) == [two.key_for("later", "view")]
