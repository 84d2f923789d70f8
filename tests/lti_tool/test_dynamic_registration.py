"""LTI Dynamic Registration 1.0 driven end to end: the platform's OpenID configuration and
registration endpoints are test doubles (requests_mock) shaped like Moodle's and Canvas's, the
administrator's confirmation goes through the Flask test client with its CSRF token."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, update

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import AuditEntry, Deployment, Registration, Tenant
from lti_tool.registration import kits, services
from lti_tool.registration.models import RegistrationInvitation

JSON = {"Content-Type": "application/json; charset=utf-8"}
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dynreg"
TOOL = "https://careers.example.edu"
TOOL_CONFIG = services.TOOL_CONFIGURATION
MOODLE_CONFIG_PATH = "/mod/lti/openid-configuration.php"
CANVAS_ISSUER = "https://canvas.instructure.com"
CANVAS_CONFIG_URL = f"{CANVAS_ISSUER}/api/lti/security/openid-configuration"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class PlatformDouble:
    """A platform's OpenID configuration and registration endpoints on requests_mock."""

    def __init__(self, mocker: Any, config: dict[str, Any], config_url: str) -> None:
        self.mocker = mocker
        self.config = config
        self.config_url = config_url
        self.registrations: list[dict[str, Any]] = []
        self.answer: Any = None  # callable(body) -> (status, json or bytes, headers)
        self.config_route = mocker.get(config_url, json=config, headers=JSON)
        self.register_route = mocker.post(
            config["registration_endpoint"], json=self._answer, headers=JSON
        )

    def _answer(self, request: Any, context: Any) -> Any:
        body = request.json()
        self.registrations.append({"auth": request.headers.get("Authorization"), "body": body})
        status, payload = self.answer(body)
        context.status_code = status
        return payload

    @property
    def registration_url(self) -> str:
        return self.config["registration_endpoint"]


def moodle(requests_mock: Any, *, client_id: str | None = None) -> PlatformDouble:
    """A Moodle 4.5 site on a host of its own, answering like mod/lti/openid-registration.php."""
    host = f"https://moodle-{secrets.token_hex(4)}.example.edu"
    config = json.loads(
        (FIXTURES / "moodle_openid_configuration.json")
        .read_text()
        .replace("https://moodle.example.edu", host)
    )
    double = PlatformDouble(requests_mock, config, host + MOODLE_CONFIG_PATH)
    answer = fixture("moodle_registration_response.json")
    answer["client_id"] = client_id or f"moodle-{secrets.token_hex(4)}"
    double.answer = lambda body: (200, answer)
    return double


def canvas(requests_mock: Any, *, client_id: str | None = None) -> PlatformDouble:
    """Hosted Canvas: echoes the registration with its client id, makes no deployment yet."""
    double = PlatformDouble(
        requests_mock, fixture("canvas_openid_configuration.json"), CANVAS_CONFIG_URL
    )
    cid = client_id or str(10000000000000 + secrets.randbelow(10**9))
    double.answer = lambda body: (200, {**body, "client_id": cid})
    return double


def invite(app: Any, **kwargs: Any) -> str:
    with app.app_context():
        _, token = services.create_invitation(Actor(None, "tests"), **kwargs)
        db.session.commit()
    return token


def counts(app: Any) -> dict[str, int]:
    with app.app_context():
        used = select(func.count()).where(RegistrationInvitation.used_at.is_not(None))
        return {
            "tenants": db.session.scalar(select(func.count()).select_from(Tenant)),
            "registrations": db.session.scalar(select(func.count()).select_from(Registration)),
            "deployments": db.session.scalar(select(func.count()).select_from(Deployment)),
            "used_invitations": db.session.scalar(used.select_from(RegistrationInvitation)),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        }


@pytest.fixture
def browser(app):
    """The LMS administrator's browser, on the tool's public https address."""
    client = app.test_client()
    original = client.open

    def open_(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", TOOL)
        return original(*args, **kwargs)

    client.open = open_  # type: ignore[method-assign]
    return client


def start(
    browser: Any,
    token: str | None,
    platform: PlatformDouble,
    reg_token: str = "reg-tok",  # noqa: S107
):
    query: dict[str, str] = {
        "openid_configuration": platform.config_url,
        "registration_token": reg_token,
    }
    if token is not None:
        query["invite"] = token
    return browser.get("/registration/register", query_string=query)


def hidden_fields(page: Any) -> dict[str, str]:
    html = page.get_data(as_text=True)
    return {
        m.group(1): m.group(2)
        for m in re.finditer(
            r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">', html
        )
    }


def confirm(browser: Any, page: Any, **override: str):
    assert page.status_code == 200, page.get_data(as_text=True)
    return browser.post("/registration/register", data={**hidden_fields(page), **override})


def reason(resp: Any) -> str:
    match = re.search(r'data-reason="([^"]+)"', resp.get_data(as_text=True))
    assert match, resp.get_data(as_text=True)
    return match.group(1)


def registration_for(app: Any, issuer: str, client_id: str) -> Registration | None:
    with app.app_context():
        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == issuer, Registration.client_id == client_id
            )
        )
        if reg is not None:
            reg.tenant.name  # noqa: B018 - load before the session closes
            _ = [d.deployment_id for d in reg.deployments]
            db.session.expunge_all()
        return reg


# --- the whole exchange ------------------------------------------------------------------------


def test_moodle_registration_end_to_end(app, browser, requests_mock):
    platform = moodle(requests_mock)
    tenant = f"State U {secrets.token_hex(3)}"
    token = invite(app, new_tenant_name=tenant)
    before = counts(app)

    page = start(browser, token, platform, reg_token="moodle-reg-jwt")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html
    assert platform.config["issuer"] in html and f"{tenant} (new)" in html
    assert 'action="/registration/register"' in html and "csrf_token" in html
    assert platform.config_route.last_request.headers["Authorization"] == "Bearer moodle-reg-jwt"
    assert platform.registrations == []
    assert counts(app) == before  # showing the preview stores nothing

    done = confirm(browser, page)
    body = done.get_data(as_text=True)
    assert done.status_code == 200, body
    # the page hands control back to the LMS from a nonce'd script, no inline handlers
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", done.headers["Content-Security-Policy"])
    assert f'<script nonce="{nonce.group(1)}">' in body  # type: ignore[union-attr]
    assert (
        "(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}" in body
    )
    assert "onclick" not in body

    (sent,) = platform.registrations
    assert sent["auth"] == "Bearer moodle-reg-jwt"
    reg_body = sent["body"]
    assert reg_body["application_type"] == "web"
    assert reg_body["response_types"] == ["id_token"]
    assert set(reg_body["grant_types"]) == {"implicit", "client_credentials"}
    assert reg_body["initiate_login_uri"] == f"{TOOL}/lti/login"
    assert reg_body["redirect_uris"] == [f"{TOOL}/lti/launch"]
    key_set_id = reg_body["jwks_uri"].removeprefix(f"{TOOL}/lti/jwks/")
    assert key_set_id and "/" not in key_set_id  # the new tenant's own key set, never /lti/jwks
    assert reg_body["token_endpoint_auth_method"] == "private_key_jwt"
    assert reg_body["client_name"] == "Career Credit"
    assert set(reg_body["scope"].split()) == set(kits.SCOPES)
    tool = reg_body[TOOL_CONFIG]
    assert tool["domain"] == "careers.example.edu"
    assert tool["target_link_uri"] == f"{TOOL}/lti/launch"
    assert {"name", "given_name", "family_name", "email"} <= set(tool["claims"])
    messages = {m["type"]: m for m in tool["messages"]}
    assert set(messages) == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert messages["LtiDeepLinkingRequest"]["placements"] == ["ContentArea"]
    assert not any(k.startswith("https://canvas.instructure.com/") for k in tool)
    assert "custom_parameters" not in tool

    answer = fixture("moodle_registration_response.json")
    client_id = re.search(r"data-client-id>([^<]+)<", body).group(1)  # type: ignore[union-attr]
    reg = registration_for(app, platform.config["issuer"], client_id)
    assert reg is not None
    assert reg.tenant.name == tenant
    assert reg.auth_login_url == platform.config["authorization_endpoint"]
    assert reg.auth_token_url == platform.config["token_endpoint"]
    assert reg.key_set_url == platform.config["jwks_uri"]
    assert [d.deployment_id for d in reg.deployments] == [answer[TOOL_CONFIG]["deployment_id"]]
    after = counts(app)
    assert after["tenants"] == before["tenants"] + 1
    assert after["registrations"] == before["registrations"] + 1
    assert after["used_invitations"] == before["used_invitations"] + 1
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.tenant_id == reg.tenant_id)
        ).all()
    assert {"tenant.create", "registration.add", "registration.dynamic"} <= set(actions)
    with app.app_context():
        assert db.session.get(Tenant, reg.tenant_id).key_set_id == key_set_id
    own = browser.get(f"/lti/jwks/{key_set_id}")
    assert own.status_code == 200 and own.get_json()["keys"]
    legacy = {k["kid"] for k in browser.get("/lti/jwks").get_json()["keys"]}
    assert not legacy & {k["kid"] for k in own.get_json()["keys"]}


def test_canvas_registration_sends_canvas_fields(app, browser, requests_mock):
    platform = canvas(requests_mock)
    token = invite(app)
    before = counts(app)
    page = start(browser, token, platform)
    assert "Test University" in page.get_data(as_text=True)
    done = confirm(browser, page)
    assert done.status_code == 200, done.get_data(as_text=True)

    tool = platform.registrations[0]["body"][TOOL_CONFIG]
    assert tool["https://canvas.instructure.com/lti/privacy_level"] == "public"
    assert tool["https://canvas.instructure.com/lti/tool_id"] == kits.TOOL_ID
    assert tool["custom_parameters"] == {
        "canvas_course_id": "$Canvas.course.id",
        "term_name": "$Canvas.term.name",
        "term_start": "$Canvas.term.startAt",
        "term_end": "$Canvas.term.endAt",
        "canvas_api_domain": "$Canvas.api.domain",
    }
    messages = {m["type"]: m["placements"] for m in tool["messages"]}
    assert messages == {
        "LtiResourceLinkRequest": ["course_navigation", "account_navigation"],
        "LtiDeepLinkingRequest": ["link_selection", "assignment_selection"],
    }
    # Canvas would refuse the "openid" scope it lists: only the tool's own scopes are asked for
    assert "openid" not in platform.registrations[0]["body"]["scope"].split()

    client_id = re.search(r"data-client-id>([^<]+)<", done.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    reg = registration_for(app, CANVAS_ISSUER, client_id)
    assert reg is not None and reg.tenant.name.startswith("Canvas Test University")
    assert reg.auth_login_url == "https://sso.canvaslms.com/api/lti/authorize_redirect"
    assert reg.deployments == []  # Canvas makes deployments on install; launches record them
    after = counts(app)
    assert after["registrations"] == before["registrations"] + 1
    assert after["deployments"] == before["deployments"]


def canvas_on_school_domain(requests_mock: Any, school: str, **changes: str) -> PlatformDouble:
    """Hosted Canvas as a school sees it: the configuration and the registration endpoint on the
    school's own (vanity) domain, the shared issuer, Instructure's keys and login."""
    config = fixture("canvas_openid_configuration.json")
    config["registration_endpoint"] = f"{school}/api/lti/registrations"
    config.update(changes)
    double = PlatformDouble(
        requests_mock, config, f"{school}/api/lti/security/openid-configuration"
    )
    cid = str(10000000000000 + secrets.randbelow(10**9))
    double.answer = lambda body: (200, {**body, "client_id": cid})
    return double


def test_hosted_canvas_on_a_school_domain_registers_and_frames_there(
    app, browser, requests_mock, monkeypatch
):
    school = f"https://canvas-{secrets.token_hex(3)}.example.edu"
    platform = canvas_on_school_domain(requests_mock, school)
    token = invite(app)
    page = start(browser, token, platform)
    assert page.status_code == 200, page.get_data(as_text=True)
    done = confirm(browser, page)
    assert done.status_code == 200, done.get_data(as_text=True)
    client_id = re.search(r"data-client-id>([^<]+)<", done.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    with app.app_context():
        from lti_tool.lti import frame_origins

        reg = db.session.scalar(
            select(Registration).where(
                Registration.issuer == CANVAS_ISSUER, Registration.client_id == client_id
            )
        )
        assert reg is not None
        # the school's Canvas pages may frame the tool; Instructure's shared hosts never
        assert frame_origins.learned_origins(reg) == {school}


@pytest.mark.parametrize(
    "changes",
    [
        {"jwks_uri": "https://keys.example.net/jwks"},
        {"authorization_endpoint": "https://login.example.net/authorize"},
        {"token_endpoint": "https://token.example.net/token"},
        {"jwks_uri": "http://sso.canvaslms.com/api/lti/security/jwks"},
    ],
)
def test_a_canvas_issuer_elsewhere_with_keys_not_from_instructure_is_refused(
    app, browser, requests_mock, changes
):
    """A look-alike configuration cannot bring keys of its own under Canvas's shared issuer."""
    platform = canvas_on_school_domain(requests_mock, "https://canvas.lookalike.example", **changes)
    token = invite(app)
    before = counts(app)
    resp = start(browser, token, platform)
    assert resp.status_code == 400 and reason(resp) == "issuer_mismatch"
    assert platform.registrations == [] and counts(app) == before


def test_registering_again_with_the_same_client_id_updates(app, browser, requests_mock):
    platform = moodle(requests_mock, client_id=f"same-{secrets.token_hex(3)}")
    tenant = f"Update U {secrets.token_hex(3)}"
    assert (
        confirm(browser, start(browser, invite(app, new_tenant_name=tenant), platform)).status_code
        == 200
    )
    before = counts(app)

    platform.config["jwks_uri"] = platform.config["jwks_uri"].replace("certs.php", "certs2.php")
    requests_mock.get(platform.config_url, json=platform.config, headers=JSON)
    again = confirm(browser, start(browser, invite(app, tenant_name=tenant), platform))
    assert again.status_code == 200, again.get_data(as_text=True)
    assert "is updated for" in again.get_data(as_text=True)

    after = counts(app)
    assert after["tenants"] == before["tenants"]
    assert after["registrations"] == before["registrations"]
    assert after["deployments"] == before["deployments"]
    with app.app_context():
        regs = db.session.scalars(
            select(Registration).join(Tenant).where(Tenant.name == tenant)
        ).all()
        assert len(regs) == 1
        assert regs[0].key_set_url.endswith("/certs2.php")


def test_a_new_client_id_joins_the_same_tenant(app, browser, requests_mock):
    platform = moodle(requests_mock)
    tenant = f"Reinstall U {secrets.token_hex(3)}"
    assert (
        confirm(browser, start(browser, invite(app, new_tenant_name=tenant), platform)).status_code
        == 200
    )
    before = counts(app)

    second = fixture("moodle_registration_response.json")
    second["client_id"] = f"second-{secrets.token_hex(3)}"
    platform.answer = lambda body: (200, second)
    done = confirm(browser, start(browser, invite(app, tenant_name=tenant), platform))
    assert done.status_code == 200, done.get_data(as_text=True)

    after = counts(app)
    assert after["tenants"] == before["tenants"]
    assert after["registrations"] == before["registrations"] + 1
    with app.app_context():
        tenant_row = db.session.scalar(select(Tenant).where(Tenant.name == tenant))
        assert {r.client_id for r in tenant_row.registrations} >= {second["client_id"]}
        assert len(tenant_row.registrations) == 2


def test_a_new_tenant_link_never_forks_a_known_platform(app, browser, requests_mock):
    platform = moodle(requests_mock)
    tenant = f"Known U {secrets.token_hex(3)}"
    assert (
        confirm(browser, start(browser, invite(app, new_tenant_name=tenant), platform)).status_code
        == 200
    )
    before = counts(app)
    posts = len(platform.registrations)

    resp = start(browser, invite(app), platform)
    assert resp.status_code == 400 and reason(resp) == "would_fork_tenant"
    assert tenant in resp.get_data(as_text=True)
    assert len(platform.registrations) == posts  # refused before asking the platform
    assert counts(app)["tenants"] == before["tenants"]
    assert counts(app)["registrations"] == before["registrations"]


def test_confirmation_without_csrf_token_is_refused(app, browser, requests_mock):
    platform = moodle(requests_mock)
    page = start(browser, invite(app), platform)
    before = counts(app)
    fields = hidden_fields(page)
    positive = dict(fields)
    fields.pop("csrf_token")
    resp = browser.post("/registration/register", data=fields)
    assert resp.status_code == 400 and reason(resp) == "csrf"
    assert platform.registrations == [] and counts(app) == before
    assert browser.post("/registration/register", data=positive).status_code == 200


def test_register_page_may_be_framed_by_the_lms(app, browser, requests_mock):
    page = start(browser, invite(app), moodle(requests_mock))
    ancestors = page.headers["Content-Security-Policy"].split("frame-ancestors", 1)[1]
    assert "https:" in ancestors.split()


# --- invitations -------------------------------------------------------------------------------


def test_without_invitation_nothing_happens(app, browser, requests_mock):
    platform = moodle(requests_mock)
    before = counts(app)
    resp = start(browser, None, platform)
    assert resp.status_code == 403 and reason(resp) == "invite_missing"
    resp = start(browser, "not-a-real-invitation", platform)
    assert resp.status_code == 403 and reason(resp) == "invite_unknown"
    resp = browser.post(
        "/registration/register", data={"openid_configuration": platform.config_url}
    )
    assert resp.status_code == 400
    assert requests_mock.call_count == 0
    assert counts(app) == before


def test_expired_invitation_is_refused(app, browser, requests_mock):
    platform = moodle(requests_mock)
    token = invite(app)
    assert start(browser, token, platform).status_code == 200  # positive control
    with app.app_context():
        row = db.session.scalar(
            select(RegistrationInvitation).where(
                RegistrationInvitation.token_hash == services.hash_token(token)
            )
        )
        row.expires_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
        db.session.commit()
    before = counts(app)
    calls = requests_mock.call_count
    resp = start(browser, token, platform)
    assert resp.status_code == 403 and reason(resp) == "invite_expired"
    assert requests_mock.call_count == calls and counts(app) == before


def test_invitation_registers_once(app, browser, requests_mock):
    platform = moodle(requests_mock)
    token = invite(app)
    first = start(browser, token, platform)
    assert confirm(browser, first).status_code == 200
    before = counts(app)
    resp = start(browser, token, platform)
    assert resp.status_code == 403 and reason(resp) == "invite_used"
    # the already-rendered confirmation form cannot be replayed either
    replay = confirm(browser, first)
    assert replay.status_code == 403 and reason(replay) == "invite_used"
    assert len(platform.registrations) == 1 and counts(app) == before


def test_invitation_token_is_stored_hashed(app):
    token = invite(app)
    with app.app_context():
        hashes = db.session.scalars(select(RegistrationInvitation.token_hash)).all()
    assert token not in hashes and services.hash_token(token) in hashes


def test_two_registrations_cannot_share_an_invitation(app, requests_mock):
    platform = moodle(requests_mock)
    token = invite(app)
    with app.app_context():
        config = services.validate_configuration(
            platform.config, platform.config_url, allow_private=True
        )
        invitation = services.find_invitation(token)  # this request checked: unused
        db.session.rollback()
        # ... meanwhile a concurrent request used the same invitation and committed
        with db.engine.begin() as conn:
            conn.execute(
                update(RegistrationInvitation)
                .where(RegistrationInvitation.id == invitation.id)
                .values(used_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
            )
        before = counts(app)
        with pytest.raises(services.InvitationError) as exc:
            services.store_registration(
                invitation, config, services.PlatformRegistration("race-b", None), allow_http=True
            )
        assert exc.value.reason == "invite_used"
        db.session.rollback()
    assert counts(app) == before


# --- bad platform configurations ---------------------------------------------------------------


def _break(key: str, value: Any = None):
    def change(config: dict[str, Any]) -> None:
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value

    return change


def _lti(change_messages: list[dict[str, Any]]):
    def change(config: dict[str, Any]) -> None:
        config[services.PLATFORM_CONFIGURATION]["messages_supported"] = change_messages

    return change


BAD_CONFIGS = {
    "issuer on another host": (_break("issuer", "https://evil.example.net"), "issuer_mismatch"),
    "no registration endpoint": (_break("registration_endpoint"), "config_invalid"),
    "no jwks_uri": (_break("jwks_uri"), "config_invalid"),
    "endpoint not a URL": (_break("token_endpoint", "token.php"), "config_invalid"),
    "registration endpoint on another host": (
        _break("registration_endpoint", "https://collector.example.net/register"),
        "endpoint_host",
    ),
    "no RS256": (_break("id_token_signing_alg_values_supported", ["HS256"]), "config_invalid"),
    "no resource link message": (
        _lti([{"type": "LtiDeepLinkingRequest"}]),
        "config_invalid",
    ),
    "no platform configuration": (_break(services.PLATFORM_CONFIGURATION), "config_invalid"),
    "scopes not a list": (_break("scopes_supported", "openid"), "config_invalid"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_invalid_configuration_is_refused(app, browser, requests_mock, case):
    platform = moodle(requests_mock)
    token = invite(app)
    assert start(browser, token, platform).status_code == 200  # positive control
    change, expected = BAD_CONFIGS[case]
    broken = copy.deepcopy(platform.config)
    change(broken)
    requests_mock.get(platform.config_url, json=broken, headers=JSON)
    before = counts(app)
    resp = start(browser, token, platform)
    assert resp.status_code == 400 and reason(resp) == expected
    assert platform.registrations == [] and counts(app) == before


BAD_ANSWERS = {
    "not JSON": (
        {"text": "<html>Moodle</html>", "headers": {"Content-Type": "text/html"}},
        "not_json",
    ),
    "malformed JSON": (
        {"text": '{"issuer": ', "headers": {"Content-Type": "application/json"}},
        "not_json",
    ),
    "JSON array": ({"json": [1, 2], "headers": JSON}, "not_json"),
    "declared too large": (
        {
            "text": "{}",
            "headers": {"Content-Type": "application/json", "Content-Length": "5000000"},
        },
        "too_large",
    ),
    "streamed too large": (
        {
            "content": b'{"a": "' + b"x" * 1_100_000 + b'"}',
            "headers": {"Content-Type": "application/json"},
        },
        "too_large",
    ),
    "redirect": (
        {"status_code": 302, "headers": {"Location": "http://169.254.169.254/"}},
        "redirected",
    ),
    "unreachable": ({"exc": requests.exceptions.ConnectTimeout}, "platform_unreachable"),
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_bad_configuration_answers_are_refused(app, browser, requests_mock, case):
    platform = moodle(requests_mock)
    token = invite(app)
    kwargs, expected = BAD_ANSWERS[case]
    requests_mock.get(platform.config_url, **kwargs)
    before = counts(app)
    resp = start(browser, token, platform)
    assert resp.status_code == 502 and reason(resp) == expected
    assert counts(app) == before


def test_platform_error_on_configuration_is_named_not_reflected(app, browser, requests_mock):
    platform = moodle(requests_mock)
    requests_mock.get(
        platform.config_url,
        status_code=401,
        json={"error": "invalid_token", "error_description": "Registration token expired"},
    )
    resp = start(browser, invite(app), platform)
    assert resp.status_code == 502 and reason(resp) == "platform_refused"
    page = resp.get_data(as_text=True)
    # which known refusal it was, in the tool's words; never the fetched body's own text
    assert "the registration token was not accepted (it may have expired) (invalid_token)" in page
    assert "Registration token expired" not in page


# --- bad registration answers ------------------------------------------------------------------


def _no_client_id(body: dict[str, Any]) -> Any:
    answer = fixture("moodle_registration_response.json")
    del answer["client_id"]
    return 200, answer


def _redirect_elsewhere(body: dict[str, Any]) -> Any:
    answer = fixture("moodle_registration_response.json")
    answer["client_id"] = "elsewhere"
    answer["redirect_uris"] = ["https://attacker.example.net/lti/launch"]
    return 200, answer


def _canvas_refusal(body: dict[str, Any]) -> Any:
    return 422, fixture("canvas_registration_error.json")


BAD_REGISTRATIONS = {
    "no client id": (_no_client_id, "no_client_id", "no client_id"),
    "redirect URI on another host": (_redirect_elsewhere, "redirect_host", "attacker.example.net"),
    "platform refuses": (_canvas_refusal, "platform_refused", "(HTTP 422)"),
}


@pytest.mark.parametrize("case", list(BAD_REGISTRATIONS))
def test_bad_registration_answer_stores_nothing(app, browser, requests_mock, case):
    platform = moodle(requests_mock)
    answer, expected, shown = BAD_REGISTRATIONS[case]
    platform.answer = answer
    token = invite(app)
    page = start(browser, token, platform)
    before = counts(app)
    resp = confirm(browser, page)
    assert resp.status_code == 502 and reason(resp) == expected
    assert shown in resp.get_data(as_text=True)
    assert len(platform.registrations) == 1
    assert counts(app) == before
    # the invitation stays usable: fix the cause in the LMS and try again
    platform.answer = lambda body: (
        200,
        {
            **fixture("moodle_registration_response.json"),
            "client_id": f"retry-{secrets.token_hex(3)}",
        },
    )
    assert confirm(browser, start(browser, token, platform)).status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"text": "Created", "headers": {"Content-Type": "text/plain"}}, "not_json"),
        (
            {
                "content": b"{" + b" " * 1_100_000 + b"}",
                "headers": {"Content-Type": "application/json"},
            },
            "too_large",
        ),
    ],
)
def test_non_json_or_oversized_registration_answer(app, browser, requests_mock, kwargs, expected):
    platform = moodle(requests_mock)
    page = start(browser, invite(app), platform)
    requests_mock.post(platform.registration_url, **kwargs)
    before = counts(app)
    resp = confirm(browser, page)
    assert resp.status_code == 502 and reason(resp) == expected
    assert counts(app) == before


# --- private addresses -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "169.254.169.254",
        "[::1]",
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "[::ffff:127.0.0.1]",
        "100.64.0.1",
    ],
)
def test_private_addresses_are_refused(host):
    with pytest.raises(services.DynamicRegistrationError) as exc:
        services.check_public_host(f"https://{host}/openid", allow_private=False)
    assert exc.value.reason == "private_address"


def test_names_resolving_to_private_addresses_are_refused(monkeypatch):
    def resolve(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        address = {"lms.example.edu": "93.184.215.14", "sneaky.example.edu": "10.0.0.7"}[host]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    services.check_public_host("https://lms.example.edu/x", allow_private=False)  # control
    with pytest.raises(services.DynamicRegistrationError) as exc:
        services.check_public_host("https://sneaky.example.edu/x", allow_private=False)
    assert exc.value.reason == "private_address"
    services.check_public_host("https://sneaky.example.edu/x", allow_private=True)


def test_register_refuses_private_platform_unless_allowed(app, browser, requests_mock, monkeypatch):
    config = fixture("moodle_openid_configuration.json")
    text = json.dumps(config).replace("https://moodle.example.edu", "https://127.0.0.1:8443")
    requests_mock.get(
        "https://127.0.0.1:8443" + MOODLE_CONFIG_PATH,
        text=text,
        headers={"Content-Type": "application/json"},
    )
    token = invite(app)
    query = {"invite": token, "openid_configuration": "https://127.0.0.1:8443" + MOODLE_CONFIG_PATH}
    assert (
        browser.get("/registration/register", query_string=query).status_code == 200
    )  # allowed in tests
    monkeypatch.setitem(app.config, "DYNREG_ALLOW_PRIVATE_HOSTS", False)
    calls = requests_mock.call_count
    resp = browser.get("/registration/register", query_string=query)
    assert resp.status_code == 400 and reason(resp) == "private_address"
    assert requests_mock.call_count == calls


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_invite_prints_a_one_time_url(app, runner, requests_mock, browser):
    tenant = f"CLI U {secrets.token_hex(3)}"
    result = runner.invoke(
        args=["registration", "invite", "--new-tenant", tenant, "--hours", "2", "--base-url", TOOL]
    )
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    assert url.startswith(f"{TOOL}/registration/register?invite=")
    token = url.split("invite=", 1)[1]
    with app.app_context():
        row = db.session.scalar(
            select(RegistrationInvitation).where(
                RegistrationInvitation.token_hash == services.hash_token(token)
            )
        )
        assert row.new_tenant_name == tenant and row.used_at is None
        assert dt.timedelta(hours=1.9) < row.expires_at - row.created_at <= dt.timedelta(hours=2)
    # the printed URL is what the LMS opens, with its own parameters appended
    platform = moodle(requests_mock)
    page = browser.get(
        url + "&openid_configuration=" + platform.config_url + "&registration_token=t"
    )
    assert page.status_code == 200, page.get_data(as_text=True)
    assert f"{tenant} (new)" in page.get_data(as_text=True)


def test_cli_invite_refuses_unknown_tenant(runner, app):
    before = counts(app)
    result = runner.invoke(
        args=["registration", "invite", "--tenant", "No Such U", "--base-url", TOOL]
    )
    assert result.exit_code != 0 and "There is no tenant 'No Such U'" in result.output
    assert counts(app) == before


def test_cli_invite_needs_the_public_url(runner):
    result = runner.invoke(args=["registration", "invite"])
    assert result.exit_code != 0 and "--base-url" in result.output


def test_a_client_id_of_another_tenant_is_not_moved(app, browser, requests_mock):
    platform = moodle(requests_mock, client_id=f"owned-{secrets.token_hex(3)}")
    owner = f"Owner U {secrets.token_hex(3)}"
    assert (
        confirm(browser, start(browser, invite(app, new_tenant_name=owner), platform)).status_code
        == 200
    )
    other = f"Other U {secrets.token_hex(3)}"
    with app.app_context():
        db.session.add(Tenant(name=other))
        db.session.commit()
    page = start(browser, invite(app, tenant_name=other), platform)
    before = counts(app)
    resp = confirm(browser, page)
    assert resp.status_code == 400 and reason(resp) == "client_of_other_tenant"
    body = resp.get_data(as_text=True)
    assert "already registered for another institution" in body
    assert owner not in body  # another institution's name is not told to this LMS's admin
    assert counts(app) == before


def test_a_client_id_with_the_same_token_endpoint_under_another_issuer_is_refused(
    app, browser, requests_mock
):
    """The same LMS key (client id + token endpoint) cannot be registered again by naming the
    LMS with another issuer string."""
    platform = moodle(requests_mock, client_id=f"victim-{secrets.token_hex(3)}")
    owner = f"Victim U {secrets.token_hex(3)}"
    assert (
        confirm(browser, start(browser, invite(app, new_tenant_name=owner), platform)).status_code
        == 200
    )  # positive control: the first registration of the key
    platform.config["issuer"] = platform.config["issuer"] + "/moodle"
    requests_mock.get(platform.config_url, json=platform.config, headers=JSON)
    page = start(
        browser, invite(app, new_tenant_name=f"Attacker U {secrets.token_hex(3)}"), platform
    )
    before = counts(app)
    resp = confirm(browser, page)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and reason(resp) == "duplicate_client", body
    assert "is already registered with the token endpoint" in body
    assert "cannot be registered twice" in body
    assert owner not in body
    assert counts(app) == before


def test_scopes_the_platform_does_not_offer_are_not_requested(app, browser, requests_mock):
    platform = moodle(requests_mock)
    platform.config["scopes_supported"].remove(kits.NRPS_MEMBERSHIP)
    requests_mock.get(platform.config_url, json=platform.config, headers=JSON)
    page = start(browser, invite(app), platform)
    assert "roster" in page.get_data(as_text=True)  # the administrator is warned
    assert confirm(browser, page).status_code == 200
    scope = platform.registrations[0]["body"]["scope"].split()
    assert kits.NRPS_MEMBERSHIP not in scope and kits.AGS_SCORE in scope


def test_confirmation_works_when_the_lms_iframe_drops_cookies(app, requests_mock):
    platform = moodle(requests_mock)
    token = invite(app)
    cookieless = app.test_client(use_cookies=False)
    page = cookieless.get(
        "/registration/register",
        base_url=TOOL,
        query_string={"invite": token, "openid_configuration": platform.config_url},
    )
    assert page.status_code == 200
    done = cookieless.post("/registration/register", base_url=TOOL, data=hidden_fields(page))
    assert done.status_code == 200, done.get_data(as_text=True)
    # a token issued for another invitation does not verify for this one
    other = cookieless.get(
        "/registration/register",
        base_url=TOOL,
        query_string={"invite": invite(app), "openid_configuration": platform.config_url},
    )
    forged = {**hidden_fields(other), "csrf_token": hidden_fields(page)["csrf_token"]}
    resp = cookieless.post("/registration/register", base_url=TOOL, data=forged)
    assert resp.status_code == 400 and reason(resp) == "csrf"
