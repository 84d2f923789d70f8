"""The LTI endpoints under hostile input: OIDC login parameters, id_tokens that are not JWTs
(random bytes, wrong segment counts, bad base64, ``alg: none``), id_tokens correctly signed by
the platform whose claims have the wrong types, huge values or Unicode edge cases (lone
surrogates, RTL marks, zero-width characters, NUL), and Dynamic Registration fed hostile query
parameters and a platform answering with hostile JSON. Never a 5xx; a refused launch records no
launch, user, course or enrolment; no page shows hostile markup unescaped."""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import requests_mock as requests_mock_module
from hypothesis import example, given
from hypothesis import strategies as st

from lti_tool.actor import Actor
from tests.platform import launch_id, page_address

from .conftest import (
    HOSTILE,
    IMG,
    PROPERTY,
    SCRIPT,
    any_text,
    changed,
    check_answer,
    counts,
    hostile,
)

pytestmark = pytest.mark.slow  # tens of examples a test

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LAUNCH_TABLES = (
    "launch", "lti_user", "course", "enrolment", "resource_link", "tenant", "registration",
)  # fmt: skip
# Claims a launch reads, with a few nested paths.
CLAIM_PATHS = (
    ("sub",), ("name",), ("email",), ("given_name",), ("family_name",), ("iss",), ("aud",),
    ("nonce",), ("iat",), ("exp",), ("azp",), ("locale",),
    (CLAIM + "deployment_id",), (CLAIM + "message_type",), (CLAIM + "version",),
    (CLAIM + "roles",), (CLAIM + "target_link_uri",), (CLAIM + "custom",),
    (CLAIM + "custom", "career_credit_role"), (CLAIM + "custom", "canvas_term_name"),
    (CLAIM + "context",), (CLAIM + "context", "id"), (CLAIM + "context", "title"),
    (CLAIM + "context", "label"), (CLAIM + "context", "type"),
    (CLAIM + "resource_link",), (CLAIM + "resource_link", "id"),
    (CLAIM + "resource_link", "title"), (CLAIM + "lis",), (CLAIM + "tool_platform",),
    (CLAIM + "launch_presentation",), (CLAIM + "launch_presentation", "return_url"),
    (CLAIM + "role_scope_mentor",),
    ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",),
    ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", "lineitem"),
    ("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", "scope"),
    ("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice",),
    ("https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice", "context_memberships_url"),
)  # fmt: skip

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=4)
    ),
    max_leaves=12,
)
# Values a launch of a person's name would show: markup, control characters, edge Unicode.
UNICODE_EDGE = st.sampled_from(
    [
        "\ud800",
        "a\udfffb",
        "\u202egnp.exe",
        "\u200b\u200c\u200d",
        "\x00",
        "NUL\x00in",
        "\x7f\x1b[31m",
        "\ufeff",
        "A" * 100_000,
        SCRIPT,
        IMG,
    ]
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _sign(platform: Any, body: dict[str, Any]) -> str:
    """RS256 with the platform's key over any JSON (PyJWT's encode would refuse a non-string
    ``iss``; a platform's bug would not)."""
    from jwt.api_jws import PyJWS

    return PyJWS().encode(
        json.dumps(body).encode(),
        platform.registration.get_platform_private_key(),
        algorithm="RS256",
        headers={"kid": platform.registration.get_kid()},
    )


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = body
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


def _ags_nrps(body: dict[str, Any]) -> dict[str, Any]:
    body["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"],
        "lineitems": "https://lms.example.edu/api/lti/courses/1/line_items",
        "lineitem": "https://lms.example.edu/api/lti/courses/1/line_items/1",
    }
    body["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
        "context_memberships_url": "https://lms.example.edu/api/lti/courses/1/names_and_roles",
        "service_versions": ["2.0"],
    }
    return body


def _launch_counts(app: Any) -> dict[str, int]:
    with app.app_context():
        every = counts()
    return {name: every[name] for name in LAUNCH_TABLES}


@pytest.fixture
def lms(app, make_platform, driver):
    platform = make_platform()
    return platform, driver(platform)


def test_positive_control_a_plain_launch_is_accepted(lms):
    _platform, lti = lms
    assert page_address(lti.launch(sub="control", role="student", follow=False).response)


def test_signed_tokens_with_hostile_claims_never_break_the_launch(app, lms):
    platform, lti = lms

    @PROPERTY
    @given(
        path=st.sampled_from(CLAIM_PATHS),
        value=st.one_of(json_value, UNICODE_EDGE),
        role=st.sampled_from(["student", "faculty", "ta", "observer", "admin"]),
    )
    @example(("name",), "NUL\x00here", "student")
    @example(("sub",), "\ud800", "student")
    @example(("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint", "lineitem"), [], "faculty")
    @example(("https://purl.imsglobal.org/spec/lti-ags/claim/endpoint",), 1, "student")
    @example((CLAIM + "resource_link",), "not an object", "student")
    @example((CLAIM + "deployment_id",), {"": None}, "student")
    def run(path: tuple[str, ...], value: Any, role: str) -> None:
        sub = f"p-{secrets.token_hex(4)}"
        params = lti.login(sub)
        body = _ags_nrps(
            platform.claims(
                sub=sub,
                role=role,
                nonce=params["nonce"],
                context={"id": "course-1", "title": "Course", "label": "C1"},
            )
        )
        _set(body, path, value)
        before = _launch_counts(app)
        resp = lti.post(_sign(platform, body), params["state"])
        what = f"claim {path} = {value!r:.120}"
        check_answer(resp, what)
        if page_address(resp) is None:  # not the page the launch lands on: refused
            assert changed(before, _launch_counts(app)) == {}, f"{what}: refused but recorded"
            return
        address = page_address(resp)
        check_answer(lti.client.get(address), f"{what} (home, reloaded)")

    run()


@st.composite
def broken_jwt(draw: Any, good: str) -> str:
    header, payload, signature = good.split(".")
    how = draw(
        st.sampled_from(
            ["bytes", "segments", "bad_b64", "alg_none", "alg_hs", "header_json", "flip", "text"]
        )
    )
    if how == "bytes":
        return draw(st.binary(max_size=300)).decode("latin-1")
    if how == "segments":
        n = draw(st.sampled_from([1, 2, 4, 5]))
        return ".".join([header, payload, signature, payload, header][:n])
    if how == "bad_b64":
        junk = draw(st.sampled_from(["!!!", "%%%", "====", "a", "\u00e9"]))
        return f"{header}.{junk}.{signature}"
    if how == "alg_none":
        none = _b64(json.dumps({"alg": draw(st.sampled_from(["none", "None", "NONE"]))}).encode())
        return f"{none}.{payload}." + draw(st.sampled_from(["", signature]))
    if how == "alg_hs":
        hs = _b64(json.dumps({"alg": "HS256", "kid": "x", "typ": "JWT"}).encode())
        return f"{hs}.{payload}.{signature}"
    if how == "header_json":
        value = draw(json_value)
        return f"{_b64(json.dumps(value).encode())}.{payload}.{signature}"
    if how == "flip":
        i = draw(st.integers(0, len(signature) - 1))
        return f"{header}.{payload}.{signature[:i]}{'A' if signature[i] != 'A' else 'B'}"
    return draw(st.one_of(any_text, st.sampled_from(HOSTILE)))


def test_malformed_id_tokens_are_refused(app, lms):
    platform, lti = lms
    params = lti.login("template")
    good = platform.sign(platform.claims(sub="template", role="student", nonce=params["nonce"]))

    @PROPERTY
    @given(data=st.data())
    def run(data: Any) -> None:
        params = lti.login("m")
        token = data.draw(broken_jwt(good))
        state = data.draw(st.one_of(st.just(params["state"]), hostile))
        before = _launch_counts(app)
        resp = lti.client.post(
            "/lti/launch",
            data=f"id_token={_q(token)}&state={_q(state)}".encode(),
            content_type="application/x-www-form-urlencoded",
        )
        check_answer(resp, f"id_token {token!r:.120}")
        assert resp.status_code == 400, resp.status_code
        assert changed(before, _launch_counts(app)) == {}

    run()


def _q(value: str) -> str:
    import urllib.parse

    return urllib.parse.quote_plus(value.encode("utf-8", "surrogatepass"))


LOGIN_FIELDS = (
    "iss", "login_hint", "client_id", "target_link_uri", "lti_message_hint",
    "lti_deployment_id", "lti_storage_target",
)  # fmt: skip


def test_hostile_login_parameters(app, lms):
    platform, lti = lms
    base = {
        "iss": platform.issuer,
        "login_hint": "someone",
        "client_id": platform.client_id,
        "target_link_uri": "http://127.0.0.1/lti/launch",
        "lti_message_hint": "m1",
        "lti_deployment_id": platform.deployment_id,
    }

    @PROPERTY
    @given(
        values=st.dictionaries(st.sampled_from(LOGIN_FIELDS), hostile, min_size=1),
        method=st.sampled_from(["GET", "POST"]),
    )
    def run(values: dict[str, str], method: str) -> None:
        fields = {**base, **values}
        query = "&".join(f"{_q(k)}={_q(v)}" for k, v in fields.items())
        with app.app_context():
            before = counts()
        if method == "GET":
            resp = lti.client.get(f"/lti/login?{query}")
        else:
            resp = lti.client.post(
                "/lti/login", data=query.encode(), content_type="application/x-www-form-urlencoded"
            )
        check_answer(resp, f"login {values!r:.160}")
        if resp.status_code >= 400:
            with app.app_context():
                assert changed(before, counts()) == {}, "a refused login wrote rows"

    run()


# --- Dynamic Registration ----------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dynreg"
TOOL = "https://careers.example.edu"
REG_TABLES = ("tenant", "registration", "deployment", "registration_invitation", "tool_key")


def _invite(app: Any) -> str:
    from lti_tool.extensions import db
    from lti_tool.registration import services

    with app.app_context():
        _, token = services.create_invitation(Actor(None, "tests"))
        db.session.commit()
    return token


def _hidden(page: Any) -> dict[str, str]:
    import html

    return {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(
            r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">',
            page.get_data(as_text=True),
        )
    }


def _reg_counts(app: Any) -> dict[str, int]:
    with app.app_context():
        every = counts()
    return {name: every[name] for name in REG_TABLES}


def test_dynamic_registration_query_parameters(app):
    client = app.test_client()

    @PROPERTY
    @given(
        values=st.dictionaries(
            st.sampled_from(["invite", "openid_configuration", "registration_token"]),
            st.one_of(hostile, st.sampled_from(["http://[", "https://[::1", "http://a:b@/", "//"])),
            min_size=1,
        )
    )
    def run(values: dict[str, str]) -> None:
        query = "&".join(f"{_q(k)}={_q(v)}" for k, v in values.items())
        before = _reg_counts(app)
        for method in ("GET", "POST"):
            if method == "GET":
                resp = client.get(f"/registration/register?{query}", base_url=TOOL)
            else:
                resp = client.post(
                    "/registration/register",
                    data=query.encode(),
                    content_type="application/x-www-form-urlencoded",
                    base_url=TOOL,
                )
            check_answer(resp, f"{method} /registration/register {values!r:.160}")
            assert 400 <= resp.status_code < 500
        assert changed(before, _reg_counts(app)) == {}

    run()


CONFIG_KEYS = (
    "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint",
    "scopes_supported", "response_types_supported", "id_token_signing_alg_values_supported",
    "claims_supported", "https://purl.imsglobal.org/spec/lti-platform-configuration",
)  # fmt: skip


def test_dynamic_registration_with_a_hostile_platform(app):
    host = f"https://moodle-{secrets.token_hex(4)}.example.edu"
    config = json.loads(
        (FIXTURES / "moodle_openid_configuration.json")
        .read_text()
        .replace("https://moodle.example.edu", host)
    )
    answer = json.loads((FIXTURES / "moodle_registration_response.json").read_text())
    config_url = f"{host}/mod/lti/openid-configuration.php"
    client = app.test_client()

    @PROPERTY
    @given(
        where=st.sampled_from(["config", "answer"]),
        key=st.sampled_from((*CONFIG_KEYS, "client_id", "deployment_id", "*")),
        value=json_value,
        raw=st.one_of(st.none(), st.binary(max_size=200)),
    )
    @example("config", "issuer", "NUL\x00here", None)
    @example("answer", "client_id", "lone \ud800", None)
    @example("answer", "client_id", "NUL\x00here", None)
    @example("config", "https://purl.imsglobal.org/spec/lti-platform-configuration", [], None)
    def run(where: str, key: str, value: Any, raw: bytes | None) -> None:
        bad_config, bad_answer = copy.deepcopy(config), copy.deepcopy(answer)
        bad_answer["client_id"] = f"moodle-{secrets.token_hex(4)}"
        target = bad_config if where == "config" else bad_answer
        body: Any = value if key == "*" else {**target, key: value}
        payload = raw if raw is not None else json.dumps(body).encode()
        invite = _invite(app)
        before = _reg_counts(app)
        with requests_mock_module.Mocker() as mock:
            mock.get(
                config_url,
                content=payload if where == "config" else json.dumps(bad_config).encode(),
                headers={"Content-Type": "application/json"},
            )
            mock.post(
                bad_config.get("registration_endpoint")
                if isinstance(bad_config.get("registration_endpoint"), str)
                and bad_config["registration_endpoint"].startswith("https://")
                else f"{host}/mod/lti/openid-registration.php",
                content=payload if where == "answer" else json.dumps(bad_answer).encode(),
                headers={"Content-Type": "application/json"},
            )
            page = client.get(
                "/registration/register",
                query_string={
                    "invite": invite,
                    "openid_configuration": config_url,
                    "registration_token": "reg-tok",
                },
                base_url=TOOL,
            )
            if page.status_code == 502:  # the platform's configuration was unusable
                assert b'data-reason="' in page.get_data()
                page.status_code = 422
            check_answer(page, f"register page, {where}.{key} = {value!r:.120}")
            if page.status_code != 200:
                assert changed(before, _reg_counts(app)) == {}
                return
            resp = client.post("/registration/register", data=_hidden(page), base_url=TOOL)
        what = f"register confirm, {where}.{key} = {value!r:.120}"
        if resp.status_code == 502:  # the platform's answer was unusable: say so, write nothing
            assert b'data-reason="' in resp.get_data(), what
            resp.status_code = 422
        check_answer(resp, what)
        if resp.status_code >= 400:
            after = _reg_counts(app)
            assert changed(before, after) == {}, f"{where}.{key}: refused but wrote"

    run()


def test_look_alike_launches_never_meet_another_lms_or_institution(app, make_platform, driver):
    """Three LMSs send the same look-alike values (Moodle-style small-integer subs and context
    ids, the same names, a service URL on the first school's own LMS domain): school A's LMS,
    a second LMS joined to A's tenant, and school B's. Each launch is its own person in its own
    course; nobody is renamed; B never learns A's LMS domain."""
    from sqlalchemy import select

    from lti_tool.auth import load_launch
    from lti_tool.extensions import db
    from lti_tool.models import Registration, Tenant, User

    school_a = make_platform()
    with app.app_context():
        tenant_a = db.session.get(Tenant, school_a.tenant_id).name
    second_lms = make_platform(tenant=tenant_a)
    school_b = make_platform()
    host_a = f"moodle-{secrets.token_hex(3)}.school-a.example"

    @PROPERTY
    @given(
        sub=st.integers(min_value=1, max_value=10_000).map(str),
        context=st.integers(min_value=1, max_value=500).map(str),
        role=st.sampled_from(["student", "faculty"]),
    )
    @example("2", "7", "student")
    def run(sub: str, context: str, role: str) -> None:
        launched = {}
        for name, platform in (("a", school_a), ("second", second_lms), ("b", school_b)):
            lti = driver(platform)
            params = lti.login(sub)
            body = platform.claims(
                sub=sub,
                role=role,
                nonce=params["nonce"],
                context={"id": context, "title": "Course", "label": "C"},
                name=f"Person {name}",
            )
            body["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = {
                "context_memberships_url": f"https://{host_a}/nrps/{context}",
                "service_versions": ["2.0"],
            }
            resp = lti.post(_sign(platform, body), params["state"])
            assert page_address(resp), resp.get_data(as_text=True)[:300]
            lid = launch_id(resp)
            with app.app_context():
                ctx = load_launch(lid)
                assert ctx is not None
                launched[name] = (ctx.user_id, ctx.course_id, ctx.tenant_id)
        users = {v[0] for v in launched.values()}
        courses = {v[1] for v in launched.values()}
        assert len(users) == 3 and len(courses) == 3, launched
        assert launched["a"][2] == launched["second"][2] != launched["b"][2]
        with app.app_context():
            names = dict(
                db.session.execute(select(User.id, User.name).where(User.id.in_(users))).all()
            )
            assert names[launched["a"][0]] == "Person a"  # never renamed by the look-alikes
            reg_b = db.session.scalar(
                select(Registration).where(Registration.issuer == school_b.issuer)
            )
            assert host_a not in (reg_b.service_hosts or [])

    run()
