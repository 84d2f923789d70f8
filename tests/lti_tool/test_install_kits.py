"""The manual install kits: Canvas's developer-key JSON, the Moodle values (page and CLI), and the
admin page's registration link."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.models import Tenant
from lti_tool.registration import kits, services
from lti_tool.registration.models import RegistrationInvitation
from tests.helpers import launch_csrf

TOOL = "https://careers.example.edu"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@pytest.fixture
def kit_tenant(app, make_platform) -> tuple[str, str]:
    """A tenant (name, key-set id) the kits are for."""
    platform = make_platform()
    with app.app_context():
        tenant = db.session.get(Tenant, platform.tenant_id)  # type: ignore[attr-defined]
        return tenant.name, tenant.key_set_id


def _canvas_json(client, key_set_id: str, base_url: str = TOOL) -> dict:
    resp = client.get(
        "/registration/config/canvas.json", base_url=base_url, query_string={"tenant": key_set_id}
    )
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert "public" in resp.headers["Cache-Control"]
    return json.loads(resp.get_data(as_text=True))


def test_canvas_json_follows_the_developer_key_schema(client, app, kit_tenant):
    key = _canvas_json(client, kit_tenant[1])
    # Canvas's required top-level fields, with a public JWK URL instead of a pasted key
    for field in ("title", "description", "oidc_initiation_url", "target_link_uri"):
        assert isinstance(key[field], str) and key[field], field
    assert "public_jwk" not in key
    assert key["oidc_initiation_url"] == f"{TOOL}/lti/login"
    assert key["target_link_uri"] == f"{TOOL}/lti/launch"
    assert key["public_jwk_url"] == f"{TOOL}/lti/jwks/{kit_tenant[1]}"  # the tenant's own
    assert set(key["scopes"]) == {
        AGS + "lineitem",
        AGS + "lineitem.readonly",
        AGS + "result.readonly",
        AGS + "score",
        NRPS,
    }
    (extension,) = key["extensions"]
    assert extension["platform"] == "canvas.instructure.com"
    assert extension["privacy_level"] == "public"  # names and emails reach the tool
    assert extension["domain"] == "careers.example.edu"
    placements = {p["placement"]: p for p in extension["settings"]["placements"]}
    assert set(placements) == {
        "course_navigation",
        "link_selection",
        "assignment_selection",
        "account_navigation",
    }
    assert placements["course_navigation"]["message_type"] == "LtiResourceLinkRequest"
    assert placements["account_navigation"]["message_type"] == "LtiResourceLinkRequest"
    assert placements["assignment_selection"]["message_type"] == "LtiDeepLinkingRequest"
    assert placements["link_selection"]["message_type"] == "LtiDeepLinkingRequest"
    for placement in placements.values():
        assert placement["target_link_uri"] == f"{TOOL}/lti/launch"
        assert placement["text"]
    assert key["custom_fields"] == {
        "canvas_course_id": "$Canvas.course.id",
        "term_name": "$Canvas.term.name",
        "term_start": "$Canvas.term.startAt",
        "term_end": "$Canvas.term.endAt",
        "canvas_api_domain": "$Canvas.api.domain",
    }
    # Canvas rejects unknown keys at the top level: only documented ones are sent
    assert set(key) <= {
        "title",
        "description",
        "oidc_initiation_url",
        "target_link_uri",
        "public_jwk_url",
        "public_jwk",
        "scopes",
        "extensions",
        "custom_fields",
    }


def test_canvas_json_urls_are_the_tool_endpoints(client, app, kit_tenant):
    key = _canvas_json(client, kit_tenant[1], base_url="http://localhost")
    adapter = app.url_map.bind("localhost")
    assert adapter.match(urlsplit(key["oidc_initiation_url"]).path, method="POST")[0] == (
        "lti.oidc_login"
    )
    assert adapter.match(urlsplit(key["target_link_uri"]).path, method="POST")[0] == "lti.launch"
    jwks = client.get(urlsplit(key["public_jwk_url"]).path)
    assert jwks.status_code == 200 and jwks.get_json()["keys"]


def test_canvas_json_uses_the_address_the_tool_is_reached_at(client, kit_tenant):
    key = _canvas_json(client, kit_tenant[1], base_url="https://other-host.example.org/cc")
    assert key["oidc_initiation_url"] == "https://other-host.example.org/cc/lti/login"
    assert key["extensions"][0]["domain"] == "other-host.example.org"


def test_canvas_json_without_a_tenant_is_refused(client, kit_tenant):
    assert _canvas_json(client, kit_tenant[1])  # positive control
    resp = client.get("/registration/config/canvas.json", base_url=TOOL)
    assert resp.status_code == 404
    assert (
        'data-reason="no_tenant"' in resp.get_data(as_text=True)
        or (resp.get_json() or {}).get("reason") == "no_tenant"
    )
    unknown = client.get(
        "/registration/config/canvas.json",
        base_url=TOOL,
        query_string={"tenant": "no-such-key-set"},
    )
    assert unknown.status_code == 404


def test_moodle_page_lists_every_value(client, kit_tenant):
    key_set_id = kit_tenant[1]
    resp = client.get(
        "/registration/config/moodle", base_url=TOOL, query_string={"tenant": key_set_id}
    )
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for text in (
        f"{TOOL}/lti/launch",
        f"{TOOL}/lti/login",
        f"{TOOL}/lti/jwks/{key_set_id}",
        "LTI 1.3",
        "Keyset URL",
        "IMS LTI Assignment and Grade Services",
        "Use this service for grade sync and column management",
        "401",
        "Use this service to retrieve members&#39; information as per privacy settings",
        "Share launcher&#39;s name with tool",
        "Share launcher&#39;s email with tool",
        "Supports Deep Linking (Content-Item Message)",
        f"{TOOL}/registration/config/canvas.json?tenant={key_set_id}",
    ):
        assert text in html, text
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td><code>([^<]*)</code>', html))
    assert rows["Share launcher&#39;s name with tool"] == "Always"
    assert rows["Share launcher&#39;s email with tool"] == "Always"
    assert rows["Supports Deep Linking (Content-Item Message)"].startswith("On")
    assert rows["Initiate login URL"] == f"{TOOL}/lti/login"
    assert rows["Redirection URI(s)"] == f"{TOOL}/lti/launch"
    assert rows["Public keyset"] == f"{TOOL}/lti/jwks/{key_set_id}"
    assert rows["Tool URL"] == f"{TOOL}/lti/launch"
    # without a tenant the page names no key set at all (never the shared legacy one)
    bare = client.get("/registration/config/moodle", base_url=TOOL).get_data(as_text=True)
    bare_rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td><code>([^<]*)</code>', bare))
    assert bare_rows["Public keyset"] == ""
    assert f"{TOOL}/lti/jwks<" not in bare


def test_moodle_values_name_the_form_fields(app):
    with app.app_context():
        values = {v.field: v.value for v in kits.moodle_values(kits.tool_urls(TOOL))}
    assert values["LTI version"] == "LTI 1.3"
    assert values["IMS LTI Assignment and Grade Services"] == (
        "Use this service for grade sync and column management"
    )
    assert values["IMS LTI Names and Role Provisioning"] == (
        "Use this service to retrieve members' information as per privacy settings"
    )


def test_cli_show_config_prints_moodle_values(runner, kit_tenant):
    name, key_set_id = kit_tenant
    result = runner.invoke(
        args=["registration", "show-config", "--base-url", TOOL, "--tenant", name]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Tool URL: {TOOL}/lti/launch" in out
    assert f"Initiate login URL: {TOOL}/lti/login" in out
    assert f"Redirection URI(s): {TOOL}/lti/launch" in out
    assert f"Public keyset: {TOOL}/lti/jwks/{key_set_id}\n" in out
    assert "LTI version: LTI 1.3" in out
    assert (
        "IMS LTI Assignment and Grade Services: "
        "Use this service for grade sync and column management" in out
    )
    assert "Share launcher's name with tool: Always" in out
    assert "Share launcher's email with tool: Always" in out


def test_cli_show_config_prints_canvas_json(runner, client, kit_tenant):
    name, key_set_id = kit_tenant
    result = runner.invoke(
        args=[
            "registration",
            "show-config",
            "--lms",
            "canvas",
            "--base-url",
            TOOL,
            "--tenant",
            name,
        ]
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed == _canvas_json(client, key_set_id)
    assert printed["public_jwk_url"] == f"{TOOL}/lti/jwks/{key_set_id}"


def test_cli_show_config_needs_a_known_tenant(runner, kit_tenant):
    ok = runner.invoke(
        args=["registration", "show-config", "--base-url", TOOL, "--tenant", kit_tenant[0]]
    )
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(args=["registration", "show-config", "--base-url", TOOL])
    assert missing.exit_code != 0 and "--tenant" in missing.output
    unknown = runner.invoke(
        args=["registration", "show-config", "--base-url", TOOL, "--tenant", "No Such U"]
    )
    assert unknown.exit_code != 0
    assert "There is no tenant named 'No Such U'" in unknown.output
    assert "registration add-tenant" in unknown.output


def test_cli_add_tenant_prints_its_own_key_set_url(runner, client, app):
    result = runner.invoke(args=["registration", "add-tenant", "Kits U", "--base-url", TOOL])
    assert result.exit_code == 0, result.output
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.name == "Kits U"))
        assert not tenant.legacy_keys
    url = f"{TOOL}/lti/jwks/{tenant.key_set_id}"
    assert url in result.output
    assert client.get(f"/lti/jwks/{tenant.key_set_id}").get_json()["keys"]
    again = runner.invoke(args=["registration", "add-tenant", "Kits U"])
    assert again.exit_code != 0 and "exists already" in again.output


def test_admin_creates_a_registration_link_for_their_tenant(lti, app):
    launched = lti.launch(sub="admin-kits", role="admin", course=None, name="Ada Admin")
    page = lti.client.get(f"/admin/?lid={launched.lid}")
    assert page.status_code == 200
    resp = lti.client.post(
        "/registration/register/invitations",
        data={"lid": launched.lid, "csrf_token": launch_csrf(lti.client.application, launched.lid)},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    url = re.search(
        r'id="registration-url" type="text" readonly value="([^"]+)"', resp.get_data(as_text=True)
    )
    assert url, resp.get_data(as_text=True)
    token = url.group(1).split("invite=", 1)[1]
    with app.app_context():
        row = db.session.scalar(
            select(RegistrationInvitation).where(
                RegistrationInvitation.token_hash == services.hash_token(token)
            )
        )
        assert row.tenant_id == lti.platform.tenant_id  # type: ignore[attr-defined]
        assert row.used_at is None


def test_students_cannot_create_registration_links(lti):
    launched = lti.launch(sub="stu-kits", role="student")
    resp = lti.client.post(
        "/registration/register/invitations",
        data={"lid": launched.lid, "csrf_token": launch_csrf(lti.client.application, launched.lid)},
    )
    assert resp.status_code == 403


def test_registration_link_needs_the_csrf_token(lti, app):
    launched = lti.launch(sub="admin-kits-csrf", role="admin", course=None)
    with app.app_context():
        before = db.session.query(RegistrationInvitation).count()
    resp = lti.client.post("/registration/register/invitations", data={"lid": launched.lid})
    assert resp.status_code == 400 and 'data-reason="csrf"' in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(RegistrationInvitation).count() == before


def test_admin_page_snippet_renders_the_kits_and_the_button(lti, app):
    from flask import g, render_template

    from lti_tool.auth import load_launch

    launched = lti.launch(sub="admin-snippet", role="admin", course=None)
    with app.test_request_context(f"/admin/?lid={launched.lid}", base_url=TOOL):
        g.launch = load_launch(launched.lid)
        html = render_template("registration/_admin_install.html")
    assert f'action="/registration/register/invitations?lid={launched.lid}"' in html
    assert 'name="csrf_token"' in html
    with app.app_context():
        key_set_id = db.session.get(Tenant, lti.platform.tenant_id).key_set_id  # type: ignore[attr-defined]
    assert f"{TOOL}/registration/config/canvas.json?tenant={key_set_id}" in html
    assert f"{TOOL}/lti/jwks/{key_set_id}" in html
    assert "Use this service for grade sync and column management" in html


# --- the first addresses, pasted into LMSs and emailed, keep working -------------------------


@pytest.mark.parametrize(
    "old",
    [
        "/lti/config/canvas.json?tenant={key_set_id}",
        "/lti/config/moodle?tenant={key_set_id}",
        "/lti/register?invite=tok-1&openid_configuration=https%3A%2F%2Flms.example%2Fconf",
        "/lti/register/invitations?lid=abc",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_first_addresses_redirect_permanently_with_their_query(client, kit_tenant, old, method):
    """308 (a POST stays a POST with its body) to the same page under /registration."""
    old = old.format(key_set_id=kit_tenant[1])
    resp = client.open(
        old, method=method, base_url=TOOL, data={"x": "1"} if method == "POST" else None
    )
    assert resp.status_code == 308
    assert resp.headers["Location"] == old.replace("/lti/", "/registration/", 1)
    assert resp.headers["Content-Security-Policy"]  # the security headers of every answer


def test_an_lms_that_fetches_the_old_canvas_address_gets_the_same_document(client, kit_tenant):
    old = client.get(
        "/lti/config/canvas.json",
        base_url=TOOL,
        query_string={"tenant": kit_tenant[1]},
        follow_redirects=True,
    )
    assert old.status_code == 200
    assert json.loads(old.get_data(as_text=True)) == _canvas_json(client, kit_tenant[1])


def test_an_emailed_registration_link_still_reaches_the_confirmation(app, client):
    """An invitation printed before the move (``/lti/register?invite=…``) still opens, and its
    confirmation POST still lands on the registration (here refused: no platform answers)."""
    with app.app_context():
        _, token = services.create_invitation(Actor(None, "tests"))
        db.session.commit()
    resp = client.get(f"/lti/register?invite={token}", base_url=TOOL, follow_redirects=True)
    assert resp.request.path == "/registration/register"
    assert resp.status_code != 404
    posted = client.post(
        "/lti/register", base_url=TOOL, data={"invite": token}, follow_redirects=True
    )
    assert posted.request.path == "/registration/register" and posted.request.method == "POST"
