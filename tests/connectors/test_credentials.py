"""Per-registration connector credentials: ``flask registration set-api`` and the admin
Connections page. Secrets are encrypted at rest and only their last four characters show."""

from __future__ import annotations

import re

from sqlalchemy import text

from lti_tool.actor import Actor
from lti_tool.admin.models import ConnectorCredentials
from lti_tool.extensions import db
from tests.helpers import csrf_token, reason
from tests.lti_tool.test_admin import admin_launch


def stored(app, registration_id: int) -> tuple[ConnectorCredentials | None, dict]:
    with app.app_context():
        creds = (
            db.session.query(ConnectorCredentials)
            .filter_by(registration_id=registration_id)
            .one_or_none()
        )
        raw = (
            db.session.execute(
                text(
                    "SELECT canvas_oauth_client_secret, moodle_ws_token FROM connector_credentials "
                    "WHERE registration_id = :r"
                ),
                {"r": registration_id},
            )
            .mappings()
            .first()
        )
        if creds is not None:
            db.session.expunge(creds)
        return creds, dict(raw or {})


def registration_id(app, platform) -> int:
    from lti_tool.registration.services.tenants import find_registration

    with app.app_context():
        return find_registration(platform.issuer, platform.client_id).id


def test_set_api_stores_secrets_encrypted_and_prints_last4(app, runner, platform):
    resp = runner.invoke(
        args=[
            "registration",
            "set-api",
            "--issuer",
            platform.issuer,
            "--client-id",
            platform.client_id,
            "--canvas-url",
            "https://school.instructure.com/",
            "--canvas-oauth-client-id",
            "10000000000123",
            "--canvas-oauth-client-secret",
            "s3cret-canvas-KEYwxyz",
        ]
    )
    assert resp.exit_code == 0, resp.output
    assert "secret …wxyz" in resp.output and "s3cret" not in resp.output
    creds, raw = stored(app, registration_id(app, platform))
    assert creds.canvas_url == "https://school.instructure.com"
    assert creds.canvas_oauth_client_secret == "s3cret-canvas-KEYwxyz"
    assert raw["canvas_oauth_client_secret"].startswith("fernet:")
    assert "s3cret" not in raw["canvas_oauth_client_secret"]
    # a later call changes only what it names
    resp = runner.invoke(
        args=[
            "registration",
            "set-api",
            "--issuer",
            platform.issuer,
            "--client-id",
            platform.client_id,
            "--moodle-url",
            "https://moodle.example.edu",
            "--moodle-ws-token",
            "tok-1234abcd",
        ]
    )
    assert resp.exit_code == 0 and "token …abcd" in resp.output
    creds, raw = stored(app, registration_id(app, platform))
    assert creds.canvas_oauth_client_secret == "s3cret-canvas-KEYwxyz"
    assert creds.moodle_ws_token == "tok-1234abcd" and raw["moodle_ws_token"].startswith("fernet:")


def test_bad_arguments_fail_in_one_line_and_write_nothing(app, runner, platform):
    base = [
        "registration",
        "set-api",
        "--issuer",
        platform.issuer,
        "--client-id",
        platform.client_id,
    ]
    ok = runner.invoke(args=[*base, "--moodle-url", "https://moodle.example.edu"])
    assert ok.exit_code == 0  # control
    cases = [
        (["--canvas-url", "not a url"], "The Canvas address must be a full https:// address"),
        (
            ["--canvas-url", "https://c.example", "--canvas-oauth-client-id", "1"],
            "A Canvas developer key needs both its client id and its secret.",
        ),
        (
            ["--canvas-oauth-client-id", "1", "--canvas-oauth-client-secret", "x"],
            "Give the LMS address together with its key or token.",
        ),
        (["--moodle-ws-token", "two words"], "must be one word without spaces"),
        ([], "Nothing to set"),
    ]
    for extra, message in cases:
        resp = runner.invoke(args=[*base, *extra])
        assert resp.exit_code == 1, (extra, resp.output)
        assert len(resp.output.strip().splitlines()) == 1 and message in resp.output, resp.output
    resp = runner.invoke(
        args=[
            "registration",
            "set-api",
            "--issuer",
            "https://nowhere.example",
            "--client-id",
            "x",
            "--moodle-url",
            "https://m.example",
        ]
    )
    assert resp.exit_code == 1 and len(resp.output.strip().splitlines()) == 1
    creds, _ = stored(app, registration_id(app, platform))
    assert creds.canvas_url is None and creds.moodle_ws_token is None
    assert creds.moodle_url == "https://moodle.example.edu"


def test_admin_page_shows_only_last4_and_saves_through_the_form(app, driver, platform):
    lti, launched = admin_launch(driver, platform)
    client, lid = lti.client, launched.lid
    reg_id = registration_id(app, platform)
    page = client.get(f"/admin/connections/?lid={lid}")
    assert page.status_code == 200 and "Not set" in page.get_data(as_text=True)
    form = client.get(f"/admin/connections/{reg_id}?lid={lid}")
    resp = client.post(
        f"/admin/connections/{reg_id}",
        data={
            "lid": lid,
            "csrf_token": csrf_token(form),
            "canvas_url": "https://school.instructure.com",
            "canvas_oauth_client_id": "10000000000123",
            "canvas_oauth_client_secret": "page-secret-9876",
            "moodle_url": "",
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:800]
    body = client.get(f"/admin/connections/?lid={lid}").get_data(as_text=True)
    assert "…9876" in body and "page-secret" not in body
    edit = client.get(f"/admin/connections/{reg_id}?lid={lid}").get_data(as_text=True)
    assert "page-secret" not in edit and "…9876" in edit
    assert not re.search(r'name="canvas_oauth_client_secret"[^>]*value="[^"]+"', edit)
    # leaving the secret empty keeps it
    resp = client.post(
        f"/admin/connections/{reg_id}",
        data={
            "lid": lid,
            "csrf_token": csrf_token(form),
            "canvas_url": "https://school.instructure.com",
            "canvas_oauth_client_id": "10000000000123",
        },
    )
    assert resp.status_code == 303
    creds, _ = stored(app, reg_id)
    assert creds.canvas_oauth_client_secret == "page-secret-9876"
    bad = client.post(
        f"/admin/connections/{reg_id}",
        data={"lid": lid, "csrf_token": csrf_token(form), "canvas_url": "ftp://x"},
    )
    assert bad.status_code == 422 and "full https:// address" in bad.get_data(as_text=True)


def test_connections_page_is_for_tool_administrators_only(app, driver, platform):
    lti, launched = admin_launch(driver, platform)
    assert lti.client.get(f"/admin/connections/?lid={launched.lid}").status_code == 200  # control
    faculty = driver(platform)
    f = faculty.launch(sub="prof-9", role="faculty", follow=False)
    resp = faculty.client.get(f"/admin/connections/?lid={f.lid}")
    assert resp.status_code == 403 and reason(resp) == "role"


def test_other_tenants_registrations_are_not_found(app, driver, make_platform):
    mine, other = make_platform(), make_platform()
    lti, launched = admin_launch(driver, mine)
    resp = lti.client.get(f"/admin/connections/{registration_id(app, other)}?lid={launched.lid}")
    assert resp.status_code == 404


def test_connector_secrets_rotate_with_keys_reencrypt(tmp_path):
    """``keys reencrypt`` covers the connector secrets and the Canvas tokens."""
    from cryptography.fernet import Fernet
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.admin.services.connections import (
        CredentialsUpdate,
        credentials_for,
        set_credentials,
    )
    from lti_tool.registration.services.tenants import PlatformSpec, add_platform

    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    own = create_app(
        "config.testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/rotate.db",
        ENCRYPTION_KEYS=first,
    )
    with own.app_context():
        upgrade(revision="heads")
        reg = add_platform(
            Actor(None, "tests"),
            PlatformSpec(
                name="Rotate U",
                issuer="https://rotate.example",
                client_id="c1",
                auth_login_url="https://rotate.example/auth",
                auth_token_url="https://rotate.example/token",
                key_set_url="https://rotate.example/jwks",
            ),
        )
        set_credentials(
            Actor(reg.tenant_id, "tests"),
            reg,
            CredentialsUpdate(moodle_url="https://rotate.example", moodle_ws_token="tok-9999"),
            allow_http=False,
        )
        db.session.commit()
        reg_id = reg.id
    own.config["ENCRYPTION_KEYS"] = f"{second},{first}"
    result = own.test_cli_runner().invoke(args=["keys", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert "connector_credentials.moodle_ws_token 1" in result.output
    own.config["ENCRYPTION_KEYS"] = second
    with own.app_context():
        assert credentials_for(reg_id).moodle_ws_token == "tok-9999"
