"""OIDC state in Redis (optional): the same single-use guarantees as the database store."""

from __future__ import annotations

import os

import pytest

from tests.conftest import LaunchDriver
from tests.platform import page_address

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="module")
def redis_app(app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers at {REDIS_URL}: {exc}")
    from lti_tool import create_app

    return create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        LTI_STATE_REDIS_URL=REDIS_URL,
        SANDBOX_ENABLED=False,
    )


def test_launch_and_replay_with_redis_state(redis_app, platform):
    import redis

    lti = LaunchDriver(redis_app.test_client(), platform)
    params = lti.login("stu-redis")
    stored = redis.Redis.from_url(REDIS_URL).get(f"cc:state:{params['state']}")
    assert stored is not None and b'"nonce"' in stored  # the record lives in Redis
    body = platform.claims(
        sub="stu-redis",
        role="student",
        nonce=params["nonce"],
        context={"id": "c-redis", "title": "Redis course"},
    )
    token = platform.sign(body)
    assert page_address(lti.post(token, params["state"]))
    replay = lti.post(token, params["state"])
    assert replay.status_code == 400
    assert 'data-reason="replayed"' in replay.get_data(as_text=True)
    fresh = lti.login("stu-redis")
    reused = lti.post(token, fresh["state"])
    assert 'data-reason="replayed_nonce"' in reused.get_data(as_text=True)
