"""The sandbox LMS: seed, the launch path (login URL, strict OIDC authorization, signed
id_token, the tool's launch), the token endpoint, AGS as strict as Canvas, NRPS paging with
case-sensitive next-page URLs, fault injection and the deep-linking return. Tokens and
assertions are real RS256 JWTs; the sandbox fetches the tool's key set over real HTTP."""

from __future__ import annotations

import datetime as dt
import html
import random
import re
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Registration, Tenant
from tests.platform import page_address

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
ALL_SCOPES = " ".join(
    [
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
        "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
        "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ]
)
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


@pytest.fixture(autouse=True)
def _no_faults(app):
    yield
    from lti_tool.sandbox.services import set_faults

    with app.app_context():
        set_faults({"reset": True})
        db.session.commit()


# --- helpers ---------------------------------------------------------------------------------


def person(app, key: str):
    from lti_tool.sandbox.models import SandboxPerson

    with app.app_context():
        row = db.session.scalar(select(SandboxPerson).where(SandboxPerson.key == key))
        return {"user_id": row.user_id, "name": row.name, "email": row.email}


def login_url(client, sandbox, **query: str) -> str:
    resp = client.get("/sandbox/launch", query_string=query, base_url=sandbox.platform_url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    page = resp.get_data(as_text=True)
    assert 'id="tool-frame"' in page
    assert 'title="Career Credit"' in page
    return html.unescape(re.search(r'data-login-url="([^"]+)"', page).group(1))


def auth_params(sandbox, login: str, **overrides: str) -> dict[str, str]:
    """What the tool's login would send to the authorization endpoint."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(login).query).items()}
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": sandbox.client_id,
        "redirect_uri": f"{sandbox.tool_url}/lti/launch",
        "login_hint": query["login_hint"],
        "lti_message_hint": query["lti_message_hint"],
        "nonce": secrets.token_hex(8),
        "state": secrets.token_hex(8),
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def launch_form(resp) -> dict[str, str]:
    page = resp.get_data(as_text=True)
    assert '<form id="launch-form" method="post"' in page, page[:800]
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]+)"', page))
    fields["action"] = html.unescape(
        re.search(r'id="launch-form" method="post" action="([^"]+)"', page).group(1)
    )
    assert re.search(r'<script nonce="[^"]+">document.getElementById\("launch-form"\)', page)
    return fields


def platform_claims(client, sandbox, token: str) -> dict[str, Any]:
    """Verify an id_token with the sandbox's published key set (by kid), like a tool."""
    keys = client.get("/sandbox/jwks", base_url=sandbox.platform_url).get_json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys if k["kid"] == kid)
    return jwt.decode(
        token,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=sandbox.client_id,
        issuer=sandbox.issuer,
    )


def id_token_for(client, sandbox, **query: str) -> tuple[dict[str, Any], dict[str, str]]:
    params = auth_params(sandbox, login_url(client, sandbox, **query))
    resp = client.post("/sandbox/auth", data=params, base_url=sandbox.platform_url)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    form = launch_form(resp)
    claims = platform_claims(client, sandbox, form["id_token"])
    assert claims["nonce"] == params["nonce"]
    assert form["state"] == params["state"]
    return claims, form


def tool_key(app) -> tuple[str, str]:
    """The key the tool signs with for the sandbox's tenant (the sandbox LMS trusts that
    tenant's own key set)."""
    from sqlalchemy import select

    from lti_tool.extensions import db
    from lti_tool.keys import signing_key
    from lti_tool.models import Registration
    from lti_tool.sandbox.seed import CLIENT_ID

    with app.app_context():
        tenant_id = db.session.scalar(
            select(Registration.tenant_id).where(
                Registration.issuer == app.config["SANDBOX_PLATFORM_URL"].rstrip("/"),
                Registration.client_id == CLIENT_ID,
            )
        )
        key = signing_key(tenant_id)
        db.session.commit()
        return key.kid, key.private_pem


def tool_jwt(
    app, claims: dict[str, Any], *, private_pem: str | None = None, kid: str | None = None
) -> str:
    real_kid, real_pem = tool_key(app)
    return jwt.encode(
        claims, private_pem or real_pem, algorithm="RS256", headers={"kid": kid or real_kid}
    )


def assertion(app, sandbox, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": sandbox.client_id,
        "sub": sandbox.client_id,
        "aud": f"{sandbox.platform_url}/sandbox/token",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    return tool_jwt(app, {k: v for k, v in claims.items() if v is not None})


def token_request(client, sandbox, client_assertion: str, scope: str = ALL_SCOPES):
    return client.post(
        "/sandbox/token",
        base_url=sandbox.platform_url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": client_assertion,
            "scope": scope,
        },
    )


@pytest.fixture
def bearer(app, client, sandbox) -> dict[str, str]:
    resp = token_request(client, sandbox, assertion(app, sandbox))
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def api(sandbox, course: str, *parts: str) -> str:
    return "/".join((f"{sandbox.platform_url}/sandbox/api/courses/{course}", *parts))


@pytest.fixture
def line_item(client, sandbox, bearer) -> str:
    resp = client.post(
        api(sandbox, "bus-390", "line_items"),
        headers=bearer,
        json={
            "label": f"Micro-internship credit {secrets.token_hex(3)}",
            "scoreMaximum": 100,
            "resourceId": "credit",
            "tag": "career-credit",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def stamp(seconds: int = 0) -> str:
    base = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    return base.isoformat(timespec="milliseconds")


def score(
    user_id: str, ts: str, given: float | None = 87.5, maximum: float | None = 100, **extra: Any
) -> dict[str, Any]:
    body = {
        "userId": user_id,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": ts,
        "scoreGiven": given,
        "scoreMaximum": maximum,
        **extra,
    }
    return {k: v for k, v in body.items() if v is not None}


def post_score(client, item: str, bearer: dict[str, str], body: dict[str, Any]):
    return client.post(f"{item}/scores", headers={**bearer, "Content-Type": SCORE_TYPE}, json=body)


def attempts_of(client, sandbox, item: str, user_id: str) -> dict[str, Any] | None:
    report = client.get(api(sandbox, "bus-390", "attempts.json")).get_json()
    return next(
        (r for r in report["results"] if r["line_item"] == item and r["user_id"] == user_id), None
    )


# --- seed ------------------------------------------------------------------------------------


def test_seed_is_idempotent_and_registers_the_tenant(app, sandbox):
    from lti_tool.sandbox.models import SandboxCourse, SandboxEnrolment, SandboxPerson
    from lti_tool.sandbox.seed import ensure_sandbox

    with app.app_context():
        again = ensure_sandbox(sandbox.tool_url, sandbox.platform_url)
        assert again == sandbox
        assert len(db.session.scalars(select(SandboxCourse)).all()) >= 2
        kinds = {p.kind for p in db.session.scalars(select(SandboxPerson))}
        assert kinds == {"student", "faculty", "ta", "advisor", "observer", "admin"}
        assert (
            db.session.scalar(select(SandboxEnrolment).where(SandboxEnrolment.status == "Inactive"))
            is not None
        )
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == sandbox.issuer, Registration.client_id == sandbox.client_id
            )
        )
        assert reg.tenant.name == "Sandbox University"
        assert reg.auth_login_url == f"{sandbox.platform_url}/sandbox/auth"
        assert [d.deployment_id for d in reg.deployments] == ["sandbox-deployment-1"]
        assert reg.tenant.settings["advisor_claim"] == {
            "name": "career_credit_role",
            "value": "advisor",
        }
        assert reg.tenant.settings["institution_admin_is_tool_admin"] is True


def test_another_platform_url_is_another_registration_of_the_same_tenant(app, sandbox):
    from lti_tool.sandbox.seed import ensure_sandbox

    with app.app_context():
        other = ensure_sandbox(sandbox.tool_url, "http://localhost:1")
        regs = db.session.scalars(
            select(Registration).where(Registration.client_id == "career-credit-sandbox")
        ).all()
        assert other.issuer == "http://localhost:1"
        assert {r.issuer for r in regs} >= {sandbox.issuer, other.issuer}
        assert len({r.tenant_id for r in regs}) == 1
        assert db.session.scalar(select(Tenant.id).where(Tenant.name == "Sandbox University"))
        from lti_tool.registration.services.tenants import remove_platform

        remove_platform(Actor(None, "tests"), other.issuer, other.client_id)
        db.session.commit()


def test_cli_seed(runner, sandbox):
    result = runner.invoke(args=["sandbox", "seed"])
    assert result.exit_code == 0, result.output
    assert f"issuer {sandbox.issuer}" in result.output


# --- pages and the launch path ---------------------------------------------------------------


def test_home_lists_courses_and_people(client, sandbox):
    page = client.get("/sandbox", base_url=sandbox.platform_url).get_data(as_text=True)
    assert "BUS 390 Internship Seminar" in page
    assert "CS 195 Professional Practice" in page
    for name in (
        "Amara Okafor",
        "Priya Raman",
        "Marcus Lee",
        "Jordan Ellis",
        "Linda Okafor",
        "Sam Whitfield",
    ):
        assert name in page


def test_launch_page_frames_the_tool_login(client, sandbox):
    url = login_url(client, sandbox, course="bus-390", person="amara-okafor")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{sandbox.tool_url}/lti/login"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["iss"] == sandbox.issuer
    assert query["login_hint"] == "amara-okafor"
    assert query["target_link_uri"] == f"{sandbox.tool_url}/lti/launch"
    assert query["client_id"] == "career-credit-sandbox"
    assert query["lti_deployment_id"] == "sandbox-deployment-1"
    assert query["lti_message_hint"]
    assert query["lti_storage_target"] == "_parent"


@pytest.mark.parametrize(
    ("who", "course", "why"),
    [
        ("amara-okafor", "cs-195", "not enrolled"),
        ("farah-haddad", "bus-390", "has dropped"),
        ("nobody", "bus-390", "no sandbox person"),
        ("amara-okafor", "art-101", "no sandbox course"),
    ],
)
def test_launch_refuses_a_person_not_in_the_course(client, sandbox, who, course, why):
    assert (
        client.get(
            "/sandbox/launch", query_string={"course": "bus-390", "person": "amara-okafor"}
        ).status_code
        == 200
    )
    resp = client.get("/sandbox/launch", query_string={"course": course, "person": who})
    assert resp.status_code == 400
    assert why in resp.get_data(as_text=True)


def test_student_id_token(app, client, sandbox):
    claims, form = id_token_for(client, sandbox, course="bus-390", person="amara-okafor")
    amara = person(app, "amara-okafor")
    assert form["action"] == f"{sandbox.tool_url}/lti/launch"
    assert claims["sub"] == amara["user_id"]
    assert claims["aud"] == claims["azp"] == "career-credit-sandbox"
    assert 250 <= claims["exp"] - claims["iat"] <= 310
    assert claims[CLAIM + "message_type"] == "LtiResourceLinkRequest"
    assert claims[CLAIM + "version"] == "1.3.0"
    assert claims[CLAIM + "deployment_id"] == "sandbox-deployment-1"
    assert claims[CLAIM + "target_link_uri"] == f"{sandbox.tool_url}/lti/launch"
    assert claims[CLAIM + "roles"] == [
        f"{LIS}membership#Learner",
        f"{LIS}institution/person#Student",
    ]
    assert claims[CLAIM + "context"]["title"] == "BUS 390 Internship Seminar"
    assert claims[CLAIM + "context"]["label"] == "BUS 390"
    assert claims[CLAIM + "resource_link"]["id"]
    assert (claims["name"], claims["given_name"], claims["family_name"], claims["email"]) == (
        "Amara Okafor",
        "Amara",
        "Okafor",
        "amara.okafor@example.edu",
    )
    assert claims[CLAIM + "custom"] == {
        "term_name": "Fall 2026",
        "term_start": "2026-08-24",
        "term_end": "2026-12-11",
    }
    assert claims[CLAIM + "launch_presentation"]["document_target"] == "iframe"
    assert claims[NRPS] == {
        "context_memberships_url": api(sandbox, "bus-390", "memberships"),
        "service_versions": ["2.0"],
    }
    assert sorted(claims[AGS]["scope"]) == sorted(ALL_SCOPES.split()[:4])
    assert claims[AGS]["lineitems"] == api(sandbox, "bus-390", "line_items")
    assert "lineitem" not in claims[AGS]


@pytest.mark.parametrize(
    ("who", "roles", "has_context"),
    [
        ("priya-raman", [f"{LIS}membership#Instructor", f"{LIS}institution/person#Faculty"], True),
        (
            "marcus-lee",
            [f"{LIS}membership#Instructor", f"{LIS}membership/Instructor#TeachingAssistant"],
            True,
        ),
        ("linda-okafor", [f"{LIS}membership#Mentor"], True),
        ("sam-whitfield", [f"{LIS}institution/person#Administrator"], False),
        ("jordan-ellis", [f"{LIS}institution/person#Staff"], False),
    ],
)
def test_roles_of_each_kind_of_person(client, sandbox, who, roles, has_context):
    claims, _ = id_token_for(client, sandbox, course="bus-390", person=who)
    assert claims[CLAIM + "roles"] == roles
    assert (CLAIM + "context" in claims) is has_context
    assert (AGS in claims) is has_context
    assert (claims[CLAIM + "custom"].get("career_credit_role") == "advisor") is (
        who == "jordan-ellis"
    )


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("scope", "openid profile"),
        ("response_type", "code"),
        ("response_mode", "query"),
        ("prompt", "login"),
        ("client_id", "someone-else"),
        ("redirect_uri", "http://127.0.0.1:1/lti/launch"),
        ("login_hint", "nobody"),
        ("login_hint", "benjamin-tran"),
        ("nonce", None),
        ("state", None),
        ("lti_message_hint", "forged"),
    ],
)
def test_auth_refuses_a_bad_parameter(client, sandbox, parameter, value):
    login = login_url(client, sandbox, course="bus-390", person="amara-okafor")
    good = client.post("/sandbox/auth", data=auth_params(sandbox, login))
    assert good.status_code == 200  # positive control
    params = auth_params(sandbox, login, **{parameter: value})  # None leaves it out
    resp = client.get("/sandbox/auth", query_string=params)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert f'data-reason="{parameter}"' in page
    assert 'name="id_token"' not in page


def test_full_launch_through_the_tool(client, sandbox):
    """Sandbox page → tool login → sandbox auth → tool launch → the student's home (the
    cookie flow: without ``lti_storage_target``; browsers are tested in tests/browser)."""
    login = login_url(client, sandbox, course="bus-390", person="amara-okafor", storage="off")
    assert "lti_storage_target" not in login
    resp = client.get(login)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    assert resp.headers["Location"].startswith(f"{sandbox.platform_url}/sandbox/auth?")
    form = launch_form(client.get(resp.headers["Location"]))
    resp = client.post(form["action"], data={"id_token": form["id_token"], "state": form["state"]})
    address = page_address(resp)  # the launch answers with the student's home itself
    assert address and address.startswith("/home/student?lid="), resp.get_data(as_text=True)[:800]
    assert "Amara Okafor" in resp.get_data(as_text=True)
    assert "Amara Okafor" in client.get(address).get_data(as_text=True)  # and reloads by GET


def test_jwks_publishes_the_platform_key(client, sandbox):
    keys = client.get("/sandbox/jwks").get_json()["keys"]
    assert keys
    assert all(k["kty"] == "RSA" and k["kid"] and k["alg"] == "RS256" for k in keys)
    assert not any("d" in k for k in keys)


# --- token endpoint --------------------------------------------------------------------------


def test_token_endpoint_grants_the_requested_scopes(app, client, sandbox):
    resp = token_request(
        client,
        sandbox,
        assertion(app, sandbox),
        scope=f"{ALL_SCOPES} https://example.com/not-a-scope",
    )
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"].split() == ALL_SCOPES.split()
    assert len(body["access_token"]) >= 32


def test_token_endpoint_accepts_the_issuer_as_audience(app, client, sandbox):
    resp = token_request(client, sandbox, assertion(app, sandbox, aud=sandbox.issuer))
    assert resp.status_code == 200, resp.get_json()


def test_token_endpoint_refuses_a_bad_signature(app, client, sandbox):
    assert token_request(client, sandbox, assertion(app, sandbox)).status_code == 200
    kid, _ = tool_key(app)
    other = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    now = int(time.time())
    forged = tool_jwt(
        app,
        {
            "iss": sandbox.client_id,
            "sub": sandbox.client_id,
            "aud": f"{sandbox.platform_url}/sandbox/token",
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
        },
        private_pem=other,
        kid=kid,
    )
    resp = token_request(client, sandbox, forged)
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "invalid_client"
    assert "Signature verification failed" in resp.get_json()["message"]


def test_token_endpoint_refuses_a_replayed_jti(app, client, sandbox):
    signed = assertion(app, sandbox)
    assert token_request(client, sandbox, signed).status_code == 200
    resp = token_request(client, sandbox, signed)
    assert resp.status_code == 401
    assert "jti was already used" in resp.get_json()["message"]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"aud": "http://elsewhere.example/token"}, "audience"),
        ({"iss": "someone-else", "sub": "someone-else"}, "issuer"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"jti": None}, "jti"),
    ],
)
def test_token_endpoint_refuses_bad_claims(app, client, sandbox, override, message):
    resp = token_request(client, sandbox, assertion(app, sandbox, **override))
    assert resp.status_code == 401
    assert message in resp.get_json()["message"].lower()


def test_token_endpoint_refuses_a_wrong_grant(app, client, sandbox):
    resp = client.post(
        "/sandbox/token",
        data={
            "grant_type": "password",
            "client_assertion_type": "x",
            "client_assertion": "y",
            "scope": ALL_SCOPES,
        },
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "unsupported_grant_type"


def test_tool_key_set_is_cached_and_refetched_on_an_unknown_kid(requests_mock):
    from lti_tool.sandbox.tokens import KeySetError, ToolKeySet

    def jwk(kid: str) -> dict[str, Any]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        return {**jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid, "alg": "RS256"}

    url = "http://tool.example/lti/jwks"
    first, second = jwk("k1"), jwk("k2")
    requests_mock.get(
        url,
        [
            {"json": {"keys": [first]}},
            {"json": {"keys": [first, second]}},
            {"json": {"keys": [first, second]}},
        ],
    )
    keys = ToolKeySet()
    assert keys.key(url, "k1", timeout=1) is not None
    assert keys.key(url, "k1", timeout=1) is not None
    assert requests_mock.call_count == 1  # cached
    assert keys.key(url, "k2", timeout=1) is not None  # unknown kid: fetched again
    assert requests_mock.call_count == 2
    with pytest.raises(KeySetError, match="no key with kid 'k3'"):
        keys.key(url, "k3", timeout=1)
    assert requests_mock.last_request.timeout == 1


# --- AGS -------------------------------------------------------------------------------------


def test_line_items_need_a_label_and_a_positive_maximum(client, sandbox, bearer):
    url = api(sandbox, "bus-390", "line_items")
    for body in ({"scoreMaximum": 10}, {"label": "Credit"}, {"label": "Credit", "scoreMaximum": 0}):
        resp = client.post(url, headers=bearer, json=body)
        assert resp.status_code == 400
        assert resp.get_json()["message"]


def test_line_item_crud_and_filters(client, sandbox, bearer, line_item):
    url = api(sandbox, "bus-390", "line_items")
    listed = client.get(url, headers=bearer, query_string={"tag": "career-credit"})
    assert listed.status_code == 200
    assert listed.mimetype == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    assert line_item in [i["id"] for i in listed.get_json()]
    assert client.get(url, headers=bearer, query_string={"tag": "nope"}).get_json() == []
    resp = client.put(line_item, headers=bearer, json={"label": "Renamed", "scoreMaximum": 50})
    assert resp.status_code == 200
    assert resp.get_json()["label"] == "Renamed"
    assert client.get(line_item, headers=bearer).get_json()["scoreMaximum"] == 50
    assert client.delete(line_item, headers=bearer).status_code == 204
    assert client.get(line_item, headers=bearer).status_code == 404


def test_score_needs_score_maximum_with_score_given(app, client, bearer, line_item):
    amara = person(app, "amara-okafor")
    assert (
        post_score(client, line_item, bearer, score(amara["user_id"], stamp(0))).status_code == 200
    )
    resp = post_score(client, line_item, bearer, score(amara["user_id"], stamp(1), maximum=None))
    assert resp.status_code == 400
    assert "scoreMaximum is required" in resp.get_json()["message"]


def test_older_timestamp_is_refused_and_same_timestamp_is_idempotent(
    app, client, sandbox, bearer, line_item
):
    uid = person(app, "benjamin-tran")["user_id"]
    assert post_score(client, line_item, bearer, score(uid, stamp(10), 70)).status_code == 200
    older = post_score(client, line_item, bearer, score(uid, stamp(5), 90))
    assert older.status_code == 400
    assert "timestamp not valid" in older.get_json()["message"]
    same = post_score(client, line_item, bearer, score(uid, stamp(10), 70))
    assert same.status_code == 200
    row = attempts_of(client, sandbox, line_item, uid)
    assert (row["score_given"], row["attempts"], row["timestamp"]) == (70, 1, stamp(10))
    results = client.get(
        f"{line_item}/results", headers=bearer, query_string={"user_id": uid}
    ).get_json()
    assert [(r["resultScore"], r["resultMaximum"]) for r in results] == [(70, 100)]


@pytest.mark.parametrize(
    "who", ["priya-raman", "marcus-lee", "linda-okafor", "farah-haddad", "grace-kim"]
)
def test_scores_only_for_active_students_of_the_course(app, client, bearer, line_item, who):
    ok = post_score(
        client, line_item, bearer, score(person(app, "chloe-martin")["user_id"], stamp(0))
    )
    assert ok.status_code == 200
    resp = post_score(client, line_item, bearer, score(person(app, who)["user_id"], stamp(0)))
    assert resp.status_code == 422
    assert "not an active student" in resp.get_json()["message"]


def test_expired_and_unknown_tokens_get_401(app, client, sandbox, bearer, line_item):
    uid = person(app, "diego-ramirez")["user_id"]
    assert post_score(client, line_item, bearer, score(uid, stamp(0))).status_code == 200
    unknown = post_score(client, line_item, {"Authorization": "Bearer nope"}, score(uid, stamp(1)))
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]
    resp = client.post("/sandbox/faults", json={"expire_tokens": True})
    assert resp.status_code == 200
    assert resp.get_json()["expired_tokens"] >= 1
    expired = post_score(client, line_item, bearer, score(uid, stamp(2)))
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert "expired" in expired.get_json()["message"]


def test_token_scope_is_enforced(app, client, sandbox, line_item):
    resp = token_request(
        client,
        sandbox,
        assertion(app, sandbox),
        scope="https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    )
    headers = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}
    assert client.get(line_item, headers=headers).status_code == 200
    uid = person(app, "emily-nguyen")["user_id"]
    assert post_score(client, line_item, headers, score(uid, stamp(0))).status_code == 401


def test_attempts_count_unless_new_submission_is_false(app, client, sandbox, bearer, line_item):
    uid = person(app, "emily-nguyen")["user_id"]
    assert post_score(client, line_item, bearer, score(uid, stamp(0), 50)).status_code == 200
    assert post_score(client, line_item, bearer, score(uid, stamp(1), 60)).status_code == 200
    assert attempts_of(client, sandbox, line_item, uid)["attempts"] == 2
    regrade = score(
        uid,
        stamp(2),
        65,
        **{"https://canvas.instructure.com/lti/submission": {"new_submission": False}},
    )
    assert post_score(client, line_item, bearer, regrade).status_code == 200
    row = attempts_of(client, sandbox, line_item, uid)
    assert (row["attempts"], row["score_given"], row["score_posts"]) == (2, 65, 3)


def test_fault_injection(app, client, sandbox, bearer, line_item):
    uid = person(app, "chloe-martin")["user_id"]
    armed = client.post(
        "/sandbox/faults", json={"score_500": 1, "score_429": 2, "score_429_retry_after": 7}
    )
    assert armed.status_code == 200
    assert client.get("/sandbox/faults").get_json()["score_429"] == 2
    statuses = []
    for i in range(4):
        resp = post_score(client, line_item, bearer, score(uid, stamp(i)))
        statuses.append(resp.status_code)
        if resp.status_code == 429:
            assert resp.headers["Retry-After"] == "7"
    assert statuses == [500, 429, 429, 200]
    row = attempts_of(client, sandbox, line_item, uid)
    assert (row["attempts"], row["timestamp"]) == (1, stamp(3))  # faults stored nothing
    assert client.post("/sandbox/faults", json={"fail_rate": 1.0}).status_code == 200
    resp = post_score(client, line_item, bearer, score(uid, stamp(9)))
    assert resp.status_code in (500, 429)
    assert client.post("/sandbox/faults", json={"fail_rate": 2}).status_code == 400
    assert client.post("/sandbox/faults", json={"bogus": 1}).status_code == 400


def test_random_faults_fail_about_the_rate_with_500_or_429_and_retry_after(app):
    from lti_tool.sandbox.services import set_faults, take_score_fault

    with app.app_context():
        set_faults({"reset": True})
        assert take_score_fault(random.Random(1)) is None  # nothing armed: every post passes
        set_faults({"fail_rate": 0.2, "score_429_retry_after": 3})
        db.session.commit()
        rng = random.Random(7)
        taken = [take_score_fault(rng) for _ in range(2000)]
        faults = [f for f in taken if f is not None]
        counters = set_faults({})
        db.session.commit()

    assert 300 <= len(faults) <= 500  # 20% of 2,000, give or take
    assert {status for status, _ in faults} == {500, 429}
    assert all(after == 3 for status, after in faults if status == 429)
    assert all(after is None for status, after in faults if status == 500)
    injected = counters["injected_500"] + counters["injected_429"]
    assert injected == len(faults)
    assert counters["fail_rate"] == 0.2


def test_concurrent_posts_for_one_result_keep_the_newest(app, client, sandbox, bearer, line_item):
    uid = person(app, "emily-nguyen")["user_id"]
    for n in range(3):
        older, newer = 10 * n + 1, 10 * n + 2
        barrier = threading.Barrier(2)
        codes: dict[int, int] = {}

        def post(seconds: int, given: float, barrier=barrier, codes=codes) -> None:
            other = app.test_client()
            barrier.wait()
            resp = post_score(other, line_item, bearer, score(uid, stamp(seconds), given))
            codes[seconds] = resp.status_code

        threads = [
            threading.Thread(target=post, args=(older, 10.0)),
            threading.Thread(target=post, args=(newer, 20.0)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)

        assert codes[newer] == 200
        assert codes[older] in (200, 400)  # 400 when the newer one landed first
        row = attempts_of(client, sandbox, line_item, uid)
        assert row is not None
        assert (row["timestamp"], row["score_given"]) == (stamp(newer), 20.0)


# --- NRPS ------------------------------------------------------------------------------------


def test_nrps_pages_with_case_sensitive_next_urls(app, client, sandbox, bearer):
    url = api(sandbox, "bus-390", "memberships")
    assert client.get(url).status_code == 401
    members, next_url, pages = [], url, 0
    lower_cased = None
    while next_url:
        resp = client.get(next_url, headers=bearer)
        assert resp.status_code == 200, resp.get_json()
        assert resp.mimetype == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
        page = resp.get_json()["members"]
        assert len(page) <= 3
        members += page
        pages += 1
        link = resp.headers.get("Link")
        next_url = re.match(r'<([^>]+)>; rel="next"', link).group(1) if link else None
        if next_url and lower_cased is None:
            lower_cased = next_url.lower()
            assert next_url != lower_cased
    assert pages >= 3
    by_name = {m["name"]: m for m in members}
    assert by_name["Farah Haddad"]["status"] == "Inactive"
    assert by_name["Amara Okafor"]["status"] == "Active"
    assert by_name["Amara Okafor"]["user_id"] == person(app, "amara-okafor")["user_id"]
    assert by_name["Marcus Lee"]["roles"] == [
        f"{LIS}membership#Instructor",
        f"{LIS}membership/Instructor#TeachingAssistant",
    ]
    assert by_name["Linda Okafor"]["roles"] == [f"{LIS}membership#Mentor"]
    assert len(by_name) == len(members) == 9
    resp = client.get(lower_cased, headers=bearer)
    assert resp.status_code == 400
    assert "case-sensitive" in resp.get_json()["message"]


def test_nrps_refuses_a_token_without_its_scope(app, client, sandbox):
    resp = token_request(
        client,
        sandbox,
        assertion(app, sandbox),
        scope="https://purl.imsglobal.org/spec/lti-ags/scope/score",
    )
    headers = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}
    resp = client.get(api(sandbox, "bus-390", "memberships"), headers=headers)
    assert resp.status_code == 401
    assert "insufficient_scope" in resp.headers["WWW-Authenticate"]


# --- deep linking ----------------------------------------------------------------------------


def deep_link_request(client, sandbox) -> dict[str, Any]:
    claims, _ = id_token_for(
        client, sandbox, course="bus-390", person="priya-raman", message="deep_link"
    )
    assert claims[CLAIM + "message_type"] == "LtiDeepLinkingRequest"
    assert CLAIM + "resource_link" not in claims
    settings = claims[DL + "deep_linking_settings"]
    assert settings["deep_link_return_url"] == f"{sandbox.platform_url}/sandbox/deep_link_return"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_presentation_document_targets"] == ["iframe", "window"]
    assert settings["accept_multiple"] is True
    assert settings["data"]
    return claims


def deep_link_response(app, sandbox, request: dict[str, Any], **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": sandbox.client_id,
        "aud": sandbox.issuer,
        "iat": now,
        "exp": now + 300,
        "nonce": uuid.uuid4().hex,
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": sandbox.deployment_id,
        DL + "data": request[DL + "deep_linking_settings"]["data"],
        DL + "content_items": [
            {
                "type": "ltiResourceLink",
                "title": "Micro-internship listings",
                "url": f"{sandbox.tool_url}/lti/launch",
                "custom": {"placement": "listings"},
            },
            {
                "type": "ltiResourceLink",
                "title": "Micro-internship credit",
                "url": f"{sandbox.tool_url}/lti/launch",
                "custom": {"placement": "credit"},
                "lineItem": {
                    "label": "Micro-internship credit",
                    "scoreMaximum": 100,
                    "resourceId": "credit",
                    "tag": "career-credit",
                },
            },
        ],
    }
    claims.update(overrides)
    return tool_jwt(app, claims)


def test_deep_linking_places_items_and_line_items(app, client, sandbox, bearer):
    request = deep_link_request(client, sandbox)
    resp = client.post(
        "/sandbox/deep_link_return", data={"JWT": deep_link_response(app, sandbox, request)}
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:800]
    page = resp.get_data(as_text=True)
    links = re.findall(r'data-resource-link-id="(\w+)"', page)
    assert len(links) == 2
    assert "Micro-internship credit" in page
    assert "out of 100 points" in page
    graded = client.get(
        api(sandbox, "bus-390", "line_items"),
        headers=bearer,
        query_string={"resource_link_id": links[1]},
    ).get_json()
    assert [(i["label"], i["scoreMaximum"], i["resourceId"]) for i in graded] == [
        ("Micro-internship credit", 100, "credit")
    ]
    claims, _ = id_token_for(
        client, sandbox, course="bus-390", person="amara-okafor", resource_link=links[1]
    )
    assert claims[CLAIM + "resource_link"]["id"] == links[1]
    assert claims[AGS]["lineitem"] == graded[0]["id"]
    assert claims[CLAIM + "custom"]["placement"] == "credit"
    plain, _ = id_token_for(
        client, sandbox, course="bus-390", person="amara-okafor", resource_link=links[0]
    )
    assert "lineitem" not in plain[AGS]


def test_deep_link_return_refuses_a_wrong_audience(app, client, sandbox):
    request = deep_link_request(client, sandbox)
    resp = client.post(
        "/sandbox/deep_link_return",
        data={
            "JWT": deep_link_response(app, sandbox, request, aud="http://some-other-lms.example")
        },
    )
    assert resp.status_code == 400
    assert "aud must be the sandbox issuer" in resp.get_data(as_text=True)
    good = client.post(
        "/sandbox/deep_link_return", data={"JWT": deep_link_response(app, sandbox, request)}
    )
    assert good.status_code == 200


def test_deep_link_return_refuses_a_replayed_nonce(app, client, sandbox):
    request = deep_link_request(client, sandbox)
    signed = deep_link_response(app, sandbox, request)
    assert client.post("/sandbox/deep_link_return", data={"JWT": signed}).status_code == 200
    again = client.post("/sandbox/deep_link_return", data={"JWT": signed})
    assert again.status_code == 400
    assert "nonce was already used" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"iss": "someone-else"}, "iss must be the client id"),
        ({CLAIM + "message_type": "LtiResourceLinkRequest"}, "message_type"),
        ({CLAIM + "deployment_id": "other"}, "deployment_id"),
        ({DL + "data": "not-what-was-sent"}, "data does not match"),
        ({"nonce": None}, "nonce"),
    ],
)
def test_deep_link_return_checks(app, client, sandbox, override, reason):
    request = deep_link_request(client, sandbox)
    signed = deep_link_response(app, sandbox, request, **override)
    if override.get("nonce", 1) is None:
        body = jwt.decode(signed, options={"verify_signature": False})
        body.pop("nonce")
        signed = tool_jwt(app, body)
    resp = client.post("/sandbox/deep_link_return", data={"JWT": signed})
    assert resp.status_code == 400
    assert reason in resp.get_data(as_text=True)


def test_only_instructors_deep_link(client, sandbox):
    resp = client.get(
        "/sandbox/launch",
        query_string={"course": "bus-390", "person": "amara-okafor", "message": "deep_link"},
    )
    assert resp.status_code == 400
    assert 'data-reason="message"' in resp.get_data(as_text=True)


def test_gradebook_shows_scores(app, client, sandbox, bearer, line_item):
    uid = person(app, "amara-okafor")["user_id"]
    assert post_score(client, line_item, bearer, score(uid, stamp(0), 91)).status_code == 200
    page = client.get("/sandbox/gradebook", query_string={"course": "bus-390"}).get_data(
        as_text=True
    )
    assert "<caption>" in page
    assert 'scope="col"' in page
    assert 'scope="row"' in page
    assert "91 / 100" in page


# --- a stock pylti1p3 client against the sandbox ---------------------------------------------


def pylti1p3_connector(app, sandbox):
    from pylti1p3.registration import Registration as ToolRegistration
    from pylti1p3.service_connector import ServiceConnector

    kid, pem = tool_key(app)

    class KeyedRegistration(ToolRegistration):
        def get_kid(self) -> str:
            return kid

    reg = (
        KeyedRegistration()
        .set_issuer(sandbox.issuer)
        .set_client_id(sandbox.client_id)
        .set_auth_token_url(f"{sandbox.platform_url}/sandbox/token")
        .set_tool_private_key(pem)
    )
    return ServiceConnector(reg)


def test_pylti1p3_posts_grades_but_trips_on_nrps_paging(app, client, live_server, sandbox):
    """pylti1p3 2.0 over real HTTP: its AGS calls work; its NRPS paging lower-cases the next
    page URL, which the sandbox refuses on purpose."""
    from pylti1p3.assignments_grades import AssignmentsGradesService
    from pylti1p3.exception import LtiServiceException
    from pylti1p3.grade import Grade
    from pylti1p3.lineitem import LineItem
    from pylti1p3.names_roles import NamesRolesProvisioningService

    claims, _ = id_token_for(client, sandbox, course="bus-390", person="amara-okafor")
    connector = pylti1p3_connector(app, sandbox)
    ags = AssignmentsGradesService(connector, claims[AGS])
    item = ags.find_or_create_lineitem(
        LineItem().set_label("pylti1p3 credit").set_score_maximum(10).set_tag(uuid.uuid4().hex)
    )
    grade = (
        Grade()
        .set_score_given(9)
        .set_score_maximum(10)
        .set_user_id(claims["sub"])
        .set_timestamp(stamp(0))
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
    )
    ags.put_grade(grade, item)
    row = attempts_of(client, sandbox, item.get_id(), claims["sub"])
    assert (row["score_given"], row["attempts"]) == (9, 1)
    nrps = NamesRolesProvisioningService(connector, claims[NRPS])
    with pytest.raises(LtiServiceException, match="400"):
        nrps.get_members()


# --- platform storage in a real browser ------------------------------------------------------

FAKE_TOOL_PAGE = """<!doctype html><html lang="en"><head><title>fake tool</title></head>
<body><main><h1>fake tool</h1></main></body></html>"""
STORAGE_PROBE = """async () => {
  const ask = (msg) => new Promise((resolve) => {
    const handler = (event) => {
      if (event.data && event.data.message_id === msg.message_id) {
        window.removeEventListener("message", handler);
        resolve({data: event.data, origin: event.origin});
      }
    };
    window.addEventListener("message", handler);
    window.parent.postMessage(msg, "*");
  });
  return {
    caps: await ask({subject: "lti.capabilities", message_id: "m1"}),
    put: await ask({subject: "lti.put_data", message_id: "m2", key: "state-x", value: "abc"}),
    get: await ask({subject: "lti.get_data", message_id: "m3", key: "state-x"}),
    missing: await ask({subject: "lti.get_data", message_id: "m4", key: "nope"}),
    bad: await ask({subject: "lti.put_data", message_id: "m5"}),
  };
}"""


@pytest.mark.browser
def test_launch_page_answers_platform_storage_messages(live_server, sandbox):
    """The launch page keeps the tool frame's data (the tool's stand-in for cookies that the
    browser blocks in a cross-site iframe), per the 1EdTech platform-storage messages."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("/usr/bin/chromium not found")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=["--headless=new", "--no-sandbox"]
        )
        try:
            page = browser.new_context().new_page()
            # The frame loads a stand-in page on the tool's origin instead of the real login.
            page.route(
                f"{sandbox.tool_url}/lti/login*",
                lambda route: route.fulfill(
                    status=200, content_type="text/html", body=FAKE_TOOL_PAGE
                ),
            )
            page.goto(f"{sandbox.platform_url}/sandbox/launch?course=bus-390&person=amara-okafor")
            page.frame_locator("#tool-frame").locator("h1").wait_for()
            frame = page.locator("#tool-frame").element_handle().content_frame()
            result = frame.evaluate(STORAGE_PROBE)
        finally:
            browser.close()
    assert result["caps"]["origin"] == sandbox.platform_url
    subjects = {m["subject"] for m in result["caps"]["data"]["supported_messages"]}
    assert {"lti.put_data", "lti.get_data"} <= subjects
    assert result["put"]["data"]["subject"] == "lti.put_data.response"
    assert result["get"]["data"] == {
        "subject": "lti.get_data.response",
        "message_id": "m3",
        "key": "state-x",
        "value": "abc",
    }
    assert result["missing"]["data"]["value"] is None
    assert result["bad"]["data"]["error"]["code"] == "bad_request"
