"""What the sandbox LMS keeps per process so that its answers cost few statements: its signing
keys (loaded once per kid; a new key signs from the next launch), the tool's key set URL and
parsed keys (looked up again when the key set is fetched), and when it last deleted expired
rows. Also the statements of the requests the soak sends most (``benchmarks/sandbox.py``),
and that reading a token beside a service's rows keeps the answers' order: 401, 415, 404."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import delete, select

from lti_tool.extensions import db
from tests.helpers import counted
from tests.lti_tool.test_sandbox import (
    api,
    assertion,
    auth_params,
    bearer,  # noqa: F401 - a fixture
    launch_form,
    line_item,  # noqa: F401 - a fixture
    login_url,
    person,
    platform_claims,
    post_score,
    score,
    stamp,
    token_request,
)

LINEITEM_MEDIA = "application/vnd.ims.lis.v2.lineitem+json"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _auth(app, client, sandbox, **query: str):
    params = auth_params(sandbox, login_url(client, sandbox, **query))
    with app.app_context(), counted() as seen:
        resp = client.get("/sandbox/auth", query_string=params, base_url=sandbox.platform_url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    return launch_form(resp), seen


# --- the platform's signing key --------------------------------------------------------------


def _new_platform_key() -> Any:
    from lti_tool.sandbox.models import SandboxKey

    jwk = JWK.generate(kty="RSA", size=2048)
    kid = secrets.token_hex(8)
    public = {**json.loads(jwk.export_public()), "kid": kid, "alg": "RS256", "use": "sig"}
    pem = jwk.export_to_pem(private_key=True, password=None).decode()
    return SandboxKey(kid=kid, public_jwk=public, private_pem=pem)


def test_a_new_platform_key_signs_from_the_next_launch(app, client, sandbox):
    form, seen = _auth(app, client, sandbox, course="bus-390", person="amara-okafor")
    old_kid = jwt.get_unverified_header(form["id_token"])["kid"]
    assert len(seen) == 1  # the key was loaded before: read beside the launch hint, by its kid
    with app.app_context():
        key = _new_platform_key()
        db.session.add(key)
        db.session.commit()
        new_kid = key.kid
    try:
        form, _ = _auth(app, client, sandbox, course="bus-390", person="amara-okafor")
        assert jwt.get_unverified_header(form["id_token"])["kid"] == new_kid != old_kid
        claims = platform_claims(client, sandbox, form["id_token"])  # the key set publishes it
        assert claims["sub"] == person(app, "amara-okafor")["user_id"]
        keys = client.get("/sandbox/jwks", base_url=sandbox.platform_url).get_json()["keys"]
        assert [k["kid"] for k in keys] == [new_kid]
        form, seen = _auth(app, client, sandbox, course="bus-390", person="amara-okafor")
        assert len(seen) == 1  # the new key is kept now
    finally:
        with app.app_context():
            db.session.execute(delete(key.__class__).where(key.__class__.kid == new_kid))
            db.session.commit()
    form, _ = _auth(app, client, sandbox, course="bus-390", person="amara-okafor")
    assert jwt.get_unverified_header(form["id_token"])["kid"] == old_kid


def test_platform_keys_load_each_kid_once(app, sandbox):
    from lti_tool.sandbox.errors import SandboxError
    from lti_tool.sandbox.models import SandboxKey
    from lti_tool.sandbox.signing import PlatformKeys, current_key

    keys = PlatformKeys()
    with app.app_context():
        kid = db.session.scalar(select(SandboxKey.kid).order_by(SandboxKey.id.desc()).limit(1))
        with counted() as seen:
            first = keys.get(kid)
            again = keys.get(kid)
        assert first is again
        assert len(seen) == 1
        assert current_key().kid == kid
        with pytest.raises(SandboxError, match="no platform key"):
            keys.get("no-such-kid")
        db.session.rollback()


# --- the tool's key set ------------------------------------------------------------------------


def _tool_jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "alg": "RS256"}


@dataclass
class FakeInfo:
    """A SandboxInfo whose tool key set URL is counted when looked up."""

    url: str
    issuer: str = "http://lms.example"
    client_id: str = "career-credit-sandbox"
    tool_url: str = "http://tool.example"
    lookups: int = 0

    @property
    def tool_jwks_url(self) -> str:
        self.lookups += 1
        return self.url


def test_the_tool_key_set_url_is_looked_up_when_the_key_set_is_fetched(requests_mock):
    from lti_tool.sandbox.tokens import JWKS_LIFETIME_S, KeySetError, ToolKeySet

    old, new = "http://tool.example/lti/jwks", "http://tool.example/lti/jwks/set-2"
    k1, k2 = _tool_jwk("k1"), _tool_jwk("k2")
    requests_mock.get(old, json={"keys": [k1]})
    requests_mock.get(new, json={"keys": [k2]})
    clock = Clock()
    keys, info = ToolKeySet(clock), FakeInfo(old)
    first = keys.key_for(info, "k1", timeout=1)
    assert keys.key_for(info, "k1", timeout=1) is first  # kept, parsed once
    assert (info.lookups, requests_mock.call_count) == (1, 1)
    info.url = new  # the tenant's key set moved (and signs with a key of the new set)
    assert keys.key_for(info, "k2", timeout=1) is not None  # unknown kid: looked up, fetched
    assert (info.lookups, requests_mock.call_count) == (2, 2)
    assert requests_mock.last_request.url == new
    with pytest.raises(KeySetError, match="no key with kid 'k1'"):
        keys.key_for(info, "k1", timeout=1)  # not in the key set the URL now names
    clock.now += JWKS_LIFETIME_S + 1  # stale: looked up and fetched again
    assert keys.key_for(info, "k2", timeout=1) is not None
    assert requests_mock.call_count == 4
    assert info.lookups == 4


def test_parsed_tool_keys_are_dropped_when_the_key_set_is_fetched_again(requests_mock):
    from lti_tool.sandbox.tokens import ToolKeySet

    url = "http://tool.example/lti/jwks"
    k1, k2 = _tool_jwk("k1"), _tool_jwk("k2")
    k1_rotated = {**_tool_jwk("k1")}  # a key set that replaced k1's material (kid reused)
    requests_mock.get(url, [{"json": {"keys": [k1]}}, {"json": {"keys": [k1_rotated, k2]}}])
    keys = ToolKeySet()
    first = keys.key(url, "k1", timeout=1)
    assert keys.key(url, "k1", timeout=1) is first
    keys.key(url, "k2", timeout=1)  # unknown kid: fetched again
    assert keys.key(url, "k1", timeout=1).public_numbers() != first.public_numbers()


def test_a_fetched_key_is_used_though_another_fetch_replaced_the_key_set(requests_mock):
    from lti_tool.sandbox.tokens import ToolKeySet

    url = "http://tool.example/lti/jwks"
    requests_mock.get(url, json={"keys": [_tool_jwk("k1")]})

    class Racing(ToolKeySet):
        def _fetch(self, url: str, timeout: float) -> dict[str, dict[str, Any]]:
            keys = super()._fetch(url, timeout)
            with self._lock:  # another thread's fetch, of a key set without k1, lands first
                self._cache[url] = (self._clock(), {}, {})
            return keys

    assert Racing().key(url, "k1", timeout=1) is not None


# --- expired rows ----------------------------------------------------------------------------


def test_purges_are_due_once_a_minute_per_kind():
    from lti_tool.sandbox.purges import Purges

    clock = Clock()
    purges = Purges(60, clock)
    assert purges.due("launch_hint")
    assert not purges.due("launch_hint")
    assert purges.due("access_token")
    clock.now += 59
    assert not purges.due("launch_hint")
    clock.now += 2
    assert purges.due("launch_hint")
    purges.reset()
    assert purges.due("launch_hint")


def _old_hint(app, sandbox) -> str:
    from lti_tool.sandbox.models import SandboxLaunchHint, SandboxPerson, SandboxResourceLink
    from lti_tool.sandbox.seed import stable_id

    with app.app_context():
        amara = db.session.scalar(
            select(SandboxPerson.id).where(SandboxPerson.key == "amara-okafor")
        )
        link = db.session.scalar(
            select(SandboxResourceLink.id).where(
                SandboxResourceLink.resource_link_id == stable_id("course-navigation:bus-390")
            )
        )
        hint = secrets.token_urlsafe(24)
        db.session.add(
            SandboxLaunchHint(
                hint=hint,
                person_id=amara,
                resource_link_id=link,
                message_type="resource",
                created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=9),
            )
        )
        db.session.commit()
    return hint


def _hint_exists(app, hint: str) -> bool:
    from lti_tool.sandbox.models import SandboxLaunchHint

    with app.app_context():
        found = db.session.get(SandboxLaunchHint, hint) is not None
        db.session.rollback()
    return found


def test_expired_launch_hints_are_deleted_by_a_launch_once_a_minute(app, client, sandbox):
    from lti_tool.sandbox.purges import purges

    first = _old_hint(app, sandbox)
    purges.reset()
    login_url(client, sandbox, course="bus-390", person="amara-okafor")
    assert not _hint_exists(app, first)
    second = _old_hint(app, sandbox)
    login_url(client, sandbox, course="bus-390", person="amara-okafor")
    assert _hint_exists(app, second)  # deleted a minute later at most...
    login = login_url(client, sandbox, course="bus-390", person="amara-okafor")
    params = auth_params(sandbox, login, lti_message_hint=second)
    resp = client.get("/sandbox/auth", query_string=params, base_url=sandbox.platform_url)
    assert resp.status_code == 400  # ...and refused by its age meanwhile
    assert 'data-reason="lti_message_hint"' in resp.get_data(as_text=True)
    purges.reset()
    login_url(client, sandbox, course="bus-390", person="amara-okafor")
    assert not _hint_exists(app, second)


def test_an_expired_single_use_value_does_not_count_before_it_is_deleted(app, sandbox):
    from lti_tool.sandbox.models import SandboxUsedValue
    from lti_tool.sandbox.purges import purges
    from lti_tool.sandbox.tokens import consume_once

    value = f"jti-{secrets.token_hex(6)}"
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with app.app_context():
        try:
            assert consume_once("jti", value, now - dt.timedelta(minutes=1))  # already expired
            purges.reset()
            assert purges.due("used_value")  # just purged: the expired row stays a while
            assert consume_once("jti", value, now + dt.timedelta(minutes=5))
            assert not consume_once("jti", value, now + dt.timedelta(minutes=5))  # a replay
            assert not consume_once("jti", value, now + dt.timedelta(minutes=9))
            stored = db.session.scalars(
                select(SandboxUsedValue.expires_at).where(SandboxUsedValue.value == value)
            ).all()
            assert stored == [now + dt.timedelta(minutes=5)]
        finally:
            db.session.rollback()
            db.session.execute(delete(SandboxUsedValue).where(SandboxUsedValue.value == value))
            db.session.commit()
            purges.reset()


# --- statements of the soak's requests -------------------------------------------------------


def test_the_launch_page_and_the_authorization_read_little(app, client, sandbox):
    login_url(client, sandbox, course="bus-390", person="amara-okafor")  # the key loaded
    with app.app_context(), counted() as seen:
        login = login_url(client, sandbox, course="bus-390", person="amara-okafor", storage="off")
    # the person and the newest key's kid, the course with the enrolment and its navigation
    # link, the new hint (and, once a minute, the expired hints' delete)
    assert len([s for s in seen if not s.lstrip().upper().startswith("DELETE")]) == 3
    params = auth_params(sandbox, login)
    with app.app_context(), counted() as seen:
        resp = client.get("/sandbox/auth", query_string=params, base_url=sandbox.platform_url)
    assert resp.status_code == 200
    assert len(seen) == 1


def test_the_token_endpoint_looks_up_the_key_set_url_when_it_fetches(app, client, sandbox):
    from lti_tool.sandbox.purges import purges

    assert token_request(client, sandbox, assertion(app, sandbox)).status_code == 200
    for _ in ("used_value", "access_token"):
        purges.due(_)  # just purged
    signed = assertion(app, sandbox)
    with app.app_context(), counted() as seen:
        resp = token_request(client, sandbox, signed)
    assert resp.status_code == 200
    assert [s.split()[0].upper() for s in seen] == ["INSERT", "INSERT"]  # the jti, the token
    purges.reset()


def test_a_line_item_and_a_score_read_their_token_beside_their_rows(
    app,
    client,
    sandbox,
    bearer,  # noqa: F811
    line_item,  # noqa: F811
):
    uid = person(app, "emily-nguyen")["user_id"]
    with app.app_context(), counted() as seen:
        got = client.get(line_item, headers={**bearer, "Accept": LINEITEM_MEDIA})
    assert got.status_code == 200
    assert len(seen) == 1
    listed = client.get(api(sandbox, "bus-390", "line_items"), headers=bearer).get_json()
    assert got.get_json() == next(i for i in listed if i["id"] == line_item)
    for n in range(2):  # the first inserts the result, the second updates it
        with app.app_context(), counted() as seen:
            assert post_score(client, line_item, bearer, score(uid, stamp(n))).status_code == 200
        assert len(seen) == 2


def test_a_placed_line_item_reads_as_listed(app, client, sandbox, bearer):  # noqa: F811
    from lti_tool.sandbox.seed import stable_id

    link = stable_id("course-navigation:bus-390")
    body = {"label": "Placed", "scoreMaximum": 3, "resourceLinkId": link, "tag": "placed"}
    made = client.post(api(sandbox, "bus-390", "line_items"), headers=bearer, json=body)
    assert made.status_code == 201, made.get_json()
    try:
        got = client.get(made.get_json()["id"], headers=bearer).get_json()
        assert got == made.get_json()
        assert got["resourceLinkId"] == link
    finally:  # a launch from the course's link would name it as its line item
        assert client.delete(made.get_json()["id"], headers=bearer).status_code == 204


def test_the_answers_keep_their_order_401_then_415_then_404(
    app,
    client,
    sandbox,
    bearer,  # noqa: F811
    line_item,  # noqa: F811
):
    uid = person(app, "emily-nguyen")["user_id"]
    nobody = {"Authorization": "Bearer nope"}
    missing_course = api(sandbox, "art-101", "line_items", "1")
    missing_item = api(sandbox, "bus-390", "line_items", "999999")
    assert client.get(line_item, headers=bearer).status_code == 200  # positive control
    for url in (missing_course, missing_item, line_item):
        resp = client.get(url, headers=nobody)
        assert resp.status_code == 401
        assert resp.get_json()["message"] == "The access token is not known."
        resp = client.post(f"{url}/scores", headers=nobody, data="x")
        assert resp.status_code == 401
        assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert client.get(line_item, headers={"Authorization": "Basic x"}).status_code == 401
    resp = client.get(missing_course, headers=bearer)
    assert resp.status_code == 404
    assert resp.get_json()["message"] == "There is no sandbox course 'art-101'."
    resp = client.get(missing_item, headers=bearer)
    assert resp.get_json()["message"] == "There is no line item 999999 in BUS 390."
    for url in (missing_course, missing_item):
        resp = client.post(f"{url}/scores", headers=bearer, data="x")
        assert resp.status_code == 415
        assert post_score(client, url, bearer, score(uid, stamp(0))).status_code == 404
    readonly = token_request(
        client,
        sandbox,
        assertion(app, sandbox),
        scope="https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    ).get_json()["access_token"]
    resp = post_score(client, line_item, {"Authorization": f"Bearer {readonly}"}, score(uid, "x"))
    assert resp.status_code == 401
    assert 'error="insufficient_scope"' in resp.headers["WWW-Authenticate"]
