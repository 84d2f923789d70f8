"""Signing keys per tenant: an LMS that trusts one institution's key set never accepts what the
tool signs for another institution, even for a registration that copies that institution's
client id and token endpoint. Plus the legacy key set, rotation per tenant, and refusals of a
duplicate client id."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
import urllib.request
import uuid
from typing import Any

import jwt
import pytest
from jwt import PyJWKClient
from sqlalchemy import select, update

from lti_tool import keys
from lti_tool.extensions import db
from lti_tool.lti import services_client
from lti_tool.lti.toolconf import DbToolConf
from lti_tool.models import Registration, Tenant, ToolKey, utcnow

SCOPES = (services_client.NRPS_SCOPE,)


def _fetch_key_set(url: str) -> dict[str, Any]:
    """A key set fetched over real HTTP (urllib: not intercepted by requests_mock)."""
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - the live test server
        return json.loads(resp.read())


def _verifies(token: str, key_set: dict[str, Any], audience: str) -> bool:
    kid = jwt.get_unverified_header(token)["kid"]
    for jwk in key_set["keys"]:
        if jwk["kid"] == kid:
            key = jwt.PyJWK(jwk).key
            jwt.decode(token, key, algorithms=["RS256"], audience=audience)
            return True
    return False


def _key_set_id(app, tenant_id: int) -> str:
    with app.app_context():
        return db.session.get(Tenant, tenant_id).key_set_id


def _capture_assertion(requests_mock, token_url: str) -> list[str]:
    sent: list[str] = []

    def answer(request: Any, context: Any) -> dict[str, Any]:
        form = dict(p.split("=", 1) for p in request.text.split("&"))
        sent.append(form["client_assertion"])
        return {"access_token": f"tok-{len(sent)}", "expires_in": 3600}

    requests_mock.post(token_url, json=answer)
    return sent


def test_a_copycat_registrations_assertion_does_not_verify_with_the_victims_key_set(
    app, make_platform, live_server, requests_mock
):
    """The attack: tenant A registers tenant B's client id and token URL (here stored directly,
    as an installation from before the duplicate check could hold it). The assertion the tool
    signs for A's registration must not verify with B's key set, which B's LMS trusts."""
    victim = make_platform()
    attacker = make_platform()
    token_url = f"{victim.issuer}/token"
    with app.app_context():
        copycat = Registration(
            tenant_id=attacker.tenant_id,  # type: ignore[attr-defined]
            name="Copycat",
            issuer=f"{victim.issuer}/other-issuer-string",
            client_id=victim.client_id,
            auth_login_url=f"{victim.issuer}/auth",
            auth_token_url=token_url,
            key_set_url=victim.key_set_url,
        )
        db.session.add(copycat)
        db.session.commit()
        victim_reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == victim.issuer, Registration.client_id == victim.client_id
            )
        )
        sent = _capture_assertion(requests_mock, token_url)
        services_client.access_token(victim_reg, SCOPES, fresh=True)
        services_client.access_token(copycat, SCOPES, fresh=True)
    victim_assertion, copycat_assertion = sent
    victim_keys = _fetch_key_set(
        f"{live_server.tool_url}/lti/jwks/{_key_set_id(app, victim.tenant_id)}"  # type: ignore[attr-defined]
    )
    attacker_keys = _fetch_key_set(
        f"{live_server.tool_url}/lti/jwks/{_key_set_id(app, attacker.tenant_id)}"  # type: ignore[attr-defined]
    )
    # positive controls: each assertion verifies with its own tenant's key set
    assert _verifies(victim_assertion, victim_keys, token_url)
    assert _verifies(copycat_assertion, attacker_keys, token_url)
    # the attack: B's LMS (trusting B's key set) does not accept what A's registration signs
    assert not _verifies(copycat_assertion, victim_keys, token_url)
    assert jwt.decode(copycat_assertion, options={"verify_signature": False})["iss"] == (
        victim.client_id
    )  # same client id, so only the key tells them apart
    # ...and neither tenant's key is in the installation's legacy key set
    legacy = {k["kid"] for k in _fetch_key_set(f"{live_server.tool_url}/lti/jwks")["keys"]}
    assert not legacy & {k["kid"] for k in victim_keys["keys"] + attacker_keys["keys"]}


def test_each_tenant_has_its_own_key_set_url(app, client, make_platform):
    one, two = make_platform(), make_platform()
    first, second = _key_set_id(app, one.tenant_id), _key_set_id(app, two.tenant_id)  # type: ignore[attr-defined]
    assert first != second and not first.isdigit() and len(first) >= 20  # not a counter
    a = client.get(f"/lti/jwks/{first}")
    b = client.get(f"/lti/jwks/{second}")
    assert a.status_code == b.status_code == 200
    assert "public" in a.headers["Cache-Control"]
    kids_a = {k["kid"] for k in a.get_json()["keys"]}
    kids_b = {k["kid"] for k in b.get_json()["keys"]}
    assert kids_a and kids_b and not kids_a & kids_b
    for key in a.get_json()["keys"]:
        assert "d" not in key and "p" not in key
    unknown = client.get("/lti/jwks/not-a-tenant")
    assert unknown.status_code == 404
    # pylti1p3's tool configuration serves the right set by issuer (+ client id)
    with app.app_context():
        conf = DbToolConf()
        by_client = conf.get_jwks(one.issuer, one.client_id)
        assert {k["kid"] for k in by_client["keys"]} == kids_a
        assert {k["kid"] for k in conf.get_jwks(two.issuer)["keys"]} == kids_b
        assert conf.get_jwks() == {"keys": []}


def test_legacy_tenant_keeps_the_installation_key_until_rotated(app, client, runner, lti):
    """Migration path: a tenant from before per-tenant keys signs with the installation's key
    (published at /lti/jwks, and at its own URL while it does) until the operator rotates."""
    name = f"Legacy U {secrets.token_hex(3)}"
    with app.app_context():
        tenant = db.session.get(Tenant, lti.platform.tenant_id)
        tenant.name, tenant.legacy_keys = name, True
        db.session.execute(
            update(ToolKey).where(ToolKey.tenant_id == tenant.id).values(retired_at=utcnow())
        )
        # A tenant is legacy only from the migration that made keys per tenant, before any
        # process ran: forget that this process saw it set up as a tenant with its own key
        # (the fixture's launch), as a process started after that migration would have.
        keys._KEYED.discard((str(db.engine.url), tenant.id))
        keys.set_up_tenant(tenant.id)  # as its next launch: the installation's key exists
        db.session.commit()
        key_set_id = tenant.key_set_id
        legacy_kid = keys.signing_key(None).kid
        assert keys.signing_key(tenant.id).kid == legacy_kid
    own_url = f"/lti/jwks/{key_set_id}"
    assert legacy_kid in {k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]}
    assert legacy_kid in {k["kid"] for k in client.get(own_url).get_json()["keys"]}

    result = runner.invoke(args=["keys", "rotate", "--tenant", name])
    assert result.exit_code == 0, result.output
    assert f"tenant {name!r}'s key set" in result.output
    published = {k["kid"] for k in client.get(own_url).get_json()["keys"]}
    with app.app_context():
        (new_key,) = keys.published_keys(lti.platform.tenant_id)
        assert keys.signing_key(lti.platform.tenant_id).kid == legacy_kid  # grace period
    assert {legacy_kid, new_key.kid} <= published  # the LMS may switch URLs now
    assert new_key.kid not in {k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]}
    assert lti.launch(sub="legacy-during-rotation", role="student").home.status_code == 200

    with app.app_context():  # the grace period passes
        db.session.execute(
            update(ToolKey)
            .where(ToolKey.kid == new_key.kid)
            .values(signing_from=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
        assert keys.signing_key(lti.platform.tenant_id).kid == new_key.kid
    assert {k["kid"] for k in client.get(own_url).get_json()["keys"]} == {new_key.kid}
    result = runner.invoke(args=["keys", "retire", "--tenant", name])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(Tenant, lti.platform.tenant_id).legacy_keys is False
    # the installation's legacy key set still works for other legacy tenants
    assert legacy_kid in {k["kid"] for k in client.get("/lti/jwks").get_json()["keys"]}


class CachingPlatform:
    """Verifies like an LMS: a cached key set, re-fetched on an unknown kid."""

    def __init__(self, url: str) -> None:
        self.client = PyJWKClient(url, cache_jwk_set=True, lifespan=86400)
        self.client.cooldown_duration = 0

    def verify(self, token: str, audience: str) -> dict:
        key = self.client.get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=["RS256"], audience=audience)


def _assertion(app, tenant_id: int) -> str:
    with app.app_context():
        signing = keys.signing_key(tenant_id)
        db.session.commit()
    now = int(time.time())
    return jwt.encode(
        {"iss": "tool", "aud": "lms", "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex},
        signing.private_pem,
        algorithm="RS256",
        headers={"kid": signing.kid},
    )


def test_rotation_per_tenant_with_overlap(app, runner, make_platform, live_server):
    rotating, other = make_platform(), make_platform()
    with app.app_context():
        name = db.session.get(Tenant, rotating.tenant_id).name  # type: ignore[attr-defined]
        other_kid = keys.signing_key(other.tenant_id).kid  # type: ignore[attr-defined]
        old_kid = keys.signing_key(rotating.tenant_id).kid  # type: ignore[attr-defined]
        db.session.commit()
    url = f"{live_server.tool_url}/lti/jwks/{_key_set_id(app, rotating.tenant_id)}"  # type: ignore[attr-defined]
    lms = CachingPlatform(url)
    assert lms.verify(_assertion(app, rotating.tenant_id), "lms")  # type: ignore[attr-defined]

    result = runner.invoke(args=["keys", "rotate", "--tenant", name, "--grace-hours", "24"])
    assert result.exit_code == 0, result.output
    assert lms.verify(_assertion(app, rotating.tenant_id), "lms")  # type: ignore[attr-defined]
    with app.app_context():
        assert keys.signing_key(rotating.tenant_id).kid == old_kid  # type: ignore[attr-defined]
        db.session.execute(
            update(ToolKey)
            .where(ToolKey.tenant_id == rotating.tenant_id, ToolKey.kid != old_kid)  # type: ignore[attr-defined]
            .values(signing_from=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
        new_kid = keys.signing_key(rotating.tenant_id).kid  # type: ignore[attr-defined]
        assert keys.signing_key(other.tenant_id).kid == other_kid  # type: ignore[attr-defined]
    assert new_kid != old_kid
    assert lms.verify(_assertion(app, rotating.tenant_id), "lms")  # type: ignore[attr-defined]

    refused = runner.invoke(args=["keys", "retire", "--tenant", name, "--kid", new_kid])
    assert refused.exit_code != 0 and "current signing key" in refused.output
    result = runner.invoke(args=["keys", "retire", "--tenant", name])
    assert result.exit_code == 0 and old_kid in result.output, result.output
    kids = {k["kid"] for k in _fetch_key_set(url)["keys"]}
    assert new_kid in kids and old_kid not in kids
    with app.app_context():  # the other tenant's keys are untouched
        assert other_kid in {k.kid for k in keys.published_keys(other.tenant_id)}  # type: ignore[attr-defined]
    listed = runner.invoke(args=["keys", "list", "--tenant", name])
    assert f"{new_kid}\t" in listed.output and "(signing)" in listed.output
    assert runner.invoke(args=["keys", "rotate", "--tenant", "No Such U"]).exit_code != 0


def test_a_grade_token_during_rotation_still_verifies_at_the_sandbox_lms(app, sandbox, runner):
    """The sandbox LMS verifies client assertions with the tenant's key set over HTTP; a token
    request keeps working while its tenant's key rotates and once the new key signs."""
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.issuer, Registration.client_id == sandbox.client_id
            )
        )
        assert sandbox.tool_jwks_url.endswith(f"/lti/jwks/{reg.tenant.key_set_id}")
        name, tenant_id = reg.tenant.name, reg.tenant_id
        assert services_client.access_token(reg, SCOPES, fresh=True)
    assert runner.invoke(args=["keys", "rotate", "--tenant", name]).exit_code == 0
    with app.app_context():
        reg = db.session.get(Registration, reg.id)
        assert services_client.access_token(reg, SCOPES, fresh=True)  # during the grace period
        db.session.execute(
            update(ToolKey)
            .where(ToolKey.tenant_id == tenant_id, ToolKey.retired_at.is_(None))
            .values(signing_from=utcnow() - dt.timedelta(seconds=1))
        )
        db.session.commit()
        assert services_client.access_token(reg, SCOPES, fresh=True)  # the new key signs
    assert runner.invoke(args=["keys", "retire", "--tenant", name]).exit_code == 0
    with app.app_context():
        reg = db.session.get(Registration, reg.id)
        assert services_client.access_token(reg, SCOPES, fresh=True)


@pytest.mark.parametrize("same", ["issuer", "token_endpoint"])
def test_cli_refuses_a_duplicate_client_id(runner, make_platform, app, same):
    owner = make_platform()
    issuer = owner.issuer if same == "issuer" else f"{owner.issuer}-alias"
    args = [
        "registration", "add", "--name", "Copycat", "--issuer", issuer,
        "--client-id", owner.client_id, "--auth-login-url", f"{owner.issuer}/auth",
        "--auth-token-url", f"{owner.issuer}/token/", "--key-set-url", owner.key_set_url,
    ]  # fmt: skip
    fresh = runner.invoke(args=[*args[:7], f"fresh-{secrets.token_hex(3)}", *args[8:]])
    assert fresh.exit_code == 0, fresh.output  # positive control: a new client id registers
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "IntegrityError" not in result.output
    if same == "issuer":
        assert f"{owner.issuer} with client id {owner.client_id} is already registered" in (
            result.output
        )
    else:
        assert f"Client id {owner.client_id} is already registered with the token endpoint" in (
            result.output
        )
        assert "cannot be registered twice" in result.output
    with app.app_context():
        count = db.session.scalar(
            select(db.func.count()).where(Registration.client_id == owner.client_id)
        )
    assert count == 1


def test_admin_page_shows_the_tenants_own_keys_and_key_set_url(app, make_platform, driver):
    mine, theirs = make_platform(), make_platform()
    with app.app_context():
        other_kid = keys.signing_key(theirs.tenant_id).kid  # type: ignore[attr-defined]
        my_kid = keys.signing_key(mine.tenant_id).kid  # type: ignore[attr-defined]
        db.session.commit()
    lti = driver(mine)
    launched = lti.launch(sub="admin-keys", role="admin", course=None)
    page = lti.client.get(f"/admin/registrations?lid={launched.lid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    key_set_id = _key_set_id(app, mine.tenant_id)  # type: ignore[attr-defined]
    assert f"/lti/jwks/{key_set_id}</code>" in html
    assert my_kid in html and other_kid not in html
    assert "shared by every institution" not in html
    assert "keys rotate --tenant" in html
