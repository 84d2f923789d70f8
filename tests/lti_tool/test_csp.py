"""The Content-Security-Policy names only what a page needs: Canvas tenants are framed by their
own Canvas pages (their ``frame_origins`` setting, the hosts their launches named, their Canvas
API address), never by every ``*.instructure.com``; forms go to the tool and the tenant's own
platform; the tool frames nothing."""

from __future__ import annotations

import re
import secrets

from lti_tool.actor import Actor
from lti_tool.extensions import db
from lti_tool.registration.services.tenants import PlatformSpec, add_platform
from tests.platform import LmsPlatform, launch_id, login_redirect_params, page_address

CANVAS = "https://canvas.instructure.com"


def directive(resp, name: str) -> list[str]:
    csp = resp.headers["Content-Security-Policy"]
    found = re.search(rf"(?:^|;)\s*{name} ([^;]*)", csp)
    assert found, csp
    return found.group(1).split()


def canvas_tenant(app, keyset, school: str) -> LmsPlatform:
    """A hosted-Canvas registration (shared issuer and login host) of its own tenant, whose
    pages are on ``school``."""
    platform = LmsPlatform(
        issuer=CANVAS,
        client_id=f"1000000{secrets.randbelow(10**8)}",
        deployment_id="d1",
        keyset=keyset,
    )
    with app.app_context():
        reg = add_platform(
            Actor(None, "tests"),
            PlatformSpec(
                name=f"Canvas {school}",
                issuer=CANVAS,
                client_id=platform.client_id,
                auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
                auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
                key_set_url=platform.key_set_url,
                deployment_ids=("d1",),
                tenant=None,
            ),
            allow_http=True,  # the test platform's key set is served over http
        )
        reg.tenant.settings = {**reg.tenant.settings, "frame_origins": [school]}
        db.session.commit()
    return platform


def canvas_launch(client, platform: LmsPlatform, sub: str) -> str:
    login = client.post(
        "/lti/login",
        data={
            "iss": platform.issuer,
            "login_hint": sub,
            "client_id": platform.client_id,
            "target_link_uri": "http://localhost/lti/launch",
            "lti_deployment_id": platform.deployment_id,
        },
    )
    assert login.status_code == 302, login.get_data(as_text=True)[:300]
    params = login_redirect_params(login.headers["Location"])
    body = platform.claims(
        sub=sub, role="student", nonce=params["nonce"], context={"id": "c-csp", "title": "T"}
    )
    resp = client.post(
        "/lti/launch", data={"id_token": platform.sign(body), "state": params["state"]}
    )
    assert page_address(resp), resp.get_data(as_text=True)[:300]
    return launch_id(resp)


def test_a_canvas_tenant_is_framed_by_its_own_canvas_only(app, keyset):
    school_a = "https://canvas.school-a.edu"
    school_b = "https://school-b.instructure.com"
    a = canvas_tenant(app, keyset, school_a)
    canvas_tenant(app, keyset, school_b)
    client = app.test_client()
    lid = canvas_launch(client, a, "csp-student")
    page = client.get(f"/home/student?lid={lid}")
    assert page.status_code == 200
    ancestors = directive(page, "frame-ancestors")
    assert school_a in ancestors  # positive control: the school's own Canvas frames it
    assert "https://*.instructure.com" not in ancestors
    assert school_b not in ancestors  # another school on the same hosted Canvas
    assert not any("canvas.instructure.com" in o or "sso.canvaslms.com" in o for o in ancestors)


def test_forms_go_only_to_the_tool_and_the_tenant_platform_and_nothing_is_framed(lti, keyset):
    launched = lti.launch(sub="stu-csp", follow=False)
    page = lti.client.get(f"/home/student?lid={launched.lid}")
    platform_origin = f"http://localhost:{keyset.port}"
    assert platform_origin in directive(page, "frame-ancestors")  # control
    forms = directive(page, "form-action")
    assert forms[0] == "'self'"
    assert "*" not in forms
    assert set(forms) <= {"'self'", platform_origin}
    assert directive(page, "frame-src") == ["'none'"]


def test_the_login_exchange_names_only_the_registration_in_the_request(app, keyset, client):
    school_a = "https://canvas.school-c.edu"
    school_b = "https://canvas.school-d.edu"
    a = canvas_tenant(app, keyset, school_a)
    canvas_tenant(app, keyset, school_b)
    resp = client.post(
        "/lti/login",
        data={
            "iss": a.issuer,
            "login_hint": "x",
            "client_id": a.client_id,
            "target_link_uri": "http://localhost/lti/launch",
            "lti_storage_target": "post_message_forwarding",
        },
    )
    assert resp.status_code == 200  # the platform-storage page, shown in the LMS frame
    ancestors = directive(resp, "frame-ancestors")
    assert school_a in ancestors
    assert school_b not in ancestors
