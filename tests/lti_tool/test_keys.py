"""Tool keys: a valid JWK Set, and rotation that never breaks a platform caching the old set."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt import PyJWKClient
from sqlalchemy import update

from lti_tool import keys
from lti_tool.extensions import db
from lti_tool.models import ToolKey, utcnow


@pytest.fixture(autouse=True)
def installation_key(app):
    """The installation's legacy key, as ``flask keys rotate`` or a legacy tenant's set-up
    makes it (a new installation has none: no tenant signs with it)."""
    with app.app_context():
        keys.ensure_key()
        db.session.commit()


class CachingPlatform:
    """Verifies the tool's JWTs the way LMSes do: a cached key set, re-fetched on unknown kid."""

    def __init__(self, url: str) -> None:
        self.client = PyJWKClient(url, cache_jwk_set=True, lifespan=86400)
        self.client.cooldown_duration = 0  # re-fetch on an unknown kid at once
        self.fetches = 0
        original = self.client.fetch_data

        def counting():
            self.fetches += 1
            return original()

        self.client.fetch_data = counting  # type: ignore[method-assign]

    def verify(self, token: str) -> dict:
        key = self.client.get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=["RS256"], audience="platform")


def _sign(app) -> str:
    with app.app_context():
        signing = keys.signing_key()
    now = int(time.time())
    return jwt.encode(
        {"iss": "tool", "aud": "platform", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex},
        signing.private_pem,
        algorithm="RS256",
        headers={"kid": signing.kid},
    )


def test_jwks_is_a_valid_key_set(client):
    resp = client.get("/lti/jwks")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert list(doc) == ["keys"]
    assert doc["keys"]
    for key in doc["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert key["kid"] and key["n"] and key["e"]
        assert "d" not in key and "p" not in key  # never the private part


def test_rotation_with_grace_and_retire(app, runner, live_server):
    platform = CachingPlatform(f"{live_server.tool_url}/lti/jwks")
    assert platform.verify(_sign(app))
    assert platform.fetches == 1
    with app.app_context():
        old_kid = keys.signing_key().kid

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    published = requests.get(f"{live_server.tool_url}/lti/jwks", timeout=5).json()["keys"]
    assert len(published) >= 2  # the new key is published at once...
    with app.app_context():
        assert keys.signing_key().kid == old_kid  # ...but does not sign during the grace period
    assert platform.verify(_sign(app))
    assert platform.fetches == 1  # the platform's cached set still verifies

    with app.app_context():  # the grace period passes
        db.session.execute(
            update(ToolKey)
            .where(ToolKey.kid != old_kid, ToolKey.retired_at.is_(None))
            .values(signing_from=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
        new_kid = keys.signing_key().kid
    assert new_kid != old_kid
    assert platform.verify(_sign(app))  # unknown kid: the platform re-fetches and verifies
    assert platform.fetches == 2

    result = runner.invoke(args=["keys", "retire"])
    assert result.exit_code == 0, result.output
    assert old_kid in result.output
    kids = [
        k["kid"] for k in requests.get(f"{live_server.tool_url}/lti/jwks", timeout=5).json()["keys"]
    ]
    assert old_kid not in kids and new_kid in kids


def test_retiring_the_signing_key_is_refused(app, runner):
    with app.app_context():
        current = keys.signing_key().kid
    result = runner.invoke(args=["keys", "retire", "--kid", current])
    assert result.exit_code != 0
    assert "current signing key" in result.output
    with app.app_context():
        assert keys.signing_key().kid == current


def test_a_signing_key_is_parsed_once_and_signs_what_its_jwks_verifies(app):
    """PyJWT signs with the parsed key (parsing a PEM checks the key: 26 ms each time); the
    parsed key is kept per process and signs exactly what the published key verifies."""
    with app.app_context():
        signing = keys.signing_key()
        assert signing.private_key is signing.private_key
        assert keys.parsed_private_key(signing.private_pem) is signing.private_key
        token = jwt.encode({"sub": "x"}, signing.private_key, "RS256", {"kid": signing.kid})
        public = next(k for k in keys.jwks()["keys"] if k["kid"] == signing.kid)
        key = jwt.PyJWK(public).key
        assert jwt.decode(token, key, algorithms=["RS256"]) == {"sub": "x"}
    other = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="not an RSA private key"):
        keys.parsed_private_key(other.decode())
